"""The OpenAI Agents SDK with its default model (it speaks the Responses API): a one-tool agent runs to
its final output. Needs the optional ``clients`` extra (``pip install -e '.[clients]'``)."""

from __future__ import annotations

import httpx2
import pytest

agents = pytest.importorskip(
    "agents", reason="the OpenAI Agents SDK is not installed: pip install -e '.[clients]'"
)

from openai import AsyncOpenAI  # noqa: E402

from fakeai import Settings, create_app  # noqa: E402

calls: list[str] = []


@agents.function_tool
def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    calls.append(city)
    return f"It is 21 C and sunny in {city}."


@pytest.mark.parametrize("streamed", [False, True])
async def test_one_tool_agent_reaches_its_final_output(streamed: bool) -> None:
    app = create_app(Settings(ttft_ms=0, itl_ms=0))
    calls.clear()
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://fakeai") as http:
        client = AsyncOpenAI(api_key="sk-test", base_url="http://fakeai/v1", http_client=http, max_retries=0)
        agent = agents.Agent(
            name="weather",
            instructions="Answer with the weather.",
            tools=[get_weather],
            model=agents.OpenAIResponsesModel(agents.models.get_default_model(), client),
        )
        run_config = agents.RunConfig(tracing_disabled=True)
        if streamed:
            result = agents.Runner.run_streamed(agent, "What's the weather in Lisbon?", run_config=run_config)
            async for _ in result.stream_events():
                pass
        else:
            result = await agents.Runner.run(agent, "What's the weather in Lisbon?", run_config=run_config)
    assert calls == ["Lisbon"]
    kinds = [type(item).__name__ for item in result.new_items]
    assert kinds == ["ToolCallItem", "ToolCallOutputItem", "MessageOutputItem"]
    assert isinstance(result.final_output, str) and result.final_output
