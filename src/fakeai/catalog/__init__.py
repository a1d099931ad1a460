"""The model registry: what each model id can do, how it counts tokens, and what it costs."""

from fakeai.catalog.registry import Catalog, ModelCard, PatchCost, TileCost

__all__ = ["Catalog", "ModelCard", "PatchCost", "TileCost"]
