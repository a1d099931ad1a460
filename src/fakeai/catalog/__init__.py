"""The model registry: what each model id can do, how it counts tokens, and what it costs."""

from fakeai.catalog.registry import Catalog, ModelCard

__all__ = ["Catalog", "ModelCard"]
