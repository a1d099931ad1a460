from tests.api.media_fixtures import shared, shared_http

__all__ = ["shared", "shared_http"]
