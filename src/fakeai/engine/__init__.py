"""The simulated inference engine: when each token leaves and what it costs.

It knows nothing of HTTP, JSON or OpenAI field names; the API services translate to and from it.
"""

from fakeai.engine.clock import Clock, LoopClock, VirtualClock
from fakeai.engine.engine import Engine, RequestStream, Wakeup
from fakeai.engine.latency import FixedLatency, LatencyModel
from fakeai.engine.types import EngineRequest

__all__ = [
    "Clock",
    "Engine",
    "EngineRequest",
    "FixedLatency",
    "LatencyModel",
    "LoopClock",
    "RequestStream",
    "VirtualClock",
    "Wakeup",
]
