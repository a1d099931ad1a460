"""``fakeai status|metrics|cache-stats|models|costs`` against a real server."""

from __future__ import annotations

import pytest
from openai import OpenAI

from fakeai.cli import main
from tests.live.server import free_port, live_server

pytestmark = pytest.mark.live


def test_the_remote_commands_read_a_running_server(capsys: pytest.CaptureFixture[str]) -> None:
    with live_server("--ttft-ms", "0", "--itl-ms", "0", "--data-parallel-size", "2") as server:
        client = OpenAI(api_key="sk-test", base_url=f"{server.url}/v1", max_retries=0)
        client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "hi"}], max_tokens=3
        )

        assert main(["status", "--url", server.url]) == 0
        status = capsys.readouterr().out
        assert status.startswith("ready") and "gpt-4o" in status
        assert len([line for line in status.splitlines() if line.strip().startswith(("0 ", "1 "))]) == 2

        assert main(["cache-stats", "--url", server.url]) == 0
        assert "prefix hit rate" in capsys.readouterr().out

        assert main(["metrics", "--url", server.url]) == 0
        assert 'vllm:request_success_total{model_name="gpt-4o"' in capsys.readouterr().out
        assert main(["metrics", "--url", server.url, "--kind", "dcgm"]) == 0
        assert "DCGM_FI_DEV_GPU_UTIL" in capsys.readouterr().out

        assert main(["models", "--url", server.url]) == 0
        assert "gpt-4o-mini" in capsys.readouterr().out

        assert main(["costs", "--url", server.url]) == 0
        table = capsys.readouterr().out.splitlines()
        assert table[1].startswith("gpt-4o ") and table[-1].startswith("total")
        assert float(table[-1].split()[-1]) > 0
        assert main(["costs", "--url", server.url, "--csv"]) == 0
        assert capsys.readouterr().out.startswith("model,requests,input_tokens")


def test_an_unreachable_server_exits_1_with_a_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "--url", f"http://127.0.0.1:{free_port()}"]) == 1
    assert "cannot reach" in capsys.readouterr().err
