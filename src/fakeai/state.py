"""Everything one app owns, built by ``create_app``: nothing here is global."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from fakeai.catalog import Catalog
from fakeai.content.text import ProseLibrary
from fakeai.engine import Engine, FixedLatency, LoopClock
from fakeai.engine.clock import Clock
from fakeai.engine.tokenizer import Tokenizers
from fakeai.settings import Settings


@dataclass(slots=True)
class AppState:
    settings: Settings
    catalog: Catalog
    tokenizers: Tokenizers
    prose: ProseLibrary
    engine: Engine
    started_at: float = field(default_factory=time.time)
    #: True once every catalog vocabulary is loaded (see app.lifespan); /health/ready reports it.
    ready: bool = False

    @classmethod
    def build(cls, settings: Settings, clock: Clock | None = None) -> AppState:
        tokenizers = Tokenizers()
        latency = FixedLatency(
            ttft=settings.ttft_ms / 1000.0,
            itl=settings.itl_ms / 1000.0,
            ttft_jitter=settings.ttft_jitter_ms / 1000.0,
            itl_jitter=settings.itl_jitter_ms / 1000.0,
        )
        return cls(
            settings=settings,
            catalog=Catalog.bundled(strict=settings.strict_models),
            tokenizers=tokenizers,
            prose=ProseLibrary(tokenizers),
            engine=Engine(clock or LoopClock(), latency, seed=settings.seed),
        )
