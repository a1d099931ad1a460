"""``/v1/files`` and ``/v1/uploads``: stored bytes, the input and output of batches, fine-tuning and
vector stores."""
