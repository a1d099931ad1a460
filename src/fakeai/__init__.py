"""FakeAI: an OpenAI-compatible server that simulates an LLM inference service."""

__version__ = "0.4.0.dev0"  # before the imports: modules below read it

from fakeai.app import create_app
from fakeai.settings import Settings

__all__ = ["Settings", "__version__", "create_app"]
