"""Realtime responses take from the caller's rate limits, as every other family does: one request and the
estimate per response, the key's real buckets in ``rate_limits.updated``, and a refused response ends as
``failed`` with the limit's error, having run nothing on the engine."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from starlette.applications import Starlette
from starlette.testclient import TestClient

from tests.api.realtime.helpers import Session
from tests.api.realtime.test_realtime import HELLO, TEXT_ONLY, running
from tests.contract.spec import Spec

KEY = "sk-test-realtime-key-01"
KEYS = Path(__file__).parent / "keys_rpm2.yaml"  # rpm 2, tpm 1,000,000


def _turn(session: Session) -> tuple[dict, dict]:
    """One response.create: its response.done and the rate_limits.updated after it, by name."""
    session.send(type="response.create")
    done = session.until("response.done")[-1]["response"]
    limits = session.receive()
    assert limits["type"] == "rate_limits.updated"
    return done, {entry["name"]: entry for entry in limits["rate_limits"]}


def test_responses_take_from_the_keys_buckets_and_past_the_limit_one_fails(
    make_app: Callable[..., Starlette], optional_spec: Spec | None
) -> None:
    app = make_app(keys_file=KEYS)
    with (
        TestClient(app) as http,
        http.websocket_connect(
            "/v1/realtime?model=gpt-realtime", headers={"authorization": f"Bearer {KEY}"}
        ) as websocket,
    ):
        session = Session(websocket, optional_spec)
        assert session.receive()["type"] == "session.created"
        session.send(type="session.update", session=TEXT_ONLY)
        session.until("session.updated")
        session.send(type="conversation.item.create", item=HELLO)
        session.until("conversation.item.done")

        done, limits = _turn(session)
        assert done["status"] == "completed"
        requests = limits["requests"]
        assert (requests["limit"], requests["remaining"]) == (2, 1)
        assert 29 < requests["reset_seconds"] <= 30  # a request's worth at 2 a minute, refilling since
        assert limits["tokens"]["limit"] == 1_000_000
        estimate = 1_000_000 - limits["tokens"]["remaining"]
        assert estimate > done["usage"]["input_tokens"]  # the prompt and the output limit, reserved

        done, limits = _turn(session)
        assert done["status"] == "completed" and limits["requests"]["remaining"] == 0

        session.send(type="response.create")
        events = session.until("response.done")
        assert [e["type"] for e in events] == ["response.created", "response.done"]
        failed = events[-1]["response"]
        assert failed["status"] == "failed" and failed["output"] == []
        error = failed["status_details"]["error"]
        assert error["type"] == "requests" and error["code"] == "rate_limit_exceeded"
        assert error["message"].startswith(
            "Rate limit reached for gpt-realtime in organization proj_rt on requests per min (RPM): Limit 2"
        )
        assert failed["usage"]["input_tokens"] == failed["usage"]["output_tokens"] == 0
        after = session.receive()
        assert after["type"] == "rate_limits.updated"
        assert {e["name"]: e["remaining"] for e in after["rate_limits"]}["requests"] == 0
        assert running(app) == 0  # nothing was started on the engine
        metrics = http.get("/metrics", headers={"authorization": f"Bearer {KEY}"}).text
        assert 'fakeai:rate_limited_total{limit="rpm"} 1.0' in metrics
