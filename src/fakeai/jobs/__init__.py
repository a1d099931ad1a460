"""Background work owned by one app: asyncio tasks on the server's loop, keyed by the object they work
on, started by requests and resumed from the store at start-up (see docs/store.md)."""

from fakeai.jobs.runner import Jobs

__all__ = ["Jobs"]
