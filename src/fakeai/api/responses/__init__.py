"""The Responses API (``/v1/responses``): one request read into chat's generation core, written as
Response objects and typed stream events."""
