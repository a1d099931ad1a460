"""API keys: every route but the probes needs one; OpenAI's 401 bodies; keys files (plain, argon2-hashed,
YAML and TOML); the failed-auth block; two keys are two projects on both transports."""

from __future__ import annotations

import re
from pathlib import Path

import httpx2
import openai
import pytest
from argon2 import PasswordHasher
from starlette.routing import Route
from starlette.testclient import TestClient

from fakeai import Settings, create_app
from fakeai.engine.clock import VirtualClock
from fakeai.errors import FakeAIError
from fakeai.security.guard import MISSING_KEY, Failures
from fakeai.security.identity import identity_of
from fakeai.security.keys import load_keys
from fakeai.testing import FakeAI

KEY = "sk-test-first-key-0001"
OTHER = "sk-test-second-key-0002"
CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 3}


def _error(response) -> dict:
    body = response.json()
    assert set(body["error"]) == {"message", "type", "param", "code"}
    return body["error"]


@pytest.mark.fakeai(api_key=[KEY], auth_max_failures=10_000)
def test_every_route_but_the_probes_rejects_a_missing_or_wrong_key(fakeai: FakeAI) -> None:
    checked = 0
    for route in fakeai.app.routes:
        if not isinstance(route, Route):
            continue  # WebSockets: test_a_websocket_without_a_key_is_refused_before_its_handshake
        path = re.sub(r"\{[^}]+\}", "x", route.path)
        if path.startswith(
            ("/health", "/metrics", "/dynamo/", "/dcgm/", "/kv-cache/", "/dashboard", "/fakeai/admin")
        ):
            continue
        for method in sorted((route.methods or set()) - {"HEAD"}):
            missing = fakeai.http.request(method, path)
            assert missing.status_code == 401, (method, path)
            assert _error(missing) == {
                "message": MISSING_KEY, "type": "invalid_request_error", "param": None, "code": None
            }  # fmt: skip
            wrong = fakeai.http.request(method, path, headers={"authorization": "Bearer sk-wrong-0000-abcd"})
            assert wrong.status_code == 401 and _error(wrong)["code"] == "invalid_api_key", (method, path)
            assert _error(wrong)["message"] == (
                "Incorrect API key provided: sk-***********abcd. You can find your API key at "
                "https://platform.openai.com/account/api-keys."
            )
            checked += 1
    assert checked >= 30  # chat, completions, responses, files, batches, vector stores, images, audio, ...
    assert fakeai.http.get("/health").status_code == 200
    assert fakeai.http.get("/metrics").status_code == 200  # metrics_auth is off by default


@pytest.mark.fakeai(api_key=[KEY])
def test_the_sdk_with_the_right_key_is_served_and_with_a_wrong_one_gets_authentication_error(
    fakeai: FakeAI,
) -> None:
    reply = fakeai.client(api_key=KEY).chat.completions.create(**CHAT)
    assert reply.choices[0].message.content
    with pytest.raises(openai.AuthenticationError) as caught:
        fakeai.client(api_key=OTHER).models.list()
    assert caught.value.code == "invalid_api_key"
    # Anthropic's and Azure's key headers are accepted too.
    assert fakeai.http.get("/v1/models", headers={"x-api-key": KEY}).status_code == 200
    assert fakeai.http.get("/v1/models", headers={"api-key": KEY}).status_code == 200


@pytest.mark.fakeai(api_key=[KEY], metrics_auth=True)
def test_metrics_can_need_a_key(fakeai: FakeAI) -> None:
    assert fakeai.http.get("/metrics").status_code == 401
    assert fakeai.http.get("/metrics", headers={"authorization": f"Bearer {KEY}"}).status_code == 200


def test_a_keys_file_maps_plain_and_hashed_keys_to_projects_and_tiers(tmp_path: Path) -> None:
    hashed = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(OTHER)
    path = tmp_path / "keys.yaml"
    path.write_text(
        "tiers:\n  tiny: {rpm: 2, tpm: 100}\n"
        f"keys:\n  - {{key: {KEY}, project: proj_a, tier: tiny}}\n"
        f"  - {{key_hash: '{hashed}', project: proj_b, limits: {{rpm: 7}}}}\n"
    )
    ring = load_keys([], path, "tier-1")
    decided, entry = ring.lookup(KEY)
    assert decided and entry is not None and entry.identity.project == "proj_a"
    assert entry.limits.rpm == 2 and entry.identity.tier == "tiny"
    assert ring.lookup(OTHER) == (False, None)  # a hashed key needs the slow check first
    verified = ring.verify(OTHER)
    assert verified is not None and verified.identity.project == "proj_b"
    assert verified.limits.rpm == 7 and verified.limits.tpm == 200_000  # over tier-1's
    assert ring.lookup(OTHER) == (True, verified)  # ... then it is cached
    assert ring.verify("sk-nobody") is None and ring.lookup("sk-nobody") == (True, None)


def test_a_toml_keys_file_and_its_mistakes(tmp_path: Path) -> None:
    path = tmp_path / "keys.toml"
    path.write_text(f'[[keys]]\nkey = "{KEY}"\nproject = "proj_t"\ntier = "free"\n')
    entry = load_keys([], path, "tier-1").lookup(KEY)[1]
    assert entry is not None and entry.identity.project == "proj_t" and entry.limits.rpm == 3
    for bad, message in (
        ('[[keys]]\nproject = "p"\n', "exactly one of"),
        (f'[[keys]]\nkey = "{KEY}"\ntier = "tier-9"\n', "unknown tier"),
        (f'[[keys]]\nkey = "{KEY}"\nlimits = {{rpm = -1}}\n', "non-negative"),
        (f'[[keys]]\nkey = "{KEY}"\nproject = "p"\ncolour = "red"\n', "unknown field"),
    ):
        path.write_text(bad)
        with pytest.raises(ValueError, match=message):
            load_keys([], path, "tier-1")


async def test_hashed_keys_are_verified_off_the_loop_once(tmp_path: Path) -> None:
    hashed = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(KEY)
    path = tmp_path / "keys.yaml"
    path.write_text(f"keys:\n  - {{key_hash: '{hashed}', project: proj_h}}\n")
    app = create_app(Settings(ttft_ms=0, itl_ms=0, keys_file=path))
    ring = app.state.fakeai.guard.keys
    calls = []
    verify = ring.verify
    ring.verify = lambda key: calls.append(key) or verify(key)
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://testserver") as http:
        client = openai.AsyncOpenAI(
            api_key=KEY, base_url="http://testserver/v1", http_client=http, max_retries=0
        )
        for _ in range(3):
            assert len((await client.models.list()).data) > 0
    assert calls == [KEY]


def test_repeated_failures_block_the_client_for_a_while() -> None:
    clock = VirtualClock()
    settings = Settings(api_key=[KEY], auth_max_failures=3, auth_window_s=10, auth_block_s=30)
    app = create_app(settings, clock=clock)
    with TestClient(app) as http:
        wrong = {"authorization": "Bearer sk-wrong-key-000000"}
        assert [http.get("/v1/models", headers=wrong).status_code for _ in range(3)] == [401] * 3
        blocked = http.get("/v1/models", headers={"authorization": f"Bearer {KEY}"})
        assert blocked.status_code == 429 and blocked.headers["retry-after"] == "30"
        assert _error(blocked)["code"] == "too_many_auth_failures"
        clock.advance(31)
        assert http.get("/v1/models", headers={"authorization": f"Bearer {KEY}"}).status_code == 200
        metrics = http.get("/metrics").text
        assert "fakeai:auth_failures_total 3.0" in metrics and "fakeai:auth_blocks_total 1.0" in metrics


def test_under_a_time_scale_a_blocked_clients_retry_after_is_wall_time() -> None:
    clock = VirtualClock()
    failures = Failures(3, 10, 30, clock.now, scale=4)  # 4 engine seconds per wall second
    for _ in range(3):
        failures.failed("10.0.0.1")
    with pytest.raises(FakeAIError) as caught:
        failures.check("10.0.0.1")
    assert caught.value.headers == {"retry-after": "8"}  # 30 engine seconds: 7.5 wall seconds, rounded up
    assert "Try again in 8s." in str(caught.value)


def test_failures_spread_over_more_than_the_window_do_not_block() -> None:
    clock = VirtualClock()
    app = create_app(Settings(api_key=[KEY], auth_max_failures=3, auth_window_s=10), clock=clock)
    with TestClient(app) as http:
        for _ in range(5):
            assert http.get("/v1/models", headers={"authorization": "Bearer sk-nope"}).status_code == 401
            clock.advance(6)


def test_each_cli_key_is_a_project_of_its_own() -> None:
    ring = load_keys([KEY, OTHER], None, "tier-1")
    first, second = (ring.lookup(k)[1] for k in (KEY, OTHER))
    assert first is not None and second is not None
    assert first.identity.project != second.identity.project
    assert KEY not in repr(first.identity)  # the identity names the key by id, never the key
    with pytest.raises(ValueError, match="twice"):
        load_keys([KEY, KEY], None, "tier-1")


def test_the_cli_repeats_keys_and_rules_and_hashes_a_key(capsys: pytest.CaptureFixture[str]) -> None:
    from fakeai.cli import build_parser, main, settings_from_args

    args = build_parser().parse_args(
        ["server", "--api-key", KEY, "--api-key", OTHER, "--faults", '{"action": {"status": 500}}']
    )
    settings = settings_from_args(args)
    assert settings.api_key == [KEY, OTHER] and settings.faults == [{"action": {"status": 500}}]
    assert main(["hash-key", KEY]) == 0
    hashed = capsys.readouterr().out.strip()
    assert hashed.startswith("$argon2id$") and PasswordHasher().verify(hashed, KEY)


def test_a_websocket_without_a_key_is_refused_before_its_handshake() -> None:
    from starlette.routing import WebSocketRoute
    from starlette.websockets import WebSocket, WebSocketDisconnect

    async def echo(socket: WebSocket) -> None:
        await socket.accept()
        await socket.send_text(identity_of(socket.scope).project)
        await socket.close()

    app = create_app(Settings(api_key=[KEY]))
    app.router.routes.append(WebSocketRoute("/v1/test-socket", echo))
    with TestClient(app) as http:
        for path in ("/v1/test-socket", "/v1/realtime?model=gpt-realtime"):  # ours, and the Realtime API's
            with pytest.raises(WebSocketDisconnect), http.websocket_connect(path):
                pass
        with http.websocket_connect("/v1/test-socket", headers={"authorization": f"Bearer {KEY}"}) as socket:
            assert socket.receive_text().startswith("proj_")
