"""Embedding vectors that carry a lexical signal: unit-norm, deterministic per (model, text), and texts that
share words (or parts of words) score a higher cosine than unrelated ones.

The method (a hashed bag of n-grams, then a seeded orthogonal mixing), all numpy over a whole batch:

1. Normalise: casefold; words are runs of ``\\w`` (Unicode letters, digits, underscore).
2. Features, each hashed to 64 bits: word unigrams (weight 1.0), word bigrams (0.6) and the character
   3-, 4- and 5-grams of each word framed by spaces (0.2 each; they match morphological variants such as
   "embed"/"embedding"). Stopwords, and the n-grams of stopwords, weigh 0.1: an idf-like weighting that
   needs no corpus; other words weigh more as they get longer (rarer, by Zipf), up to 1.0 at 7 letters.
3. Sublinear term frequency: a feature seen ``c`` times in a text weighs ``w * (1 + ln c)``.
4. Feature hashing into ``P`` (4096, or the next power of two above the model's dimension) signed
   buckets, then a model-seeded random sign flip, an orthonormal real Fourier transform, and a seeded
   choice of ``dimensions`` of its ``P`` coordinates: a subsampled randomized Fourier transform, a
   Johnson-Lindenstrauss projection that keeps cosines (exactly when ``dimensions == P``) and spreads
   every feature over every coordinate, so vectors are dense like a real model's.
5. Normalise to unit length. Any prefix of the coordinates is itself such a projection, which is why
   shortening to ``dimensions`` and re-normalising (as OpenAI's v3 models allow) keeps the signal.

Limits: the signal is lexical. Synonyms and paraphrases with no shared words or word pieces score near 0
(about ``1/sqrt(dimensions)`` of noise); word order counts only through bigrams; there is no notion of
language. Cosines of unrelated texts sit near 0, not around 0.1-0.3 as with OpenAI's models.
"""

from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass

import numpy as np

from fakeai.content.text import derive_seed

#: Hashed feature space: the smallest power of two that is at least this, and at least the dimension.
MIN_BUCKETS = 4096
#: Texts hashed at once: bounds the working memory of one call.
CHUNK = 256
_WORD = re.compile(r"\w+")
_U64 = np.uint64
_MUL = _U64(0x100000001B3)  # FNV-1a's 64-bit prime: the rolling hash's multiplier
_NGRAMS = (3, 4, 5)
_UNIGRAM, _BIGRAM, _CHAR = 1.0, 0.6, 0.2  # class weights (see the module docstring)
_STOP_WEIGHT = 0.1
_FULL_WEIGHT_LETTERS = 7

_STOPWORD_TEXT = (
    "a about above after again against all am an and any are as at be because been before being below "
    "between both but by can could did do does doing down during each few for from further had has have "
    "having he her here hers herself him himself his how i if in into is it its itself just me more most "
    "my myself no nor not now of off on once only or other our ours ourselves out over own same she "
    "should so some such than that the their theirs them themselves then there these they this those "
    "through to too under until up very was we were what when where which while who whom why will with "
    "would you your yours yourself yourselves"
)
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def _mix(h: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser over uint64 arrays (wrapping arithmetic): neighbouring inputs, far outputs."""
    h = h ^ (h >> _U64(30))
    h = h * _U64(0xBF58476D1CE4E5B9)
    h = h ^ (h >> _U64(27))
    h = h * _U64(0x94D049BB133111EB)
    return h ^ (h >> _U64(31))


@dataclass(slots=True)
class _Features:
    """Every feature of a batch: the text it belongs to, its 64-bit hash and its weight."""

    text: np.ndarray  # int64
    hash: np.ndarray  # uint64
    weight: np.ndarray  # float64


def _features(texts: list[str], stop_hashes: np.ndarray) -> _Features:
    # One codepoint array for the whole batch: " w1 w2 " per text, texts separated by NUL.
    joined = "\x00".join(" " + " ".join(_WORD.findall(t.casefold())) + " " for t in texts)
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    size = len(codes)
    sep = codes == 0
    space = (codes == 32) | sep
    text_of = np.cumsum(sep)  # text index of every position
    starts = np.flatnonzero(~space[1:] & space[:-1]) + 1  # first letter of each word
    ends = np.flatnonzero(~space[:-1] & space[1:]) + 1  # one past its last letter
    words = len(starts)
    word_of = np.cumsum(np.bincount(starts, minlength=size)) - 1  # word index at each position
    # Word hashes: a sum of position-mixed letters, mixed once more (order-sensitive within a word).
    offsets = np.arange(size, dtype=np.int64) - starts[np.maximum(word_of, 0)] if words else np.zeros(size)
    letter = _mix(codes + (offsets.astype(np.uint64) << _U64(21)))
    letter[space] = 0
    word_hash = _mix(np.add.reduceat(letter, starts) if words else np.zeros(0, np.uint64))
    lengths = ends - starts
    stop = np.isin(word_hash, stop_hashes)
    word_weight = np.where(stop, _STOP_WEIGHT, np.minimum(1.0, 0.4 + 0.6 * lengths / _FULL_WEIGHT_LETTERS))
    word_text = text_of[starts]

    parts_text = [word_text]
    parts_hash = [word_hash ^ _U64(0x1)]
    parts_weight = [_UNIGRAM * word_weight]
    if words > 1:
        same = word_text[1:] == word_text[:-1]
        pair = _mix(word_hash[:-1] * _U64(31) + word_hash[1:])[same]
        parts_text.append(word_text[1:][same])
        parts_hash.append(pair ^ _U64(0x2))
        parts_weight.append(_BIGRAM * np.sqrt(word_weight[:-1] * word_weight[1:])[same])
    for n in _NGRAMS:
        count = size - n + 1
        if count <= 0:
            continue
        # A window is a framed piece of one word: no separator anywhere, no space inside it.
        bad = sep[:count] | sep[n - 1 : n - 1 + count]
        for k in range(1, n - 1):
            bad = bad | space[k : k + count]
        h = np.zeros(count, dtype=np.uint64)
        for k in range(n):
            h = h * _MUL + codes[k : k + count]
        keep = np.flatnonzero(~bad)
        owner = word_of[np.minimum(keep + 1, size - 1)]  # the window's word (its first letter is at +0 or +1)
        parts_text.append(text_of[keep])
        parts_hash.append(_mix(h[keep] + _U64(n)))
        parts_weight.append(_CHAR * word_weight[owner])
    return _Features(np.concatenate(parts_text), np.concatenate(parts_hash), np.concatenate(parts_weight))


class Embedder:
    """The vectors of one model: ``dimensions`` coordinates, seeded by the model's name. Thread-safe
    (its state is read-only once built)."""

    def __init__(self, model: str, dimensions: int) -> None:
        if dimensions < 1:
            raise ValueError("dimensions must be at least 1")
        self.model = model
        self.dimensions = dimensions
        self.buckets = max(MIN_BUCKETS, 1 << (dimensions - 1).bit_length())
        rng = np.random.default_rng(derive_seed("embedding", model) & (2**63 - 1))
        self._signs = rng.choice(np.array([-1.0, 1.0]), size=self.buckets)
        coords = rng.permutation(self.buckets)[:dimensions]
        take, scale = _real_basis(self.buckets)
        self._take, self._scale = take[coords], scale[coords]
        self._stop = _mix(np.array(sorted(_word_hashes(STOPWORDS)), dtype=np.uint64))

    def embed(self, texts: list[str], dimensions: int | None = None) -> np.ndarray:
        """Unit-norm float32 vectors, one row per text, of the model's first ``dimensions`` coordinates
        (all of them by default), re-normalised after shortening."""
        dims = self.dimensions if dimensions is None else dimensions
        if len(texts) <= CHUNK:
            return self._embed(texts, dims)
        # Chunks bound the hashed matrix (CHUNK x buckets float64: 8 MiB at 4096 buckets).
        return np.concatenate([self._embed(texts[i : i + CHUNK], dims) for i in range(0, len(texts), CHUNK)])

    def _embed(self, texts: list[str], dims: int) -> np.ndarray:
        n = len(texts)
        if n == 0:
            return np.zeros((0, dims), dtype=np.float32)
        p = self.buckets
        f = _features(texts, self._stop)
        key = (f.text.astype(np.uint64) << _U64(44)) | (f.hash >> _U64(20))
        unique, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
        mean = np.bincount(inverse, weights=f.weight) / counts
        weight = mean * (1.0 + np.log(counts))
        low = unique & _U64((1 << 44) - 1)
        bucket = (low & _U64(p - 1)).astype(np.int64)
        sign = np.where((low >> _U64(43)) & _U64(1), -1.0, 1.0)
        text = (unique >> _U64(44)).astype(np.int64)
        # The model's random sign flip folds into the weights; rows are float32 from here on.
        signed = weight * sign * self._signs[bucket]
        x = np.bincount(text * p + bucket, weights=signed, minlength=n * p).astype(np.float32).reshape(n, p)
        for row in np.flatnonzero(np.bincount(text, minlength=n) == 0):
            # No word at all ("", "!!!"): one feature from the raw text, so that it is still a unit vector.
            raw = derive_seed("raw", texts[row])
            x[row, raw % p] = 1.0 if raw & (1 << 40) else -1.0
        spectrum = np.fft.rfft(x, axis=1, norm="ortho").view(np.float32)  # re, im interleaved
        vectors = spectrum[:, self._take[:dims]] * self._scale[:dims]
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, np.float32(1e-12))


def _real_basis(p: int) -> tuple[np.ndarray, np.ndarray]:
    """Coordinate ``c`` of the orthonormal real DFT of a length-``p`` row, as (index into the interleaved
    re/im rfft output, scale): re 0, then sqrt(2) re 1..p/2-1, sqrt(2) im 1..p/2-1, then re p/2."""
    half = p // 2
    take = np.empty(p, dtype=np.int64)
    scale = np.full(p, math.sqrt(2.0), dtype=np.float32)
    take[0], scale[0] = 0, 1.0
    take[1:half] = 2 * np.arange(1, half)
    take[half : p - 1] = 2 * np.arange(1, half) + 1
    take[p - 1], scale[p - 1] = 2 * half, 1.0
    return take, scale


def _word_hashes(words: frozenset[str]) -> list[int]:
    """The pre-mix word hashes of ``_features`` for single words (to recognise stopwords by hash)."""
    hashes = []
    for word in words:
        codes = np.frombuffer(word.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        offsets = np.arange(len(codes), dtype=np.uint64) << _U64(21)
        hashes.append(int(np.add.reduce(_mix(codes + offsets))))
    return hashes


class Embedders:
    """The embedders one app has built, one per (model, dimension); no module-level cache."""

    def __init__(self) -> None:
        self._built: dict[tuple[str, int], Embedder] = {}
        self._lock = threading.Lock()

    def get(self, model: str, dimensions: int) -> Embedder:
        key = (model, dimensions)
        embedder = self._built.get(key)
        if embedder is None:
            with self._lock:
                embedder = self._built.setdefault(key, Embedder(model, dimensions))
        return embedder


def cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine of unit vectors: row-wise dot products of ``a`` (m, d) with ``b`` (n, d) -> (m, n)."""
    return a @ b.T
