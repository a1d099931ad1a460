"""The Prometheus text exposition format (version 0.0.4), written directly.

Why not ``prometheus_client``'s families: its ``CounterMetricFamily`` always exposes ``<name>_total``, but
dcgm-exporter's counters (``DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION``) have no suffix, and dashboards use
those exact names. The format is a few lines of text per sample; writing it keeps names exact, label
order as declared (as the real servers print them), and needs no registry or lock. The renderers build
families only at scrape time, from our own counts.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from fakeai.metrics.histogram import Histogram

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def number(value: float) -> str:
    """A sample value or bucket bound as Prometheus' Python client prints it: ``1.0``, ``0.001``, ``+Inf``."""
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if math.isnan(value):
        return "NaN"
    return repr(float(value))


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(names: Sequence[str], values: Sequence[str]) -> str:
    if not names:
        return ""
    return "{" + ",".join(f'{n}="{_escape(v)}"' for n, v in zip(names, values, strict=True)) + "}"


@dataclass(slots=True)
class Family:
    """One metric family. ``name`` is the exposition name of the family (``vllm:prompt_tokens_total`` for
    a vLLM counter, ``DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION`` for a DCGM one): written as given."""

    name: str
    kind: str  # "counter" | "gauge" | "histogram"
    help: str
    labels: tuple[str, ...] = ()
    lines: list[str] = field(default_factory=list)

    def add(self, values: Sequence[str], value: float) -> Family:
        self.lines.append(f"{self.name}{_labels(self.labels, values)} {number(value)}")
        return self

    def add_histogram(self, values: Sequence[str], histogram: Histogram) -> Family:
        names = (*self.labels, "le")
        total = 0
        for bound, total in histogram.cumulative():
            self.lines.append(f"{self.name}_bucket{_labels(names, (*values, number(bound)))} {total}.0")
        label_text = _labels(self.labels, values)
        self.lines.append(f"{self.name}_count{label_text} {total}.0")
        self.lines.append(f"{self.name}_sum{label_text} {number(histogram.sum)}")
        return self


def render(families: Iterable[Family]) -> bytes:
    out: list[str] = []
    for family in families:
        out.append(f"# HELP {family.name} {family.help}")
        out.append(f"# TYPE {family.name} {family.kind}")
        out.extend(family.lines)
    return ("\n".join(out) + "\n").encode() if out else b""


def merge(texts: Iterable[bytes], keep_first: Callable[[str], bool] = lambda name: False) -> bytes:
    """One exposition from several processes' (``--workers N``), as Prometheus' multiprocess mode merges.

    Families keep the order of their first appearance. A series present in several texts (same name and
    labels: the frontend's per-model counters, gauges and histogram buckets) is summed, which is the
    server's total; a gauge family for which ``keep_first(name)`` holds (a configuration value every
    process reports alike) keeps the first value instead. Series with distinct labels (each engine's) are
    simply listed.
    """
    heads: dict[str, list[str]] = {}  # family -> its HELP and TYPE lines
    samples: dict[str, dict[str, float]] = {}  # family -> series (name and labels) -> value
    first: dict[str, bool] = {}
    for text in texts:
        family = ""
        for line in text.decode().splitlines():
            if line.startswith("# HELP "):
                family = line.split(" ", 3)[2]
                if family not in heads:
                    heads[family] = [line]
                    samples[family] = {}
                    first[family] = keep_first(family)
            elif line.startswith("# TYPE "):
                if len(heads[family]) == 1:
                    heads[family].append(line)
            elif line and family:
                key, _, value = line.rpartition(" ")
                series = samples[family]
                if key in series:
                    if not first[family]:
                        series[key] += float(value)
                else:
                    series[key] = float(value)
    out: list[str] = []
    for family, head in heads.items():
        out.extend(head)
        out.extend(f"{key} {number(value)}" for key, value in samples[family].items())
    return ("\n".join(out) + "\n").encode() if out else b""
