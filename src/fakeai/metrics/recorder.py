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
        self.finished: Counter[str] = Counter()  # by finish_reason


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
        self.outcomes: Counter[Outcome] = Counter()

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
        self, worker: int, model: str, ttft: float, prompt_tokens: int, cached_tokens: int
    ) -> None:
        s = self.series.get((model, worker)) or self._add(model, worker)
        s.ttft.observe(ttft)
        s.prompt_tokens += prompt_tokens
        s.generation_tokens += 1  # the first token itself (later ones arrive through tokens())
        # Queries and hits per model, as vLLM counts them (tokens looked up / found at admission): the
        # snapshot has them only per worker, and a worker here serves many models.
        s.prefix_queries += prompt_tokens
        s.prefix_hits += cached_tokens
        m = s.model
        m.ttft.observe(ttft)
        m.input_tokens.observe(prompt_tokens)  # Dynamo observes ISL and cached tokens at the first token
        m.cached.observe(cached_tokens)
        m.output_tokens_total += 1
        m.ttft_window.append(ttft)
        s.last.ttft, s.last.input_tokens = ttft, prompt_tokens

    def tokens(self, worker: int, model: str, count: int, gap: float) -> None:
        # The hottest call of all: histogram updates are inlined (a method call costs as much as the
        # update itself).
        s = self.series.get((model, worker)) or self._add(model, worker)
        h = s.itl
        h.counts[bisect_left(h.bounds, gap)] += 1
        h.sum += gap
        if count > 1:  # the others came 0 s after it: the first bucket, nothing added to the sum
            h.counts[0] += count - 1
        s.generation_tokens += count
        # Dynamo's frontend spreads a response's gap evenly over its tokens
        per_token = gap / count
        m = s.model
        h = m.itl
        h.counts[bisect_left(h.bounds, per_token)] += count
        h.sum += gap
        m.output_tokens_total += count
        m.itl_window.append(per_token)
        s.last.itl = per_token

    def step(self, worker: int, tokens: int, duration: float) -> None:
        iterations = self.iterations.get(worker)
        if iterations is None:
            iterations = self.iterations[worker] = Histogram(buckets.VLLM_ITERATION_TOKENS)
        iterations.observe(tokens)

    def finished(self, record: FinishedRequest) -> None:
        s = self.series.get((record.model, record.worker)) or self._add(record.model, record.worker)
        e2e = record.finish - record.arrival
        s.finished[record.finish_reason] += 1
        s.e2e.observe(e2e)
        s.prompt_tokens_hist.observe(record.prompt_tokens)
        s.generation_tokens_hist.observe(record.output_tokens)
        s.max_generation_tokens.observe(record.output_tokens)  # per sequence: no parent id in the record
        s.max_tokens.observe(record.max_tokens)
        s.n.observe(record.n)
        s.preemptions += record.preemptions
        m = s.model
        m.duration.observe(e2e)
        m.output_tokens.observe(record.output_tokens)
        m.e2e_window.append(e2e)
        if record.scheduled is not None:
            queue = record.scheduled - record.queued
            s.queue.observe(queue)
            s.inference.observe(record.finish - record.scheduled)
            m.queue_window.append(queue)
            if record.first_token is not None:
                s.prefill.observe(record.first_token - record.scheduled)
        if record.first_token is not None:
            decode = record.finish - record.first_token
            s.decode.observe(decode)
            s.tpot.observe(decode / (record.output_tokens - 1) if record.output_tokens > 1 else 0.0)

    # --- the API layer's hook -------------------------------------------------------------------------

    def request_outcome(self, model: str, endpoint: str, stream: bool, error_type: str = "none") -> None:
        """Call exactly once per API request, when its response is complete (see docs/metrics.md).

        ``endpoint``: Dynamo's name (``chat_completions``, ``completions``, ``embeddings``, ``responses``,
        ...); ``error_type``: one of ``ERROR_TYPES`` (``error_type_for_status`` maps an HTTP status).
        """
        if error_type not in ERROR_TYPES:
            raise ValueError(f"unknown error_type {error_type!r}")
        status = "success" if error_type == "none" else "error"
        self.outcomes[Outcome(model, endpoint, "stream" if stream else "unary", status, error_type)] += 1

    # --- reading --------------------------------------------------------------------------------------

    def series_for(self, model: str, worker: int) -> Series:
        """The series of ``(model, worker)``, created empty (all zero) if it has seen no event yet."""
        return self.series.get((model, worker)) or self._add(model, worker)

    def models_on(self, worker: int) -> set[str]:
        return {model for model, index in self.series if index == worker}
