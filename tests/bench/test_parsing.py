"""The bench harness's pure helpers: wrk's report and the streams verdicts (no servers, no timing)."""

from __future__ import annotations

import math

import pytest
from bench.load import parse_wrk
from bench.report import _burst_rows, _streams_rows, level_summary, max_streams, passes

WRK_OK = """Running 3s test @ http://127.0.0.1:8303/v1/chat/completions
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     3.82ms    1.79ms  15.34ms   82.90%
    Req/Sec    16.95k     3.29k   22.33k    63.33%
  50590 requests in 3.00s, 37.00MB read
Requests/sec:  16852.12
Transfer/sec:     12.33MB
"""

WRK_ERRORS = """Running 1m test @ http://127.0.0.1:8000/v1/chat/completions
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   217.21us   88.37us 506.93ms   84.29%
  1152 requests in 1.00m, 0.86MB read
  Socket errors: connect 0, read 3, write 0, timeout 2
  Non-2xx or 3xx responses: 7
Requests/sec:     19.20
"""


def test_wrk_report() -> None:
    result = parse_wrk(WRK_OK)
    assert result["requests"] == 50590
    assert result["seconds"] == 3.0
    assert result["rps"] == 16852.12
    assert result["latency_avg_ms"] == 3.82
    assert result["non2xx"] == result["socket_errors"] == 0


def test_wrk_errors_and_units() -> None:
    result = parse_wrk(WRK_ERRORS)
    assert result["seconds"] == 60.0
    assert result["latency_avg_ms"] == pytest.approx(0.21721)
    assert result["non2xx"] == 7
    assert result["socket_errors"] == 5


def test_not_a_wrk_report() -> None:
    with pytest.raises(ValueError):
        parse_wrk("unable to connect to 127.0.0.1:1 Connection refused")


def run(itl: float, p99: float, errors: int = 0) -> dict[str, float]:
    return {
        "ttft_p50_ms": 100.0,
        "ttft_p99_ms": p99,
        "itl_median_of_stream_medians_ms": itl,
        "events_per_s": 1.0,
        "errors": errors,
        "kb_per_stream": 1.0,
        "client_cpu_pct": 10.0,
    }


def test_streams_verdict() -> None:
    assert passes(level_summary([run(21.9, 199)]), itl_ms=20, ttft_ms=100)
    assert not passes(level_summary([run(22.1, 150)]), itl_ms=20, ttft_ms=100)
    assert not passes(level_summary([run(0.0, 150)]), itl_ms=20, ttft_ms=100)  # tokens arriving in bursts
    assert not passes(level_summary([run(20, 200)]), itl_ms=20, ttft_ms=100)
    assert not passes(level_summary([run(20, 150, errors=1)]), itl_ms=20, ttft_ms=100)
    assert not passes(level_summary([run(math.nan, math.nan)]), itl_ms=20, ttft_ms=100)  # nothing finished


def test_max_streams_is_the_largest_passing_level() -> None:
    levels = {"250": [run(20, 120)], "500": [run(25, 150)], "1000": [run(20, 150)], "1500": [run(30, 300)]}
    assert max_streams(levels, itl_ms=20, ttft_ms=100) == 1000
    assert max_streams({"250": [run(30, 120)]}, itl_ms=20, ttft_ms=100) == 0
    # Medians over rounds: one noisy round of three does not decide.
    assert max_streams({"500": [run(20, 120), run(40, 120), run(21, 150)]}, itl_ms=20, ttft_ms=100) == 500


def test_burst_and_many_streams_rows_judge_their_targets() -> None:
    from bench.plan import Plan

    plan = Plan()

    def burst(p50: float, server: float, client: float) -> dict[str, float]:
        return {
            **run(20, p50 + 10),
            "ttft_p50_ms": p50,
            "server_ttft_mean_ms": server,
            "ttft_mean_all_ms": client,
        }

    rows = _burst_rows(
        {"limit": {"runs": [run(20, 110)]}, "fakeai granian": {"runs": [burst(108, 100, 105)]}}, plan
    )
    verdicts = {row[0] or "limit row": row[5] for row in rows}
    assert verdicts == {
        "200 at once: TTFT p50 (ms)": "-",
        "limit row": "ok",
        "200 at once: server/client TTFT": "ok",
    }
    rows = _burst_rows({"fakeai granian": {"runs": [burst(125, 100, 130)]}}, plan)
    assert [row[5] for row in rows] == ["FAIL", "FAIL"]

    level = [{**burst(105, 100, 104), "itl_median_of_stream_medians_ms": 19.9}]
    section = {
        "limit": {"max_streams": 1500, "levels": {"1500": level}},
        "fakeai granian": {"max_streams": 1000, "levels": {"1000": level}},
    }
    rows = _streams_rows(section, plan)
    assert [(row[1], row[3], row[5]) for row in rows[:2]] == [
        ("limit", "1.00x", "-"),
        ("fakeai granian", "0.67x", "FAIL"),
    ]
    assert [row[5] for row in rows if row[0].startswith("1000")] == ["ok", "ok", "ok"]


def test_requests_rows_give_fakeai_against_the_peer_and_a_baseline_commit() -> None:
    from bench.report import _requests_rows

    def row(rps: float) -> dict[str, object]:
        return {"rps": rps, "errors": 0, "runs": [{"rps": rps}]}

    section = {
        "limit": row(30_000),
        "aimock": row(6_000),
        "fakeai granian": row(12_000),
        "baseline @HEAD~3": row(10_000),
    }
    rows = {r[1]: r for r in _requests_rows(section)}
    assert rows["fakeai granian"][3:6] == ("0.40x", ">= 0.5x", "FAIL")
    assert rows["fakeai granian"][6].endswith("; 2.00x aimock; 1.20x baseline @HEAD~3")
    assert rows["baseline @HEAD~3"][4:6] == ("", "-")  # a reference row: no target of its own


def test_a_baseline_is_the_src_of_that_commit_and_an_unknown_rev_says_so(tmp_path) -> None:
    from bench.servers import Unavailable, ensure_baseline

    try:
        src = ensure_baseline("HEAD", tmp_path)
    except Unavailable as error:  # an exported tree, not a git checkout
        pytest.skip(f"not a git checkout: {error}")
    assert (src / "fakeai" / "__init__.py").is_file() and not (src.parent / "tests").exists()
    assert ensure_baseline("HEAD", tmp_path) == src  # exported once
    with pytest.raises(Unavailable, match="no commit"):
        ensure_baseline("no-such-rev", tmp_path)


def test_workers_rows_give_scaling_and_cpu_efficiency() -> None:
    from bench.report import _workers_rows

    def row(rps: float, cpu_us: float | None) -> dict[str, object]:
        run: dict[str, object] = {"rps": rps}
        if cpu_us is not None:
            run["cpu_us_per_request"] = cpu_us
        return {"rps": rps, "runs": [run]}

    rows = {
        r[1]: r
        for r in _workers_rows(
            {"fakeai --workers 1": row(8000, 100.0), "fakeai --workers 2": row(12000, 110.0)}
        )
    }
    assert rows["scaling 2 vs 1"][2] == "1.50x"
    assert rows["efficiency 2 vs 1"][2] == "0.91x"
    assert rows["fakeai --workers 2"][6].endswith("; 110 us CPU per request")
    # Results from before the CPU was recorded: no efficiency row.
    old = {
        r[1]
        for r in _workers_rows({"fakeai --workers 1": row(8000, None), "fakeai --workers 2": row(1, None)})
    }
    assert "efficiency 2 vs 1" not in old
