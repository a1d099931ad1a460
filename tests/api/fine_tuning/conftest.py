from tests.api.batches.conftest import batch_client

__all__ = ["batch_client"]
