"""Relevance: Okapi BM25 over a vector store's chunks, with bm25s (sparse-matrix BM25 on numpy; fast to
build, exact scores, no model to download), and the query rewriting of ``rewrite_query``.

Everything here is CPU work: build and score on a thread. Scores are mapped into [0, 1) with
``s / (s + SATURATION)``, monotone, so the order is BM25's and ``score_threshold`` has a stable meaning.
"""

from __future__ import annotations

import re
from typing import Any

SATURATION = 1.0
_WORD = re.compile(r"(?u)\b\w\w+\b")


def _bm25s() -> Any:
    import bm25s  # 0.4 s to import (numpy, scipy): only once a store is searched

    return bm25s


class ChunkIndex:
    """BM25 over a fixed list of chunk texts; ``scores`` gives one score per chunk, in [0, 1)."""

    def __init__(self, chunks: list[str]) -> None:
        bm25s = _bm25s()
        self.size = len(chunks)
        self._retriever = None
        if chunks:
            tokens = bm25s.tokenize(chunks, stopwords="en", show_progress=False)
            retriever = bm25s.BM25()
            retriever.index(tokens, show_progress=False)
            self._retriever = retriever

    def scores(self, queries: list[str]) -> list[float]:
        """The best score of each chunk over the queries."""
        best = [0.0] * self.size
        if self._retriever is None:
            return best
        bm25s = _bm25s()
        for query in queries:
            [terms] = bm25s.tokenize([query], stopwords="en", return_ids=False, show_progress=False)
            if not terms:
                continue
            raw = self._retriever.get_scores(terms)
            for index, score in enumerate(raw.tolist()):
                if score > best[index]:
                    best[index] = score
        return [score / (score + SATURATION) for score in best]


_STOP_WORDS = (
    "a an and are as at be by can could do does for from how i in is it me my of on or please show tell "
    "that the their there these this to was what when where which who why will with would you your"
)
_STOP = frozenset(_STOP_WORDS.split())


def rewrite(query: str) -> str:
    """A natural-language question as a keyword query (OpenAI's ``rewrite_query``): lower case, no
    punctuation or question words."""
    words = [word for word in _WORD.findall(query.lower()) if word not in _STOP]
    return " ".join(words) or query
