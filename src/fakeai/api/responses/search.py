"""The simulated built-in search tools, each a call item before the answer and annotations on its text.

``web_search``: a search call item and ``url_citation`` annotations.

Nothing is fetched. The query is the user's last message; the sources are drawn from it with a seeded
RNG, on clearly fake domains under ``.example`` (reserved by RFC 2606, so no one can mistake a citation
for a real page or follow it anywhere). The same seed and query give the same sources.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Any, Protocol

from fakeai.content.text import derive_seed
from fakeai.content.tools import words

_SITES = (
    "daily-digest",
    "field-notes",
    "open-almanac",
    "the-ledger",
    "civic-wire",
    "northern-review",
    "atlas-encyclopedia",
    "market-brief",
    "science-journal",
    "travel-guide",
)
_SENTENCE = re.compile(r"[^.!?]+[.!?]")


class BuiltIn(Protocol):
    """One built-in tool call of a response: its item, and the annotations it puts on the answer."""

    kind: str  # the item type: "web_search_call", "file_search_call"
    prefix: str  # of the item id

    def item(self, id: str) -> dict[str, Any]: ...

    def annotations(self, text: str) -> list[dict[str, Any]]: ...


@dataclass(frozen=True, slots=True)
class Source:
    url: str
    title: str


@dataclass(frozen=True, slots=True)
class Search:
    query: str
    sources: tuple[Source, ...]
    show_sources: bool = False  # include: web_search_call.action.sources
    kind: str = "web_search_call"
    prefix: str = "ws_"

    @classmethod
    def run(cls, query: str, server_seed: int | None, seed: int | None, show_sources: bool) -> Search:
        rng = random.Random(derive_seed(server_seed, seed, "web_search", query))
        topic = sorted(words(query)) or ["news"]
        slug = "-".join(topic[:4])
        title = " ".join(topic[:4]).title()
        sites = rng.sample(_SITES, 3)
        sources = tuple(
            Source(
                f"https://{site}.example/{slug}-{rng.randrange(1000, 9999)}",
                f"{title} - {site.replace('-', ' ').title()}",
            )
            for site in sites
        )
        return cls(query or "latest news", sources, show_sources)

    def item(self, id: str) -> dict[str, Any]:
        action: dict[str, Any] = {"type": "search", "query": self.query, "queries": [self.query]}
        if self.show_sources:
            action["sources"] = [{"type": "url", "url": s.url} for s in self.sources]
        return {"id": id, "type": "web_search_call", "status": "completed", "action": action}

    def annotations(self, text: str) -> list[dict[str, Any]]:
        """One citation per sentence of ``text``, for as many sentences as there are sources."""
        result = []
        for source, match in zip(self.sources, _SENTENCE.finditer(text), strict=False):
            start = match.start() + len(match.group()) - len(match.group().lstrip())
            result.append(
                {
                    "type": "url_citation",
                    "start_index": start,
                    "end_index": match.end(),
                    "url": source.url,
                    "title": source.title,
                }
            )
        return result
