"""Query parameters of OpenAI's list endpoints (``limit``, ``order``, ``after``, ``before``), with 400s that
name the parameter, as for a body field."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from fakeai.errors import InvalidRequestError


@dataclass(frozen=True, slots=True)
class ListQuery:
    limit: int
    order: Literal["asc", "desc"]
    after: str | None
    before: str | None


def list_query(
    params: Mapping[str, str], *, default_limit: int = 20, max_limit: int = 100, default_order: str = "desc"
) -> ListQuery:
    """Parse and range-check the paging parameters of one list request."""
    raw = params.get("limit")
    limit = default_limit
    if raw is not None:
        try:
            limit = int(raw)
        except ValueError:
            raise InvalidRequestError(
                f"Invalid 'limit': expected an integer, but got {raw!r} instead.",
                param="limit",
                code="invalid_type",
            ) from None
        if not 1 <= limit <= max_limit:
            raise InvalidRequestError(
                f"Invalid 'limit': integer must be between 1 and {max_limit}; got {limit}.",
                param="limit",
                code="integer_out_of_range",
            )
    order = params.get("order", default_order)
    if order not in ("asc", "desc"):
        raise InvalidRequestError(
            f"Invalid 'order': expected one of 'asc' or 'desc', but got {order!r} instead.",
            param="order",
            code="invalid_value",
        )
    return ListQuery(limit, order, params.get("after") or None, params.get("before") or None)  # type: ignore[arg-type]
