"""Everything one app owns, built by ``create_app``: nothing here is global."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from fakeai.api.renders import RenderPool
from fakeai.catalog import Catalog
from fakeai.content.text import ProseLibrary
from fakeai.engine import Cluster, LoopClock
from fakeai.engine.clock import Clock
from fakeai.engine.tokenizer import Tokenizers
from fakeai.jobs import Jobs
from fakeai.metrics import Metrics, Recorder
from fakeai.metrics.recorder import error_type_for_status
from fakeai.metrics.stored import store_families
from fakeai.metrics.usage import UsageLedger
from fakeai.server.shutdown import Drain
from fakeai.settings import Settings
from fakeai.simulation import build_cluster
from fakeai.store import Store, open_store

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
    #: Graceful shutdown: whether the app is draining, and the requests a shutdown interrupts.
    drain: Drain = field(default_factory=Drain)

    @classmethod
    def build(cls, settings: Settings, clock: Clock | None = None) -> AppState:
        tokenizers = Tokenizers()
        recorder = Recorder(max_model_len=settings.max_model_len or DEFAULT_MAX_MODEL_LEN)
        cluster = build_cluster(settings, clock or LoopClock(settings.time_scale), recorder)
        store = open_store(settings.store, settings.store_max_bytes or None)
        metrics = Metrics(recorder, cluster, deprecated=settings.deprecated_metrics)
        metrics.add_source(store_families(store.stats))
        return cls(
            settings=settings,
            catalog=Catalog.bundled(strict=settings.strict_models),
            tokenizers=tokenizers,
            prose=ProseLibrary(tokenizers),
            engine=cluster,
            metrics=metrics,
            store=store,
            media=RenderPool(settings.media_threads, settings.media_queue),
        )

    def request_outcome(self, model: str, endpoint: str, stream: bool, status: int) -> None:
        """Count one API request's outcome (Dynamo's ``requests_total``) by its final HTTP status: call it
        once, when the response is complete (streams: after the last event or the disconnect)."""
        self.metrics.request_outcome(model, endpoint, stream, error_type_for_status(status))
