"""Every latency profile reproduces the published figures its file names, on the engine in virtual time.

The points and their tolerance live in each profile file (``calibration``); ``engine/replay.py`` runs each
point's scenario as a client would measure it. bench/latency.py replays the same points through HTTP.
"""

from __future__ import annotations

import pytest

from fakeai.engine import ProfileLatency, load_profile, profile_names
from fakeai.engine.profiles import Point
from fakeai.engine.replay import replay

CASES = [
    pytest.param(
        name,
        point,
        id=f"{name}-{point.kind}-{point.isl or point.batch}-{point.context or ''}"
        f"{point.concurrency or point.rate or ''}",
    )
    for name in profile_names()
    for point in load_profile(name).calibration.points
]


@pytest.mark.parametrize(("name", "point"), CASES)
def test_profile_matches_its_published_point(name: str, point: Point) -> None:
    profile = load_profile(name)
    measured = replay(ProfileLatency(profile), point)
    tolerance = profile.calibration.tolerance
    for field in ("ttft_ms", "itl_ms", "tpot_ms"):
        published = getattr(point, field)
        if published is not None:
            assert measured.value(field) == pytest.approx(published, rel=tolerance), field


def test_every_profile_names_its_sources() -> None:
    for name in profile_names():
        calibration = load_profile(name).calibration
        assert calibration.source.strip()
        assert 0 < calibration.tolerance <= 1


def test_the_fitted_pairings_have_points() -> None:
    """The two pairings with like-for-like published data are fitted at every load the data covers."""
    h200 = load_profile("h200-llama-3.1-8b-fp8").calibration.points
    assert {p.isl for p in h200 if p.kind == "prefill"} >= {1117, 4168, 8236}
    assert {p.batch for p in h200 if p.kind == "decode"} >= {1, 49, 97, 193}
    h100 = load_profile("h100-llama-3.1-8b").calibration.points
    assert {(p.concurrency, p.rate) for p in h100} == {(1, 0.0), (0, 5), (0, 25)}


def test_decode_slows_with_batch_and_context() -> None:
    """What the roofline alone missed: a decode step grows per sequence, beyond the KV bytes it reads."""
    latency = ProfileLatency(load_profile("h200-llama-3.1-8b-fp8"))
    one = replay(latency, Point(kind="decode", batch=1, context=3000)).itl_ms
    many = replay(latency, Point(kind="decode", batch=193, context=3000)).itl_ms
    longer = replay(latency, Point(kind="decode", batch=1, context=13000)).itl_ms
    assert one is not None and many is not None and longer is not None
    assert many > 5 * one
    assert longer > one
