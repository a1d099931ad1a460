"""Everything one app owns, built by ``create_app``: nothing here is global."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from fakeai.api.renders import RenderPool
from fakeai.catalog import Catalog
from fakeai.content.text import ProseLibrary
from fakeai.engine import Cluster, LoopClock
from fakeai.engine.clock import Clock
from fakeai.engine.tokenizer import Tokenizers
from fakeai.faults.journal import Journal
from fakeai.faults.rules import Faults
from fakeai.jobs import Jobs
from fakeai.metrics import Metrics, Recorder
from fakeai.metrics.control import control_families
from fakeai.metrics.recorder import error_type_for_status
from fakeai.metrics.stored import store_families
from fakeai.metrics.usage import UsageLedger
from fakeai.security.build import build_guard
from fakeai.security.guard import Guard
from fakeai.security.ratelimit import RateLimiter
from fakeai.server.peers import Peers
from fakeai.server.shutdown import Drain
from fakeai.settings import Settings
from fakeai.simulation import build_cluster
from fakeai.store import MemoryBackend, Store, open_store

#: The token histograms' top bucket when no --max-model-len is set: the largest common context window.
DEFAULT_MAX_MODEL_LEN = 131072


@dataclass(slots=True)
class AppState:
    settings: Settings
    catalog: Catalog
    tokenizers: Tokenizers
    prose: ProseLibrary
    engine: Cluster
    #: The metrics: fed by the engine's events, reading its snapshots at scrape time.
    metrics: Metrics
    #: Threads rendering images and audio off the event loop (api/renders.py).
    media: RenderPool
    #: Every stateful family's objects and blobs (store/): ``store.project(identity.project)``.
    store: Store
    #: Background work (batches, fine-tuning, indexing): resumed from the store at start-up.
    jobs: Jobs = field(default_factory=Jobs)
    #: Per-app service objects one family shares with others, by name ("vector_stores": the search that
    #: Responses' file_search and RAG call); built on first use by the owning family.
    services: dict[str, Any] = field(default_factory=dict)
    started_at: float = field(default_factory=time.time)
    #: True once every catalog vocabulary is loaded (app.lifespan, before the first request is served).
    ready: bool = False
    #: Every finished request's usage, for the organization usage and costs API.
    usage: UsageLedger = field(default_factory=UsageLedger)
    #: The other processes of ``--workers N``, whose metrics a scrape merges (None: this is the only one).
    peers: Peers | None = None
    #: API keys, failed-auth tracking and rate limits: None without configured keys (nothing to check).
    guard: Guard | None = None
    #: ``guard.limiter``, or None: what the generation services ask after counting a prompt's tokens.
    limiter: RateLimiter | None = None
    #: Fault rules (faults/), set from the settings and the control API; and the request journal.
    faults: Faults = field(default_factory=lambda: Faults([], header=False))
    journal: Journal = field(default_factory=lambda: Journal(0))
    #: What ``reset(["store"])`` calls: each stateful family registers how to forget what it holds.
    store_resets: list[Callable[[], None]] = field(default_factory=list)
    #: Graceful shutdown: whether the app is draining, and the requests a shutdown interrupts.
    drain: Drain = field(default_factory=Drain)

    @classmethod
    def build(cls, settings: Settings, clock: Clock | None = None, first_engine: int = 0) -> AppState:
        """``first_engine``: the index (``engine`` label) of this process's first simulated worker."""
        tokenizers = Tokenizers()
        recorder = Recorder(max_model_len=settings.max_model_len or DEFAULT_MAX_MODEL_LEN)
        cluster = build_cluster(settings, clock or LoopClock(settings.time_scale), recorder, first_engine)
        store = open_store(settings.store, settings.store_max_bytes or None)
        metrics = Metrics(recorder, cluster, deprecated=settings.deprecated_metrics)
        metrics.add_source(store_families(store.stats))
        state = cls(
            settings=settings,
            catalog=Catalog.bundled(strict=settings.strict_models),
            tokenizers=tokenizers,
            prose=ProseLibrary(tokenizers),
            engine=cluster,
            metrics=metrics,
            store=store,
            media=RenderPool(settings.media_threads, settings.media_queue),
        )
        # An injected clock (tests, simulations) keeps its own seconds; the served one runs at time_scale.
        state.guard = build_guard(settings, cluster.now, settings.time_scale if clock is None else 1.0)
        state.faults = Faults(settings.faults, header=settings.fault_header)
        state.journal = Journal(settings.journal_size)
        state.limiter = None if state.guard is None else state.guard.limiter
        metrics.add_source(control_families(state))
        return state

    def reset(self, parts: Iterable[str]) -> None:
        """Forget, between two tests: ``metrics``, ``journal``, ``rate_limits`` (every bucket full again,
        failed-auth blocks lifted), ``prefix_cache`` (cached KV blocks not in use), ``store`` (every stored
        object of every family), ``fault_counts`` (rules' request counts and the injected counts)."""
        parts = set(parts)
        if "metrics" in parts:
            self.metrics.recorder.reset()
        if "journal" in parts:
            self.journal.clear()
        if "rate_limits" in parts and self.guard is not None:
            self.guard.limiter.reset()
            self.guard.failures.reset()
        if "prefix_cache" in parts:
            self.engine.reset_prefix_cache()
        if "store" in parts:
            if not self.store.durable:  # the memory store starts empty; a sqlite file is the user's to delete
                self.store.backend = MemoryBackend(self.store.backend.max_bytes)
            for forget in self.store_resets:
                forget()
        if "fault_counts" in parts:
            self.faults.reset_counts()

    def request_outcome(self, model: str, endpoint: str, stream: bool, status: int) -> None:
        """Count one API request's outcome (Dynamo's ``requests_total``) by its final HTTP status: call it
        once, when the response is complete (streams: after the last event or the disconnect)."""
        self.metrics.request_outcome(model, endpoint, stream, error_type_for_status(status))
