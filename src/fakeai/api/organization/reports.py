"""Usage and costs reports from the ledger (metrics/usage.py), in the shapes of OpenAI's organization API:
time buckets of ``bucket_width``, results grouped by ``group_by``, filters, and page cursors.

Buckets are aligned to UTC multiples of their width, from the one holding ``start_time`` up to
``end_time`` (default: now), empty ones included, as OpenAI returns them. ``next_page`` is the start of
the first bucket not returned.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fakeai.errors import InvalidRequestError
from fakeai.metrics.usage import FIELDS, Key, Prices, UsageLedger, line_items, matches

WIDTHS = {"1m": 60, "1h": 3600, "1d": 86400}
#: (default, max) buckets per page, per width, as OpenAI documents them.
LIMITS = {"1m": (60, 1440), "1h": (24, 168), "1d": (7, 31)}
COSTS_LIMITS = (7, 180)
#: The group_by fields each kind accepts, as the spec lists them.
GROUPS = {
    "completions": ("project_id", "user_id", "api_key_id", "model", "batch", "service_tier"),
    "embeddings": ("project_id", "user_id", "api_key_id", "model"),
    "moderations": ("project_id", "user_id", "api_key_id", "model"),
    "images": ("project_id", "user_id", "api_key_id", "model", "size", "source"),
    "audio_speeches": ("project_id", "user_id", "api_key_id", "model"),
    "audio_transcriptions": ("project_id", "user_id", "api_key_id", "model"),
    "vector_stores": ("project_id",),
}
COST_GROUPS = ("project_id", "line_item", "api_key_id")


@dataclass(frozen=True)
class Query:
    start: int
    end: int
    width: str
    limit: int
    page: int | None
    group_by: tuple[str, ...]
    filters: dict[str, set[Any] | None]


def parse_query(params: Mapping[str, Sequence[str]], groups: Sequence[str], costs: bool = False) -> Query:
    """The query string, checked as OpenAI checks it (400 naming the parameter)."""

    def one(name: str) -> str | None:
        values = params.get(name) or params.get(f"{name}[]")
        return values[-1] if values else None

    def many(name: str) -> list[str] | None:
        values = [*params.get(name, ()), *params.get(f"{name}[]", ())]
        return [v for value in values for v in value.split(",") if v] or None

    def integer(name: str) -> int | None:
        value = one(name)
        if value is None:
            return None
        try:
            return int(value)
        except ValueError:
            raise InvalidRequestError(f"'{value}' is not a valid integer.", param=name) from None

    start = integer("start_time")
    if start is None:
        raise InvalidRequestError("Missing required parameter: 'start_time'.", param="start_time")
    end = integer("end_time") or int(time.time()) + 1
    if end <= start:
        raise InvalidRequestError("'end_time' must be after 'start_time'.", param="end_time")
    width = one("bucket_width") or "1d"
    allowed_widths = ("1d",) if costs else tuple(WIDTHS)
    if width not in allowed_widths:
        raise InvalidRequestError(
            f"Invalid bucket_width '{width}': expected one of {', '.join(allowed_widths)}.",
            param="bucket_width",
        )
    default, most = COSTS_LIMITS if costs else LIMITS[width]
    limit = integer("limit") or default
    if not 1 <= limit <= most:
        raise InvalidRequestError(f"'limit' must be between 1 and {most} for {width} buckets.", param="limit")
    page = one("page")
    cursor = None
    if page is not None:
        try:
            cursor = int(page.removeprefix("page_"))
        except ValueError:
            raise InvalidRequestError(f"Invalid page cursor '{page}'.", param="page") from None
    group_by = tuple(many("group_by") or ())
    for field in group_by:
        if field not in groups:
            raise InvalidRequestError(
                f"Invalid group_by '{field}': expected any of {', '.join(groups)}.", param="group_by"
            )
    filters: dict[str, set[Any] | None] = {
        "project_id": set(many("project_ids") or ()) or None,
        "api_key_id": set(many("api_key_ids") or ()) or None,
        "model": set(many("models") or ()) or None,
    }
    batch = one("batch")
    if batch is not None:
        if batch.lower() not in ("true", "false"):
            raise InvalidRequestError(
                f"'{batch}' is not a valid boolean: expected true or false.", param="batch"
            )
        filters["batch"] = {batch.lower() == "true"}
    for name, field in (("sources", "source"), ("sizes", "size")):
        filters[field] = set(many(name) or ()) or None
    if many("user_ids"):  # FakeAI has no users: a filter on them matches nothing
        filters["project_id"] = set()
    return Query(start, end, width, limit, cursor, group_by, filters)


def _buckets(query: Query) -> tuple[list[int], int | None]:
    """The bucket starts of this page, and the next page's first bucket (None: no more)."""
    width = WIDTHS[query.width]
    first = (query.page if query.page is not None else query.start) // width * width
    starts = list(range(first, query.end, width))
    return starts[: query.limit], (starts[query.limit] if len(starts) > query.limit else None)


def _page(data: list[dict[str, Any]], following: int | None) -> dict[str, Any]:
    return {
        "object": "page",
        "data": data,
        "has_more": following is not None,
        "next_page": None if following is None else f"page_{following}",
    }


def usage(ledger: UsageLedger, kind: str, query: Query, levels: dict[str, int]) -> dict:
    """``/organization/usage/{kind}``: one bucket per width, its results grouped. ``levels``: for
    vector_stores, the bytes each project holds now."""
    starts, following = _buckets(query)
    width = WIDTHS[query.width]
    groups: dict[int, dict[tuple, dict[str, Any]]] = {start: {} for start in starts}
    if kind == "vector_stores":
        # A level, not a sum: what the stores hold now, reported in the bucket that holds now.
        now = int(time.time()) // width * width
        if now in groups:
            for project, size in levels.items():
                if matches(Key(now, kind, project, None, ""), {"project_id": query.filters["project_id"]}):
                    group = (project,) if "project_id" in query.group_by else ()
                    line = groups[now].setdefault(group, {"usage_bytes": 0})
                    line["usage_bytes"] += size
    else:
        fields = (*FIELDS[kind], "num_model_requests")
        for key, counts in ledger.lines(kind):
            start = key.minute // width * width
            if start not in groups or not matches(key, query.filters):
                continue
            group = tuple(_group_value(key, field) for field in query.group_by)
            line = groups[start].setdefault(group, dict.fromkeys(fields, 0))
            for name in fields:
                line[name] += counts[name]
    data = []
    for start in starts:
        results = []
        for group, totals in groups[start].items():
            named = dict(zip(query.group_by, group, strict=True))
            result = {"object": f"organization.usage.{kind}.result"}
            result |= {name: int(value) for name, value in totals.items()}
            result |= {field: named.get(field) for field in GROUPS[kind]}
            results.append(result)
        data.append({"object": "bucket", "start_time": start, "end_time": start + width, "results": results})
    return _page(data, following)


def costs(ledger: UsageLedger, query: Query, prices: Prices) -> dict:
    """``/organization/costs``: the priced token usage per day, grouped by project, line item, key."""
    starts, following = _buckets(query)
    width = WIDTHS[query.width]
    groups: dict[int, dict[tuple, float]] = {start: {} for start in starts}
    filters = {"project_id": query.filters["project_id"], "api_key_id": query.filters["api_key_id"]}
    for key, counts in ledger.lines():
        start = key.minute // width * width
        price = prices(key.model)
        if start not in groups or price is None or not matches(key, filters):
            continue
        for item, amount in line_items(key.kind, counts, price, key.batch):
            fields = {
                "project_id": key.project_id,
                "api_key_id": key.api_key_id,
                "line_item": f"{key.model}, {item}",
            }
            group = tuple(fields[field] for field in query.group_by)
            groups[start][group] = groups[start].get(group, 0.0) + amount
    data = []
    for start in starts:
        results = []
        for group, value in groups[start].items():
            named = dict(zip(query.group_by, group, strict=True))
            results.append(
                {
                    "object": "organization.costs.result",
                    "amount": {"value": value, "currency": "usd"},
                    **{field: named.get(field) for field in COST_GROUPS},
                }
            )
        data.append({"object": "bucket", "start_time": start, "end_time": start + width, "results": results})
    return _page(data, following)


def _group_value(key: Key, field: str) -> Any:
    if field in ("user_id", "service_tier"):
        return None if field == "user_id" else "default"
    return getattr(key, field)


PER_MODEL_COLUMNS = ("model", "requests", "input_tokens", "cached_input_tokens", "output_tokens", "cost_usd")


def per_model(ledger: UsageLedger, prices: Prices) -> list[tuple]:
    """Completions and embeddings usage per model since start, priced; the costliest first."""
    costs = ledger.cost_by_model(prices)
    rows: dict[str, list[float]] = {}
    for kind, model, _, counts in ledger.totals():
        if kind not in ("completions", "embeddings"):
            continue
        row = rows.setdefault(model, [0, 0, 0, 0])
        row[0] += counts["num_model_requests"]
        row[1] += counts["input_tokens"]
        row[2] += counts.get("input_cached_tokens", 0)
        row[3] += counts.get("output_tokens", 0)
    table = [(m, *map(int, r), round(costs.get(m, 0.0), 6)) for m, r in rows.items()]
    return sorted(table, key=lambda row: -row[5])
