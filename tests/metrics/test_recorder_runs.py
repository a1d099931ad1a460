"""The engine reports a pass's equal emissions in one ``tokens`` call (``sequences``): every series must
read as if each sequence had been reported alone."""

from __future__ import annotations

import pytest

from fakeai.metrics import Metrics, Recorder
from tests.metrics.conftest import parse
from tests.metrics.fake import FakeCluster

CALLS = [("m", 1, 0.02, 37), ("m", 3, 0.05, 5), ("other", 1, 0.0004, 900), ("m", 1, 7.0, 1)]


def _exposition(recorder: Recorder) -> dict[str, list[tuple[str, dict[str, str], float]]]:
    metrics = Metrics(recorder, FakeCluster(recorder), hostname="node-1")
    families = {**parse(metrics.vllm_text()), **parse(metrics.dynamo_text())}
    return {name: [(s.name, s.labels, s.value) for s in family.samples] for name, family in families.items()}


def test_a_run_of_sequences_reads_as_that_many_calls() -> None:
    runs, singles = Recorder(max_model_len=4096, window=50), Recorder(max_model_len=4096, window=50)
    for model, count, gap, sequences in CALLS:
        runs.tokens(0, model, count, gap, sequences)
        for _ in range(sequences):
            singles.tokens(0, model, count, gap)
    got, want = _exposition(runs), _exposition(singles)
    assert got.keys() == want.keys()
    for name, samples in want.items():  # sums may differ in the last bits (one product, not n additions)
        assert [(n, labels) for n, labels, _ in got[name]] == [(n, labels) for n, labels, _ in samples]
        assert [v for _, _, v in got[name]] == pytest.approx([v for _, _, v in samples], rel=1e-12), name
    for model in ("m", "other"):  # the summary's recent window, bounded either way
        assert list(runs.models[model].itl_window) == list(singles.models[model].itl_window)
    assert runs.series["m", 0].last.itl == singles.series["m", 0].last.itl
