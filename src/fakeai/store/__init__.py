"""One storage seam for every stateful family (files, uploads, batches, fine-tuning, vector stores,
responses, conversations, ...): JSON objects in collections keyed by (project, kind, id), plus blobs.

A family never sees another project's data: it asks ``state.store.project(identity.project)`` for a
``ProjectStore`` view, and every call on that view is scoped to the project (see docs/store.md).
"""

from fakeai.store.base import Backend, Page, ProjectStore, StorageFullError, Store, new_id
from fakeai.store.memory import MemoryBackend
from fakeai.store.open import open_store

__all__ = [
    "Backend",
    "MemoryBackend",
    "Page",
    "ProjectStore",
    "StorageFullError",
    "Store",
    "new_id",
    "open_store",
]
