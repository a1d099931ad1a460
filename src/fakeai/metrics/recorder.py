"""The per-app ``EngineObserver``: histograms and per-model counters fed by the engine's events, plus the
one hook the API layer calls per request outcome.

Cost matters: ``tokens()`` runs once per sequence per engine step (up to ~100k calls/s), so it does one
dict lookup and a few list increments, and never allocates on a known series. Gauges are not kept here:
the renderers read them from ``WorkerSnapshot`` at scrape time.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass

from fakeai.engine.observer import FinishedRequest
from fakeai.metrics import histogram as buckets
from fakeai.metrics.histogram import Histogram, window

#: Dynamo's ``error_type`` values (lib/llm/src/http/service/metrics.rs); "none" on success.
ERROR_TYPES = frozenset(
    {"none", "validation", "not_found", "overload", "unavailable", "cancelled", "response_timeout",
     "internal", "not_implemented"}
)  # fmt: skip


def error_type_for_status(status: int) -> str:
    """Dynamo's classification of an HTTP status: what ``request_outcome`` expects as ``error_type``."""
    if status < 400:
        return "none"
    return {400: "validation", 404: "not_found", 413: "validation", 422: "validation", 429: "overload",
            499: "cancelled", 501: "not_implemented", 503: "unavailable", 504: "response_timeout",
            529: "overload"}.get(status, "validation" if status < 500 else "internal")  # fmt: skip


class WorkerLast:
    """Dynamo's per-worker "last observed" gauges."""

    __slots__ = ("input_tokens", "itl", "ttft")

    def __init__(self) -> None:
        self.ttft: float | None = None  # seconds
        self.input_tokens: int | None = None
        self.itl: float | None = None  # seconds per token


class ModelSeries:
    """One model across all workers: the Dynamo frontend's view, and the JSON summary's windows."""

    __slots__ = ("cached", "duration", "e2e_window", "input_tokens", "itl", "itl_window", "output_tokens",
                 "output_tokens_total", "queue_window", "ttft", "ttft_window")  # fmt: skip

    def __init__(self, size: int) -> None:
        self.duration = Histogram(buckets.DYNAMO_REQUEST_DURATION)
        self.ttft = Histogram(buckets.DYNAMO_TTFT)
        self.itl = Histogram(buckets.DYNAMO_ITL)
        self.input_tokens = Histogram(buckets.DYNAMO_INPUT_TOKENS)
        self.output_tokens = Histogram(buckets.DYNAMO_OUTPUT_TOKENS)
        self.cached = Histogram(buckets.DYNAMO_INPUT_TOKENS)
        self.output_tokens_total = 0
        self.ttft_window, self.itl_window = window(size), window(size)
        self.e2e_window, self.queue_window = window(size), window(size)


class Series:
    """One (model, worker): vLLM's label set ``{model_name, engine}``."""

    __slots__ = ("decode", "e2e", "finished", "generation_tokens", "generation_tokens_hist", "inference",
                 "itl", "last", "max_generation_tokens", "max_tokens", "model", "n", "preemptions",
                 "prefill", "prefix_hits", "prefix_queries", "prompt_tokens", "prompt_tokens_hist",
                 "queue", "tpot", "ttft")  # fmt: skip

    def __init__(self, model: ModelSeries, last: WorkerLast, token_buckets: list[float]) -> None:
        self.model, self.last = model, last
        self.ttft = Histogram(buckets.VLLM_TTFT)
        self.itl = Histogram(buckets.VLLM_ITL)
        self.tpot = Histogram(buckets.VLLM_ITL)
        self.e2e, self.queue = Histogram(buckets.VLLM_REQUEST_TIME), Histogram(buckets.VLLM_REQUEST_TIME)
        self.inference = Histogram(buckets.VLLM_REQUEST_TIME)
        self.prefill, self.decode = Histogram(buckets.VLLM_REQUEST_TIME), Histogram(buckets.VLLM_REQUEST_TIME)
        self.prompt_tokens_hist, self.generation_tokens_hist = (
            Histogram(token_buckets),
            Histogram(token_buckets),
        )
        self.max_generation_tokens, self.max_tokens = Histogram(token_buckets), Histogram(token_buckets)
        self.n = Histogram(buckets.VLLM_PARAMS_N)
        self.prompt_tokens = self.generation_tokens = 0
        self.prefix_queries = self.prefix_hits = self.preemptions = 0
        self.finished: dict[str, int] = {}  # by finish_reason


@dataclass(frozen=True, slots=True)
class Outcome:
    """The labels of Dynamo's ``requests_total``."""

    model: str
    endpoint: str
    request_type: str  # "stream" | "unary"
    status: str  # "success" | "error"
    error_type: str


class Recorder:
    """Implements ``fakeai.engine.observer.EngineObserver``. One per app; pass it to the cluster.

    ``max_model_len`` sets the 1-2-5 buckets of the token histograms, as vLLM builds them from its
    ``max_model_len``; ``window`` is how many recent observations per model the JSON percentiles use.
    """

    def __init__(self, max_model_len: int = 131072, window: int = 2048) -> None:
        self._token_buckets = buckets.build_1_2_5_buckets(max_model_len)
        self._window = window
        self.series: dict[tuple[str, int], Series] = {}
        self.models: dict[str, ModelSeries] = {}
        self.workers: dict[int, WorkerLast] = {}
        self.iterations: dict[int, Histogram] = {}  # tokens per engine step, per worker
        self._outcomes: dict[tuple[str, str, bool, str], int] = {}  # (model, endpoint, stream, error_type)

    def reset(self) -> None:
        """Forget every count and observation (the control API's reset between tests)."""
        self.series.clear()
        self.models.clear()
        self.workers.clear()
        self.iterations.clear()
        self._outcomes.clear()

    def _add(self, model: str, worker: int) -> Series:
        per_model = self.models.get(model)
        if per_model is None:
            per_model = self.models[model] = ModelSeries(self._window)
        last = self.workers.get(worker)
        if last is None:
            last = self.workers[worker] = WorkerLast()
        series = self.series[model, worker] = Series(per_model, last, self._token_buckets)
        return series

    # --- EngineObserver -------------------------------------------------------------------------------

    def first_token(
        self, worker: int, model: str, ttft: float, prompt_tokens: int, cached_tokens: int, emitted: int = 1
    ) -> None:
        # Observations are inlined here and in finished(): a method call costs as much as the update.
        s = self.series.get((model, worker)) or self._add(model, worker)
        h = s.ttft
        h.counts[bisect_left(h.keys, ttft)] += 1
        h.sum += ttft
        s.prompt_tokens += prompt_tokens
        s.generation_tokens += emitted  # the first token itself (later ones arrive through tokens())
        # Queries and hits per model, as vLLM counts them (tokens looked up / found at admission): the
        # snapshot has them only per worker, and a worker here serves many models.
        s.prefix_queries += prompt_tokens
        s.prefix_hits += cached_tokens
        m = s.model
        h = m.ttft
        h.counts[bisect_left(h.keys, ttft)] += 1
        h.sum += ttft
        # Dynamo observes ISL and cached tokens at the first token
        h = m.input_tokens
        h.counts[bisect_left(h.keys, prompt_tokens)] += 1
        h.sum += prompt_tokens
        h = m.cached
        h.counts[bisect_left(h.keys, cached_tokens)] += 1
        h.sum += cached_tokens
        m.output_tokens_total += emitted
        m.ttft_window.append(ttft)
        last = s.last
        last.ttft, last.input_tokens = ttft, prompt_tokens

    def tokens(self, worker: int, model: str, count: int, gap: float, sequences: int = 1) -> None:
        # The hottest call of all: histogram updates are inlined (a method call costs as much as the
        # update itself), and the engine reports a pass's equal emissions in one call (``sequences``).
        s = self.series.get((model, worker)) or self._add(model, worker)
        h = s.itl
        h.counts[bisect_left(h.keys, gap)] += sequences
        h.sum += gap * sequences
        tokens = count * sequences
        if count > 1:  # the others came 0 s after it: the first bucket, nothing added to the sum
            h.counts[0] += tokens - sequences
        s.generation_tokens += tokens
        # Dynamo's frontend spreads a response's gap evenly over its tokens
        per_token = gap / count
        m = s.model
        h = m.itl
        h.counts[bisect_left(h.keys, per_token)] += tokens
        h.sum += gap * sequences
        m.output_tokens_total += tokens
        if sequences == 1:
            m.itl_window.append(per_token)
        else:
            m.itl_window.extend([per_token] * min(sequences, m.itl_window.maxlen or sequences))
        s.last.itl = per_token

    def step(self, worker: int, tokens: int, duration: float) -> None:
        iterations = self.iterations.get(worker)
        if iterations is None:
            iterations = self.iterations[worker] = Histogram(buckets.VLLM_ITERATION_TOKENS)
        iterations.observe(tokens)

    def finished(self, record: FinishedRequest) -> None:
        model, worker = record.model, record.worker
        s = self.series.get((model, worker)) or self._add(model, worker)
        m = s.model
        finish, output = record.finish, record.output_tokens
        e2e = finish - record.arrival
        finished = s.finished
        finished[record.finish_reason] = finished.get(record.finish_reason, 0) + 1
        s.preemptions += record.preemptions
        h = s.e2e
        h.counts[bisect_left(h.keys, e2e)] += 1
        h.sum += e2e
        h = s.prompt_tokens_hist
        h.counts[bisect_left(h.keys, record.prompt_tokens)] += 1
        h.sum += record.prompt_tokens
        # Generation tokens and their max per request are the same value on the same buckets (per
        # sequence: the record has no parent id): one bisect for both.
        h = s.generation_tokens_hist
        index = bisect_left(h.keys, output)
        h.counts[index] += 1
        h.sum += output
        h = s.max_generation_tokens
        h.counts[index] += 1
        h.sum += output
        h = s.max_tokens
        h.counts[bisect_left(h.keys, record.max_tokens)] += 1
        h.sum += record.max_tokens
        h = s.n
        h.counts[bisect_left(h.keys, record.n)] += 1
        h.sum += record.n
        h = m.duration
        h.counts[bisect_left(h.keys, e2e)] += 1
        h.sum += e2e
        h = m.output_tokens
        h.counts[bisect_left(h.keys, output)] += 1
        h.sum += output
        m.e2e_window.append(e2e)
        scheduled, first_token = record.scheduled, record.first_token
        if scheduled is not None:
            queue = scheduled - record.queued
            h = s.queue
            h.counts[bisect_left(h.keys, queue)] += 1
            h.sum += queue
            inference = finish - scheduled
            h = s.inference
            h.counts[bisect_left(h.keys, inference)] += 1
            h.sum += inference
            m.queue_window.append(queue)
            if first_token is not None:
                prefill = first_token - scheduled
                h = s.prefill
                h.counts[bisect_left(h.keys, prefill)] += 1
                h.sum += prefill
        if first_token is not None:
            decode = finish - first_token
            h = s.decode
            h.counts[bisect_left(h.keys, decode)] += 1
            h.sum += decode
            tpot = decode / (output - 1) if output > 1 else 0.0
            h = s.tpot
            h.counts[bisect_left(h.keys, tpot)] += 1
            h.sum += tpot

    # --- the API layer's hook -------------------------------------------------------------------------

    def request_outcome(self, model: str, endpoint: str, stream: bool, error_type: str = "none") -> None:
        """Call exactly once per API request, when its response is complete (see docs/metrics.md).

        ``endpoint``: Dynamo's name (``chat_completions``, ``completions``, ``embeddings``, ``responses``,
        ...); ``error_type``: one of ``ERROR_TYPES`` (``error_type_for_status`` maps an HTTP status).
        """
        if error_type not in ERROR_TYPES:
            raise ValueError(f"unknown error_type {error_type!r}")
        # A plain tuple key: building and hashing a frozen dataclass per request costs microseconds.
        key = (model, endpoint, stream, error_type)
        self._outcomes[key] = self._outcomes.get(key, 0) + 1

    @property
    def outcomes(self) -> Counter[Outcome]:
        """Requests by outcome (Dynamo's ``requests_total`` labels), built when read."""
        counts: Counter[Outcome] = Counter()
        for (model, endpoint, stream, error), count in self._outcomes.items():
            status = "success" if error == "none" else "error"
            counts[Outcome(model, endpoint, "stream" if stream else "unary", status, error)] = count
        return counts

    # --- reading --------------------------------------------------------------------------------------

    def series_for(self, model: str, worker: int) -> Series:
        """The series of ``(model, worker)``, created empty (all zero) if it has seen no event yet."""
        return self.series.get((model, worker)) or self._add(model, worker)

    def models_on(self, worker: int) -> set[str]:
        return {model for model, index in self.series if index == worker}
