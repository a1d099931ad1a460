"""Wire types of ``POST /v1/moderations``."""

from __future__ import annotations

from typing import Any

import msgspec


class ModerationRequest(msgspec.Struct, kw_only=True):
    # str | list[str] | list[text and image_url parts]: checked by the service (param "input").
    input: str | list[Any]
    model: str | None = "omni-moderation-latest"
