"""Relevance of passages to a query, for the rerankers: the embeddings' cosine (content/embeddings.py) plus
BM25 over the request's own passages, as a cross-encoder's logit.

``logit = 14 * cosine + 6 * bm25 / (bm25 + 3) - 6``: an unrelated passage sits near -6, one that shares the
query's rarer words rises to about +2..+8, in the range NVIDIA's rerankers report. BM25 (k1 = 1.2,
b = 0.75) takes its document frequencies from the passages of the request, so words that every passage
has count for little. ``relevance_score`` (Cohere, Jina, vLLM) is the logit's sigmoid.
"""

from __future__ import annotations

import math
import re
from collections import Counter

import numpy as np

from fakeai.content.embeddings import STOPWORDS, Embedder

_WORD = re.compile(r"\w+")
_STEM = 6  # letters a word keeps: a crude stemmer ("embeddings" and "embedded" meet at "embedd")
K1, B = 1.2, 0.75
COSINE_WEIGHT, BM25_WEIGHT, BIAS, BM25_HALF = 14.0, 6.0, -6.0, 3.0


def _terms(text: str) -> list[str]:
    return [w[:_STEM] for w in _WORD.findall(text.casefold()) if w not in STOPWORDS]


def bm25(query: str, passages: list[str]) -> np.ndarray:
    """Okapi BM25 of each passage for ``query``, with document frequencies from ``passages``."""
    docs = [Counter(_terms(p)) for p in passages]
    n = len(docs)
    if n == 0:
        return np.zeros(0)
    lengths = np.array([sum(d.values()) for d in docs], dtype=np.float64)
    average = max(float(lengths.mean()), 1.0)
    scores = np.zeros(n)
    for term in set(_terms(query)):
        df = sum(1 for d in docs if term in d)
        if not df:
            continue
        idf = math.log(1.0 + (n - df + 0.5) / (df + 0.5))
        tf = np.array([d.get(term, 0) for d in docs], dtype=np.float64)
        scores += idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * lengths / average))
    return scores


def logits(embedder: Embedder, query: str, passages: list[str]) -> np.ndarray:
    """A cross-encoder-like logit per passage (see the module docstring)."""
    if not passages:
        return np.zeros(0)
    vectors = embedder.embed([query, *passages])
    cosine = vectors[1:] @ vectors[0]
    lexical = bm25(query, passages)
    return COSINE_WEIGHT * cosine.astype(np.float64) + BM25_WEIGHT * lexical / (lexical + BM25_HALF) + BIAS


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))
