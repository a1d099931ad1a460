"""Keys, CORS and the journal on the RSGI front's native endpoints, with the stand-in protocol of
test_rsgi_front: the same answers as the ASGI app gives (tests/live/test_faults_live.py: for real)."""

from __future__ import annotations

import json

from starlette.testclient import TestClient

from fakeai import Settings, create_app
from fakeai.security.identity import Identity
from fakeai.server import asgi
from fakeai.server.exchange import Answer, Endpoint, Exchange, Reply
from fakeai.server.rsgi import RSGIFront
from tests.server.test_rsgi_front import Headers, Proto

KEYS = ["sk-first-project-0001", "sk-second-project-002"]
CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 3}


class Scope:
    proto = "http"
    method = "POST"
    client = "127.0.0.1:50000"

    def __init__(self, path: str, headers: dict[str, str]) -> None:
        self.path = path
        self.headers = Headers({"content-length": "2", **headers})


class BodyProto(Proto):
    def __init__(self, body: bytes) -> None:
        super().__init__()
        self.body = body

    async def __call__(self) -> bytes:
        return self.body


def settings() -> Settings:
    return Settings(ttft_ms=0, itl_ms=0, api_key=KEYS, cors_origins=["http://app.test"])


async def test_keys_resolve_to_one_project_each_and_a_missing_key_is_a_401() -> None:
    seen: list[Identity] = []

    async def who(exchange: Exchange) -> Reply:
        seen.append(exchange.identity)
        return Answer.json({"project": exchange.identity.project})

    app = create_app(settings())
    app.state.endpoints = [Endpoint("POST", "/v1/who", who)]
    front = RSGIFront(app)
    for key in KEYS:
        proto = Proto()
        await front.__rsgi__(Scope("/v1/who", {"authorization": f"Bearer {key}"}), proto)
        assert proto.response is not None and proto.response[0] == 200
    assert len({identity.project for identity in seen}) == 2 and all(i.key_id for i in seen)
    proto = Proto()
    await front.__rsgi__(Scope("/v1/who", {}), proto)
    assert proto.response is not None
    status, headers, body = proto.response
    assert status == 401 and json.loads(body)["error"]["message"].startswith("You didn't provide an API key")
    assert headers["x-request-id"] and len(seen) == 2


async def test_a_chat_answer_has_the_same_limit_and_cors_headers_as_on_the_asgi_app() -> None:
    request = {
        "authorization": f"Bearer {KEYS[0]}",
        "origin": "http://app.test",
        "content-type": "application/json",
    }
    body = json.dumps(CHAT).encode()
    app = create_app(settings())
    front = RSGIFront(app)
    app.state.fakeai.prose.get("o200k_base")  # the lifespan's work, done here
    proto = BodyProto(body)
    scope = Scope("/v1/chat/completions", {**request, "content-length": str(len(body))})
    await front.__rsgi__(scope, proto)
    assert proto.response is not None
    status, native, _ = proto.response
    with TestClient(create_app(settings())) as http:
        asgi = http.post("/v1/chat/completions", content=body, headers=request).headers
    assert status == 200
    names = [n for n in asgi if n.startswith(("x-ratelimit", "access-control")) or n == "vary"]
    assert len(names) >= 8
    for name in names:
        assert native[name] == asgi[name], name
    journal = app.state.fakeai.journal.entries()
    assert [(e["path"], e["model"], e["status"]) for e in journal] == [
        ("/v1/chat/completions", "gpt-4o-mini", 200)
    ]


def test_keys_resolve_to_one_project_each_on_the_asgi_app_too() -> None:
    """No stored family is on this branch yet: isolation is checked where it starts, at the identity
    every Exchange carries (stored families key every object by ``identity.project``)."""

    async def who(exchange: Exchange) -> Reply:
        return Answer.json({"project": exchange.identity.project, "key_id": exchange.identity.key_id})

    app = create_app(settings())
    app.router.routes.append(asgi.route(Endpoint("POST", "/v1/who", who)))
    with TestClient(app) as http:
        seen = [http.post("/v1/who", headers={"authorization": f"Bearer {key}"}).json() for key in KEYS]
        assert http.post("/v1/who").status_code == 401
    assert seen[0]["project"] != seen[1]["project"] and all(s["key_id"].startswith("key_") for s in seen)
    assert [e["status"] for e in app.state.fakeai.journal.entries()] == [200, 200, 401]
