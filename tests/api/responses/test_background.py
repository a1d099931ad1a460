"""Background responses: queued at once, run on the engine, polled, streamed again from the middle,
and cancelled."""

from __future__ import annotations

import asyncio

import httpx2
from openai import AsyncOpenAI

from fakeai import Settings, create_app
from tests.api.responses.helpers import events_of
from tests.contract.spec import Spec


def _client(app) -> tuple[httpx2.AsyncClient, AsyncOpenAI]:  # type: ignore[no-untyped-def]
    http = httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://testserver")
    return http, AsyncOpenAI(
        api_key="x",
        base_url="http://testserver/v1",
        http_client=http,
        max_retries=0,
        _strict_response_validation=True,
    )


async def test_polled_to_completion_then_replayed_from_the_middle(spec: Spec) -> None:
    app = create_app(Settings(ttft_ms=20, itl_ms=2))
    http, client = _client(app)
    async with http:
        created = await client.responses.create(
            model="gpt-4o", input="Tell me about tides.", background=True, max_output_tokens=40
        )
        assert created.status == "queued" and created.background is True
        statuses = []
        for _ in range(200):
            polled = await client.responses.retrieve(created.id)
            statuses.append(polled.status)
            if polled.status not in ("queued", "in_progress"):
                break
            await asyncio.sleep(0.01)
        assert polled.status == "incomplete" and len(polled.output_text) > 0
        assert "in_progress" in statuses or "queued" in statuses
        whole = events_of((await http.get(f"/v1/responses/{created.id}", params={"stream": "true"})).text)
        numbers = [e["sequence_number"] for e in whole]
        assert numbers == list(range(len(whole)))
        assert [e["type"] for e in whole[:3]] == [
            "response.created",
            "response.queued",
            "response.in_progress",
        ]
        middle = len(whole) // 2
        tail = events_of(
            (
                await http.get(
                    f"/v1/responses/{created.id}", params={"stream": "true", "starting_after": middle}
                )
            ).text
        )
        assert tail == whole[middle + 1 :]
        assert tail[-1]["type"] == "response.incomplete"
        assert tail[-1]["response"]["output"][0]["content"][0]["text"] == polled.output_text
        for event in whole:
            spec.validate("ResponseStreamEvent", event)


async def test_cancelled_while_running() -> None:
    app = create_app(Settings(ttft_ms=5, itl_ms=20))
    http, client = _client(app)
    async with http:
        created = await client.responses.create(model="gpt-4o", input="Hi", background=True)
        for _ in range(100):
            if (await client.responses.retrieve(created.id)).status == "in_progress":
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)  # a few tokens
        cancelled = await client.responses.cancel(created.id)
        assert cancelled.status == "cancelled"
        assert 1 <= cancelled.usage.output_tokens < 48  # a natural answer is longer
        again = await client.responses.retrieve(created.id)
        assert again.status == "cancelled"
        assert (await client.responses.cancel(created.id)).status == "cancelled"  # idempotent
        events = events_of((await http.get(f"/v1/responses/{created.id}", params={"stream": "true"})).text)
        assert events[-1]["type"] == "response.output_text.delta"  # it stopped mid-answer


async def test_background_stream_on_create() -> None:
    app = create_app(Settings(ttft_ms=0, itl_ms=0))
    http, client = _client(app)
    async with http:
        kinds = [
            e.type
            async for e in await client.responses.create(
                model="gpt-4o", input="Hi", background=True, stream=True, max_output_tokens=16
            )
        ]
        assert kinds[:2] == ["response.created", "response.queued"] and kinds[-1] == "response.incomplete"


def test_a_restart_fails_what_was_running(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from starlette.testclient import TestClient

    from tests.conftest import sdk

    settings = Settings(ttft_ms=0, itl_ms=50, store=f"sqlite:{tmp_path / 'store.db'}")
    with TestClient(create_app(settings)) as http:
        created = sdk(http).responses.create(model="gpt-4o", input="Hi", background=True)
    with TestClient(create_app(settings)) as http:
        after = sdk(http).responses.retrieve(created.id)
    assert after.status == "failed" and after.error.code == "server_error"
