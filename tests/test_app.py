"""App lifecycle: many apps per process, and a clean exit whenever an app is closed."""

from __future__ import annotations

import subprocess
import sys
import textwrap

CLOSE_AT_ONCE = textwrap.dedent(
    """
    from starlette.testclient import TestClient
    from fakeai import Settings, create_app
    with TestClient(create_app(Settings(ttft_ms=0, itl_ms=0))) as client:
        assert client.get("/health").status_code == 200
    """
)


def test_an_app_opened_and_closed_at_once_exits_cleanly() -> None:
    # Regression: a vocabulary build used to run on a thread that could outlive the app; at exit CPython
    # ended it inside the tokenizer's C++ code, and the process aborted (exit 134) after every test had
    # passed. The lifespan now builds them before it yields, on the loop's own thread.
    result = subprocess.run([sys.executable, "-c", CLOSE_AT_ONCE], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "terminate called" not in result.stderr


def test_apps_are_independent(make_app) -> None:  # type: ignore[no-untyped-def]
    first, second = make_app(strict_models=True), make_app()
    assert first.state.fakeai is not second.state.fakeai
    assert first.state.fakeai.engine is not second.state.fakeai.engine
    second.state.fakeai.catalog.resolve("acme/only-in-second")
    assert "acme/only-in-second" not in {c.id for c in first.state.fakeai.catalog.list()}
