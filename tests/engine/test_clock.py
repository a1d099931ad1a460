from __future__ import annotations

from fakeai.engine import VirtualClock


def test_virtual_timers_fire_in_order_at_their_own_time() -> None:
    clock = VirtualClock()
    fired: list[tuple[str, float]] = []
    clock.call_at(0.3, lambda: fired.append(("c", clock.now())))
    clock.call_at(0.1, lambda: fired.append(("a", clock.now())))
    cancelled = clock.call_at(0.2, lambda: fired.append(("b", clock.now())))
    cancelled.cancel()
    clock.advance(0.25)
    assert fired == [("a", 0.1)]
    assert clock.now() == 0.25
    clock.run_until_idle()
    assert fired == [("a", 0.1), ("c", 0.3)]


def test_a_timer_in_the_past_fires_on_the_next_advance() -> None:
    clock = VirtualClock(start=5.0)
    fired: list[float] = []
    clock.call_at(1.0, lambda: fired.append(clock.now()))
    clock.advance(0)
    assert fired == [5.0]
