"""The simulated inference engine: when each token leaves and what it costs.

It knows nothing of HTTP, JSON or OpenAI field names; the API services translate to and from it.
"""

from fakeai.engine.clock import Clock, LoopClock, VirtualClock
from fakeai.engine.cluster import Cluster, RouterPolicy, make_router
from fakeai.engine.config import WorkerConfig
from fakeai.engine.engine import Worker
from fakeai.engine.latency import FixedLatency, Jitter, LatencyModel, PerTokenLatency
from fakeai.engine.observer import EngineObserver, FinishedRequest, GpuSpec, NullObserver, WorkerSnapshot
from fakeai.engine.profiles import ProfileLatency, load_profile, profile_names
from fakeai.engine.scheduler import Sequence, Wakeup
from fakeai.engine.types import EngineOverloaded, EngineRequest, ExceedsKVCapacity

__all__ = [
    "Clock",
    "Cluster",
    "EngineObserver",
    "EngineOverloaded",
    "EngineRequest",
    "ExceedsKVCapacity",
    "FinishedRequest",
    "FixedLatency",
    "GpuSpec",
    "Jitter",
    "LatencyModel",
    "LoopClock",
    "NullObserver",
    "PerTokenLatency",
    "ProfileLatency",
    "RouterPolicy",
    "Sequence",
    "VirtualClock",
    "Wakeup",
    "Worker",
    "WorkerConfig",
    "WorkerSnapshot",
    "load_profile",
    "make_router",
    "profile_names",
]
