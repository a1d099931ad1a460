"""Everything one app owns, built by ``create_app``: nothing here is global."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from fakeai.catalog import Catalog
from fakeai.content.text import ProseLibrary
from fakeai.engine import Cluster, LoopClock
from fakeai.engine.clock import Clock
from fakeai.engine.tokenizer import Tokenizers
from fakeai.metrics import Metrics
from fakeai.settings import Settings
from fakeai.simulation import build_cluster


@dataclass(slots=True)
class AppState:
    settings: Settings
    catalog: Catalog
    tokenizers: Tokenizers
    prose: ProseLibrary
    engine: Cluster
    started_at: float = field(default_factory=time.time)
    #: True once every catalog vocabulary is loaded (see app.lifespan); /health/ready reports it.
    ready: bool = False
    #: The metrics reading the engine; None until the app owns a cluster (the metrics routes answer 503).
    metrics: Metrics | None = None

    @classmethod
    def build(cls, settings: Settings, clock: Clock | None = None) -> AppState:
        tokenizers = Tokenizers()
        return cls(
            settings=settings,
            catalog=Catalog.bundled(strict=settings.strict_models),
            tokenizers=tokenizers,
            prose=ProseLibrary(tokenizers),
            engine=build_cluster(settings, clock or LoopClock(settings.time_scale)),
        )
