"""LangChain's ChatOpenAI on the Responses API (``use_responses_api=True``) with ``bind_tools``: the call,
the answer to its result, and a stream. Needs the optional ``clients`` extra."""

from __future__ import annotations

import pytest

langchain_openai = pytest.importorskip("langchain_openai", reason="pip install -e '.[clients]'")

from langchain_core.messages import HumanMessage, ToolMessage  # noqa: E402
from langchain_core.tools import tool  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402


@tool
def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    return "21 C"


def test_bind_tools_round_trip(http: TestClient) -> None:
    llm = langchain_openai.ChatOpenAI(
        model="gpt-4o", api_key="sk-test", base_url=f"{http.base_url}/v1", http_client=http,
        use_responses_api=True, max_retries=0,
    )  # fmt: skip
    bound = llm.bind_tools([get_weather])
    asked = HumanMessage("What's the weather in Lisbon?")
    call = bound.invoke([asked])
    assert [(c["name"], c["args"]) for c in call.tool_calls] == [("get_weather", {"city": "Lisbon"})]
    answer = bound.invoke([asked, call, ToolMessage("21 C", tool_call_id=call.tool_calls[0]["id"])])
    assert not answer.tool_calls and answer.text
    chunks = list(llm.stream("Hello"))
    assert len(chunks) > 10 and "".join(c.text for c in chunks)
