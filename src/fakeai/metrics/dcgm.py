"""dcgm-exporter's default fields (``etc/default-counters.csv``) for every simulated GPU, driven by the
engine: utilization is the busy fraction of the worker since the previous scrape, memory follows the KV
blocks in use, power/energy/temperature/clocks follow utilization.

Each worker has ``GpuSpec.count`` GPUs (tensor parallel), all equally loaded. GPU ``i`` of worker ``w``
is global GPU ``w * count + i``. State (the previous reading, energy, temperature) lives in one
``Dcgm`` per app, so every scrape integrates the interval since the one before, whoever scraped.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator, Sequence

from fakeai.engine.observer import GpuSpec, WorkerSnapshot
from fakeai.metrics.exposition import Family

LABELS = ("gpu", "UUID", "pci_bus_id", "device", "modelName", "Hostname", "DCGM_FI_DRIVER_VERSION")
DRIVER_VERSION = "570.133.20"
#: PCI buses of the eight GPUs of an HGX H100 board, then made-up ones.
_BUSES = (0x18, 0x2A, 0x3A, 0x5D, 0x9A, 0xAB, 0xBA, 0xDB)
#: Clocks of an H100 SXM (MHz): the spec carries no clocks, and dashboards only need them plausible.
SM_CLOCK_IDLE, SM_CLOCK_MAX, MEM_CLOCK = 345.0, 1980.0, 2619.0
TEMP_IDLE, TEMP_RISE, TEMP_TAU = 32.0, 40.0, 20.0  # degrees C at 0 and over it at 100 %; seconds to settle
RESERVED_FRACTION = 0.007  # driver-reserved framebuffer (~570 MiB on an 80 GB card)

# The counters; every other field is a gauge (dcgm-exporter's types).
_ZERO_COUNTERS = (
    "DCGM_FI_DEV_PCIE_REPLAY_COUNTER",
    "DCGM_FI_DEV_NVLINK_BANDWIDTH_TOTAL",
    "DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS",
    "DCGM_FI_DEV_CORRECTABLE_REMAPPED_ROWS",
)
_HELP = {
    "DCGM_FI_DEV_SM_CLOCK": "SM clock frequency (in MHz).",
    "DCGM_FI_DEV_MEM_CLOCK": "Memory clock frequency (in MHz).",
    "DCGM_FI_DEV_MEMORY_TEMP": "Memory temperature (in C).",
    "DCGM_FI_DEV_GPU_TEMP": "GPU temperature (in C).",
    "DCGM_FI_DEV_POWER_USAGE": "Power draw (in W).",
    "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION": "Total energy consumption since boot (in mJ).",
    "DCGM_FI_DEV_PCIE_REPLAY_COUNTER": "Total number of PCIe retries.",
    "DCGM_FI_DEV_GPU_UTIL": "GPU utilization (in %).",
    "DCGM_FI_DEV_MEM_COPY_UTIL": "Memory utilization (in %).",
    "DCGM_FI_DEV_ENC_UTIL": "Encoder utilization (in %).",
    "DCGM_FI_DEV_DEC_UTIL": "Decoder utilization (in %).",
    "DCGM_FI_DEV_XID_ERRORS": "Value of the last XID error encountered.",
    "DCGM_FI_DEV_FB_FREE": "Frame buffer memory free (in MiB).",
    "DCGM_FI_DEV_FB_USED": "Frame buffer memory used (in MiB).",
    "DCGM_FI_DEV_FB_RESERVED": "Frame buffer memory reserved (in MiB).",
    "DCGM_FI_DEV_NVLINK_BANDWIDTH_TOTAL": "Total number of NVLink bandwidth counters for all lanes.",
    "DCGM_FI_DEV_VGPU_LICENSE_STATUS": "vGPU License status",
    "DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS": "Number of remapped rows for uncorrectable errors",
    "DCGM_FI_DEV_CORRECTABLE_REMAPPED_ROWS": "Number of remapped rows for correctable errors",
    "DCGM_FI_DEV_ROW_REMAP_FAILURE": "Whether remapping of rows has failed",
    "DCGM_FI_PROF_GR_ENGINE_ACTIVE": "Ratio of time the graphics engine is active.",
    "DCGM_FI_PROF_PIPE_TENSOR_ACTIVE": "Ratio of cycles the tensor (HMMA) pipe is active.",
    "DCGM_FI_PROF_DRAM_ACTIVE": "Ratio of cycles the device memory interface is active sending or "
    "receiving data.",
    "DCGM_FI_PROF_PCIE_TX_BYTES": "The rate of data transmitted over the PCIe bus - including both protocol "
    "headers and data payloads - in bytes per second.",
    "DCGM_FI_PROF_PCIE_RX_BYTES": "The rate of data received over the PCIe bus - including both protocol "
    "headers and data payloads - in bytes per second.",
}


def power_watts(spec: GpuSpec, utilization: float) -> float:
    """One GPU's draw: linear from idle to TDP in its utilization (0-1)."""
    return spec.idle_watts + (spec.tdp_watts - spec.idle_watts) * utilization


def memory_used_mib(snapshot: WorkerSnapshot) -> float:
    """One GPU's framebuffer in use: its share of the weights and of the KV blocks in use."""
    return snapshot.gpu.weights_mib + snapshot.blocks_in_use * snapshot.gpu.kv_block_mib


def gpu_uuid(hostname: str, gpu: int) -> str:
    """Stable across restarts of the same host, different between hosts (as real UUIDs are)."""
    return f"GPU-{uuid.uuid5(uuid.NAMESPACE_DNS, f'{gpu}.gpu.{hostname}.fakeai')}"


def pci_bus_id(gpu: int) -> str:
    bus = _BUSES[gpu] if gpu < len(_BUSES) else (0x100 + gpu) & 0xFF
    return f"00000000:{bus:02X}:00.0"


class Dcgm:
    """One per app. ``start`` is the engine time the workers started (busy time 0)."""

    def __init__(self, hostname: str, start: float) -> None:
        self.hostname = hostname
        self._start = start
        self._previous: dict[int, tuple[float, float]] = {}  # worker -> (engine time, busy_seconds)
        self._utilization: dict[int, float] = {}  # worker -> busy fraction over the last interval
        self._energy: dict[int, float] = {}  # global gpu -> mJ since start
        self._temperature: dict[int, float] = {}  # global gpu -> degrees C

    def utilization(self, snapshot: WorkerSnapshot, now: float) -> float:
        """Busy fraction (0-1) of the worker since the previous reading; advances the reading.

        A second reading at the same instant repeats the last value rather than dividing by zero.
        """
        then, busy_then = self._previous.get(snapshot.index, (self._start, 0.0))
        elapsed = now - then
        if elapsed <= 0:
            return self._utilization.get(snapshot.index, 0.0)
        value = min(1.0, max(0.0, (snapshot.busy_seconds - busy_then) / elapsed))
        self._previous[snapshot.index] = (now, snapshot.busy_seconds)
        self._utilization[snapshot.index] = value
        self._advance(snapshot, value, elapsed)
        return value

    def _advance(self, snapshot: WorkerSnapshot, util: float, elapsed: float) -> None:
        """Integrate energy (power is linear in utilization, so the interval's mean is exact) and let the
        temperature approach its load's steady value (first-order, time constant ``TEMP_TAU``)."""
        spec = snapshot.gpu
        watts = power_watts(spec, util)
        target = TEMP_IDLE + TEMP_RISE * util
        decay = math.exp(-elapsed / TEMP_TAU)
        for gpu in self.gpus(snapshot):
            self._energy[gpu] = self._energy.get(gpu, 0.0) + watts * elapsed * 1000.0
            current = self._temperature.get(gpu, TEMP_IDLE)
            self._temperature[gpu] = target + (current - target) * decay

    @staticmethod
    def gpus(snapshot: WorkerSnapshot) -> range:
        count = snapshot.gpu.count
        return range(snapshot.index * count, (snapshot.index + 1) * count)

    def families(self, snapshots: Sequence[WorkerSnapshot], now: float) -> Iterator[Family]:
        fields = {name: Family(name, "counter" if name in _ZERO_COUNTERS or "ENERGY" in name else "gauge",
                               help_text, LABELS) for name, help_text in _HELP.items()}  # fmt: skip
        for snapshot in snapshots:
            util = self.utilization(snapshot, now)
            spec = snapshot.gpu
            used = memory_used_mib(snapshot)
            reserved = float(round(spec.memory_mib * RESERVED_FRACTION))
            values = {
                "DCGM_FI_DEV_SM_CLOCK": round(
                    SM_CLOCK_IDLE + (SM_CLOCK_MAX - SM_CLOCK_IDLE) * min(1.0, util * 5)
                ),
                "DCGM_FI_DEV_MEM_CLOCK": MEM_CLOCK,
                "DCGM_FI_DEV_POWER_USAGE": round(power_watts(spec, util), 3),
                "DCGM_FI_DEV_GPU_UTIL": round(util * 100),
                "DCGM_FI_DEV_MEM_COPY_UTIL": round(util * 60),  # decode is memory-bound, not saturating
                "DCGM_FI_DEV_FB_USED": round(used),
                "DCGM_FI_DEV_FB_RESERVED": reserved,
                "DCGM_FI_DEV_FB_FREE": max(0, round(spec.memory_mib - used - reserved)),
                "DCGM_FI_PROF_GR_ENGINE_ACTIVE": round(util, 6),
                "DCGM_FI_PROF_PIPE_TENSOR_ACTIVE": round(util * 0.45, 6),
                "DCGM_FI_PROF_DRAM_ACTIVE": round(util * 0.6, 6),
                "DCGM_FI_PROF_PCIE_TX_BYTES": round(2e6 + 4e7 * util),
                "DCGM_FI_PROF_PCIE_RX_BYTES": round(3e6 + 6e7 * util),
            }
            for gpu in self.gpus(snapshot):
                labels = (str(gpu), gpu_uuid(self.hostname, gpu), pci_bus_id(gpu), f"nvidia{gpu}", spec.name,
                          self.hostname, DRIVER_VERSION)  # fmt: skip
                temperature = self._temperature.get(gpu, TEMP_IDLE)
                per_gpu = {
                    **values,
                    "DCGM_FI_DEV_GPU_TEMP": round(temperature),
                    "DCGM_FI_DEV_MEMORY_TEMP": round(temperature + 2 + 6 * util),
                    "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION": round(self._energy.get(gpu, 0.0)),
                }
                for name, family in fields.items():
                    family.add(labels, per_gpu.get(name, 0))  # the rest: no errors, no codecs, no vGPU
        yield from fields.values()
