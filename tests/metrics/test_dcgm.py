from __future__ import annotations

import pytest

from fakeai.metrics import Metrics, Recorder
from fakeai.metrics.dcgm import gpu_uuid
from tests.metrics.conftest import parse
from tests.metrics.fake import H100, FakeCluster

DEFAULT_FIELDS = (
    "SM_CLOCK", "MEM_CLOCK", "MEMORY_TEMP", "GPU_TEMP", "POWER_USAGE", "TOTAL_ENERGY_CONSUMPTION",
    "PCIE_REPLAY_COUNTER", "GPU_UTIL", "MEM_COPY_UTIL", "ENC_UTIL", "DEC_UTIL", "XID_ERRORS", "FB_FREE",
    "FB_USED", "FB_RESERVED", "NVLINK_BANDWIDTH_TOTAL", "VGPU_LICENSE_STATUS", "UNCORRECTABLE_REMAPPED_ROWS",
    "CORRECTABLE_REMAPPED_ROWS", "ROW_REMAP_FAILURE",
)  # fmt: skip
PROFILING = ("GR_ENGINE_ACTIVE", "PIPE_TENSOR_ACTIVE", "DRAM_ACTIVE", "PCIE_TX_BYTES", "PCIE_RX_BYTES")
COUNTERS = {"TOTAL_ENERGY_CONSUMPTION", "PCIE_REPLAY_COUNTER", "NVLINK_BANDWIDTH_TOTAL",
            "UNCORRECTABLE_REMAPPED_ROWS", "CORRECTABLE_REMAPPED_ROWS"}  # fmt: skip


def values(metrics: Metrics, field: str) -> dict[str, float]:
    """``DCGM_FI_DEV_<field>`` by ``gpu`` label."""
    family = parse(metrics.dcgm_text())[f"DCGM_FI_DEV_{field}"]
    return {s.labels["gpu"]: s.value for s in family.samples}


def test_every_default_field_per_gpu_with_dcgm_labels_and_types(metrics: Metrics) -> None:
    text = metrics.dcgm_text()
    families = parse(text)
    names = [f"DCGM_FI_DEV_{f}" for f in DEFAULT_FIELDS] + [f"DCGM_FI_PROF_{f}" for f in PROFILING]
    assert sorted(families) == sorted(names)
    for name in names:
        family = families[name]
        assert family.type == ("counter" if name.split("_FI_DEV_")[-1] in COUNTERS else "gauge"), name
        assert len(family.samples) == 4  # 2 workers x 2 GPUs
        assert text.count(f"\n{name}{{".encode()) == 4  # exactly the field name: no _total on counters
        labels = family.samples[3].labels
        assert labels["gpu"] == "3" and labels["device"] == "nvidia3" and labels["Hostname"] == "node-1"
        assert labels["modelName"] == H100.name and labels["UUID"] == gpu_uuid("node-1", 3)
        assert labels["pci_bus_id"].startswith("00000000:") and "DCGM_FI_DRIVER_VERSION" in labels
    assert len({gpu_uuid("node-1", i) for i in range(4)} | {gpu_uuid("node-2", 0)}) == 5


def test_utilization_follows_busy_time_over_each_scrape_interval(
    metrics: Metrics, cluster: FakeCluster
) -> None:
    cluster.busy(0, 3.0)
    cluster.time += 1.0  # worker 0 idle for the last second: 75 % over [0, 4]
    assert values(metrics, "GPU_UTIL") == {"0": 75, "1": 75, "2": 0, "3": 0}
    cluster.busy(1, 2.0)  # next interval: worker 0 idle, worker 1 busy throughout
    assert values(metrics, "GPU_UTIL") == {"0": 0, "1": 0, "2": 100, "3": 100}
    assert values(metrics, "GPU_UTIL")["2"] == 100  # a second scrape at the same instant repeats the reading


def test_power_energy_and_temperature_follow_load(recorder: Recorder) -> None:
    cluster = FakeCluster(recorder, workers=1)
    metrics = Metrics(recorder, cluster, hostname="node-1")
    cluster.time = 10.0  # idle: idle power integrated
    assert values(metrics, "POWER_USAGE")["0"] == H100.idle_watts
    assert values(metrics, "TOTAL_ENERGY_CONSUMPTION")["0"] == pytest.approx(H100.idle_watts * 10 * 1000)
    cold = values(metrics, "GPU_TEMP")["0"]
    cluster.busy(0, 60.0)
    assert values(metrics, "POWER_USAGE")["0"] == H100.tdp_watts
    energy = values(metrics, "TOTAL_ENERGY_CONSUMPTION")["0"]
    assert energy == pytest.approx((H100.idle_watts * 10 + H100.tdp_watts * 60) * 1000)
    assert values(metrics, "GPU_TEMP")["0"] > cold + 30
    assert values(metrics, "SM_CLOCK")["0"] > 1500


def test_framebuffer_follows_kv_blocks(metrics: Metrics, cluster: FakeCluster) -> None:
    cluster.update(0, blocks_in_use=1000)
    used, free, reserved = (values(metrics, f) for f in ("FB_USED", "FB_FREE", "FB_RESERVED"))
    assert used == {"0": 10000, "1": 10000, "2": 8000, "3": 8000}  # weights + 1000 blocks x 2 MiB
    assert all(used[g] + free[g] + reserved[g] == pytest.approx(H100.memory_mib, abs=1) for g in used)
