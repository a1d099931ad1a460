"""App lifecycle: many apps per process, and a clean exit whenever an app is closed."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

CLOSE_DURING_WARM_UP = textwrap.dedent(
    """
    import sys, time
    from starlette.testclient import TestClient
    from fakeai import Settings, create_app
    with TestClient(create_app(Settings(ttft_ms=0, itl_ms=0, preload_tokenizers=True))) as client:
        client.get("/health")
        time.sleep(float(sys.argv[1]))  # close while vocabularies are loading
    """
)


@pytest.mark.parametrize("lifetime", [0.1, 0.4])
def test_closing_an_app_while_it_warms_up_exits_cleanly(lifetime: float) -> None:
    # Regression: the warm-up thread inherited the daemon flag of TestClient's portal thread; at exit
    # CPython ended it inside the tokenizer's C++ code, and the process aborted (exit 134) after every
    # test had passed.
    result = subprocess.run(
        [sys.executable, "-c", CLOSE_DURING_WARM_UP, str(lifetime)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "terminate called" not in result.stderr


def test_apps_are_independent(make_app) -> None:  # type: ignore[no-untyped-def]
    first, second = make_app(strict_models=True), make_app()
    assert first.state.fakeai is not second.state.fakeai
    assert first.state.fakeai.engine is not second.state.fakeai.engine
    second.state.fakeai.catalog.resolve("acme/only-in-second")
    assert "acme/only-in-second" not in {c.id for c in first.state.fakeai.catalog.list()}
