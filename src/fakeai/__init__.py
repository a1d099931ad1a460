"""FakeAI: an OpenAI-compatible server that simulates an LLM inference service.

The public surface is ``create_app``, ``Settings`` and ``__version__``. The first two are imported on first
use (PEP 562), so ``fakeai server`` does not import the whole app in the process that only spawns workers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.4.0.dev0"
__all__ = ["Settings", "__version__", "create_app"]

if TYPE_CHECKING:
    from fakeai.app import create_app
    from fakeai.settings import Settings


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from fakeai.app import create_app

        return create_app
    if name == "Settings":
        from fakeai.settings import Settings

        return Settings
    raise AttributeError(f"module 'fakeai' has no attribute {name!r}")
