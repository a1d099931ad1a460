"""Fuzz the server from OpenAI's own spec (Schemathesis): whatever a client sends to any of the spec's
operations, implemented or not, the answer is never a 5xx, and every 4xx has OpenAI's four-key body.

Two runs, derandomized so CI is reproducible. A deep one on the served generation endpoints (40 examples
each, reaching both 200s and 400s). A wide one over every operation in the spec (a few examples each),
sent both to the app in-process (ASGI) and to a live default server (Granian's RSGI front and its ASGI
bridge), because the two transports decode paths differently. The wide run checks only what holds for
every operation, so families added later are held to it without changing this file. For a deeper,
random exploration of a running server, use the Schemathesis CLI (see docs/testing.md).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.transport.requests import REQUESTS_TRANSPORT

from fakeai import Settings, create_app
from tests.contract.spec import read_document
from tests.live.server import LiveServer, live_server

SERVED = r"^/(chat/completions|completions|models|models/\{model\}|embeddings|moderations)$"
#: Examples per operation in the wide run: 288 operations x 2 x 2 transports, about 20 s on 2 idle cores.
WIDE_EXAMPLES = 2
ERROR_KEYS = {"message", "type", "param", "code"}


def _fuzz_settings(examples: int):  # type: ignore[no-untyped-def]
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate],  # the spec's own examples are unreliable (177 of 664 fail its schemas)
    )


def _problem(status: int, body: bytes) -> str | None:
    """What is wrong with one answer, or None: a 5xx, or a 4xx without OpenAI's error body."""
    if status >= 500:
        return f"{status}: {body[:300]!r}"
    if status >= 400:
        try:
            error = __import__("json").loads(body)["error"]
            assert set(error) == ERROR_KEYS
        except Exception:
            return f"{status} without OpenAI's error body: {body[:300]!r}"
    return None


def test_no_input_makes_the_generation_endpoints_fail() -> None:
    schema = schemathesis.openapi.from_dict(read_document())
    schema.app = create_app(Settings(ttft_ms=0, itl_ms=0))
    schema = schema.include(path_regex=SERVED, method_regex="^(GET|POST)$")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 4
    statuses: Counter[int] = Counter()
    for operation in operations:

        @given(case=operation.as_strategy())
        @_fuzz_settings(40)
        def check(case: schemathesis.Case) -> None:
            response = case.call()
            statuses[response.status_code] += 1
            assert _problem(response.status_code, response.content) is None, (
                case.method,
                case.path,
                case.body,
            )

        check()
    assert statuses[200] > 20 and statuses[400] > 0, statuses  # the fuzz reached both sides


@pytest.fixture(scope="module")
def rsgi_server() -> Iterator[LiveServer]:
    with live_server("--ttft-ms", "0", "--itl-ms", "0", "--log-level", "warning") as server:
        yield server


@pytest.mark.live
@pytest.mark.timeout(240)
def test_no_operation_in_the_spec_makes_either_transport_fail(rsgi_server: LiveServer) -> None:
    started = time.monotonic()
    schema = schemathesis.openapi.from_dict(read_document())
    schema.app = create_app(Settings(ttft_ms=0, itl_ms=0))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 288  # every operation of the pinned spec, implemented or not
    problems: list[str] = []
    statuses: Counter[int] = Counter()
    session = requests.Session()
    for operation in operations:

        @given(case=operation.as_strategy())
        @_fuzz_settings(WIDE_EXAMPLES)
        def check(case: schemathesis.Case) -> None:
            answers = {
                "asgi": case.call(),
                "rsgi": REQUESTS_TRANSPORT.send(case, session=session, base_url=f"{rsgi_server.url}/v1"),
            }
            for transport, response in answers.items():
                statuses[response.status_code] += 1
                if problem := _problem(response.status_code, response.content):
                    problems.append(f"{transport} {case.method} {case.formatted_path}: {problem}")

        check()
    assert problems == [], f"{len(problems)} bad answers:\n" + "\n".join(problems[:20])
    assert statuses[404] > 0 and sum(n for s, n in statuses.items() if s < 300) > 0, statuses
    print(
        f"wide fuzz: {sum(statuses.values())} answers {dict(statuses)} in {time.monotonic() - started:.1f} s"
    )
