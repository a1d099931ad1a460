"""The control API over HTTP: its key, fault rules, latency and rate limits at run time, reset, journal."""

from __future__ import annotations

import openai
import pytest

from fakeai.engine.latency import FixedLatency
from fakeai.testing import FakeAI

ADMIN = "/fakeai/admin"
KEY, ADMIN_KEY = "sk-user-key-000001", "sk-admin-key-000001"
CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 4}


def bearer(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


@pytest.mark.fakeai(api_key=[KEY])
def test_with_keys_on_and_no_admin_key_the_control_api_is_closed(fakeai: FakeAI) -> None:
    response = fakeai.http.get(ADMIN, headers=bearer(KEY))
    assert response.status_code == 401 and "admin key" in response.json()["error"]["message"]


@pytest.mark.fakeai(api_key=[KEY], admin_key=ADMIN_KEY)
def test_the_admin_key_opens_it_and_a_user_key_does_not(fakeai: FakeAI) -> None:
    assert fakeai.http.get(ADMIN, headers=bearer(KEY)).status_code == 401
    assert fakeai.http.get(ADMIN).status_code == 401
    overview = fakeai.http.get(ADMIN, headers=bearer(ADMIN_KEY)).json()
    assert overview["rate_limits"]["enabled"] and overview["rate_limits"]["keys"][0]["tier"] == "tier-1"
    assert overview["latency"]["ttft_ms"] == 0


@pytest.mark.fakeai(admin_api=False)
def test_the_control_api_can_be_turned_off(fakeai: FakeAI) -> None:
    assert fakeai.http.get(ADMIN).status_code == 404


def test_fault_rules_are_added_listed_and_removed_at_run_time(fakeai: FakeAI) -> None:
    rule = {"id": "down", "match": {"path": "/v1/chat/completions"}, "action": {"status": 500}}
    created = fakeai.http.post(f"{ADMIN}/faults", json=rule)
    assert created.status_code == 201 and created.json()["action"]["status"] == 500
    assert fakeai.http.post(f"{ADMIN}/faults", json=rule).status_code == 400  # the id is taken
    with pytest.raises(openai.InternalServerError):
        fakeai.client().chat.completions.create(**CHAT)
    listed = fakeai.http.get(f"{ADMIN}/faults").json()
    assert [r["id"] for r in listed["rules"]] == ["down"] and listed["rules"][0]["hits"] == 1
    assert listed["injected"] == [{"rule": "down", "kind": "error", "count": 1}]
    assert fakeai.http.get(f"{ADMIN}/faults/down").json()["seen"] == 1
    assert fakeai.http.delete(f"{ADMIN}/faults/down").json() == {"id": "down", "deleted": True}
    assert fakeai.http.delete(f"{ADMIN}/faults/down").status_code == 404
    assert fakeai.client().chat.completions.create(**CHAT).choices
    replaced = fakeai.http.put(f"{ADMIN}/faults", json=[rule, {**rule, "id": "two"}]).json()
    assert [r["id"] for r in replaced["rules"]] == ["down", "two"]
    assert fakeai.http.delete(f"{ADMIN}/faults").json()["rules"] == []
    error = {"status": 500}
    for bad in (
        {"action": {}},
        {"action": {"status": 999}},
        {"action": error, "trigger": {"every": 0}},
        {"action": {"explode": True}},
        {"match": {"colour": "red"}, "action": error},
    ):
        response = fakeai.http.post(f"{ADMIN}/faults", json=bad)
        assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_value", bad


def test_latency_changes_at_run_time_and_bad_values_change_nothing(fakeai: FakeAI) -> None:
    changed = fakeai.http.put(f"{ADMIN}/latency", json={"ttft_ms": 250, "itl_ms": 5})
    assert changed.status_code == 200 and changed.json()["ttft_ms"] == 250
    for worker in fakeai.state.engine.workers:
        assert isinstance(worker.latency, FixedLatency) and worker.latency.ttft == 0.25
    for bad in ({"ttft_ms": -1}, {"latency_model": "profile:nope"}, {"port": 1}):
        assert fakeai.http.put(f"{ADMIN}/latency", json=bad).status_code == 400
    assert fakeai.http.get(f"{ADMIN}/latency").json()["ttft_ms"] == 250
    assert fakeai.http.put(f"{ADMIN}/latency", json={"latency_model": "per-token"}).status_code == 200
    assert type(fakeai.state.engine.workers[0].latency).__name__ == "PerTokenLatency"


@pytest.mark.fakeai(api_key=[KEY], admin_key=ADMIN_KEY)
def test_rate_limits_change_at_run_time(fakeai: FakeAI) -> None:
    client = fakeai.client(api_key=KEY)
    admin = bearer(ADMIN_KEY)
    assert (
        client.chat.completions.with_raw_response.create(**CHAT).headers["x-ratelimit-limit-requests"]
        == "500"
    )
    changed = fakeai.http.put(
        f"{ADMIN}/rate-limits", json={"key_id": "*", "tier": "free", "limits": {"rpm": 2}}, headers=admin
    )
    assert changed.status_code == 200 and changed.json()["overrides"]["*"]["rpm"] == 2
    raw = client.chat.completions.with_raw_response.create(**CHAT)
    assert (
        raw.headers["x-ratelimit-limit-requests"] == "2"
        and raw.headers["x-ratelimit-remaining-requests"] == "1"
    )
    assert raw.headers["x-ratelimit-limit-tokens"] == "40000"  # the free tier's
    client.chat.completions.create(**CHAT)
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(**CHAT)
    assert fakeai.http.delete(f"{ADMIN}/rate-limits", headers=admin).json()["overrides"] == {}
    assert (
        client.chat.completions.with_raw_response.create(**CHAT).headers["x-ratelimit-limit-requests"]
        == "500"
    )
    bad = fakeai.http.put(f"{ADMIN}/rate-limits", json={"tier": "tier-9"}, headers=admin)
    assert bad.status_code == 400


def test_reset_clears_metrics_journal_and_counts_and_the_journal_reads_back(fakeai: FakeAI) -> None:
    client = fakeai.client()
    client.chat.completions.create(**CHAT)
    fakeai.http.get("/v1/models", headers={"x-fakeai-fault": "status=502"})
    journal = fakeai.http.get(f"{ADMIN}/journal").json()["data"]
    assert [(e["method"], e["path"], e["model"], e["status"], e["fault"]) for e in journal] == [
        ("POST", "/v1/chat/completions", "gpt-4o-mini", 200, None),
        ("GET", "/v1/models", None, 502, "header"),
    ]
    assert all(e["duration_ms"] >= 0 and e["project"] == "proj_default" for e in journal)
    assert len(fakeai.http.get(f"{ADMIN}/journal?limit=1").json()["data"]) == 1
    assert fakeai.http.get(f"{ADMIN}/journal?limit=x").status_code == 400
    assert fakeai.state.metrics.recorder.models
    assert fakeai.http.post(f"{ADMIN}/reset").json()["reset"]
    assert not fakeai.state.metrics.recorder.models and not fakeai.state.faults.injected
    # The reset itself is the only request the journal still holds.
    assert [e["path"] for e in fakeai.http.get(f"{ADMIN}/journal").json()["data"]] == [f"{ADMIN}/reset"]
    assert fakeai.http.post(f"{ADMIN}/reset", json={"parts": ["nope"]}).status_code == 400
    forgotten: list[bool] = []
    fakeai.state.store_resets.append(lambda: forgotten.append(True))
    client.files.create(file=("a.txt", b"stored"), purpose="assistants")
    assert len(list(client.files.list())) == 1
    fakeai.reset("store")
    assert forgotten == [True] and list(client.files.list()) == []
