"""Hardware profiles: a roofline step-time model of one real GPU x model pairing, from a data file.

A step reads every weight it touches once and the KV cache of every sequence in the batch (memory time),
and does ``2 x active parameters`` FLOPs per token computed (compute time). It takes whichever is longer,
plus a fixed per-step overhead. Small batches are memory-bound, so decode ITL hardly grows with batch size
until compute catches up; a long prefill in the step is compute-bound and stretches every decode in it. For
mixture-of-experts models the share of experts a step reads grows with the tokens in it.

Data files live in ``engine/profiles/<name>.yaml``: hardware from datasheets, model shapes from the model's
``config.json``, and efficiencies (share of peak bandwidth and FLOPs reached, per-step overhead) chosen so
single-stream ITL and prefill speed land near publicly reported vLLM figures; each file says which.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from importlib import resources
from typing import Literal

import yaml

from fakeai.engine.latency import NO_JITTER, Jitter
from fakeai.engine.observer import GpuSpec

GIB = 1024**3
MIB = 1024**2
#: Memory vLLM leaves for activations and the CUDA graph pool on each GPU (outside the KV cache).
ACTIVATION_RESERVE_GIB = 2.0


@dataclass(frozen=True, kw_only=True)
class _Hardware:
    gpu: str
    count: int
    memory_gib: float
    hbm_tb_s: float
    dense_tflops: float
    tdp_watts: float
    idle_watts: float


@dataclass(frozen=True, kw_only=True)
class _Experts:
    routed: int
    active: int
    params_b: float


@dataclass(frozen=True, kw_only=True)
class _Model:
    name: str
    params_b: float
    weight_bytes: float
    layers: int
    kv_heads: int
    head_dim: int
    kv_bytes: float
    heads: int  # query heads: attention FLOPs of a prefill
    kv_per_layer: int = 2  # K and V
    kv_replicated: bool = False
    experts: _Experts | None = None


@dataclass(frozen=True, kw_only=True)
class _Efficiency:
    mbu: float
    mfu: float
    step_overhead_ms: float
    per_seq_ms: float  # per decoding sequence per step: sampling, scheduling, detokenization
    request_overhead_ms: float  # per request before it is queued: tokenization, the API server


@dataclass(frozen=True, kw_only=True)
class _Engine:
    max_num_seqs: int
    max_num_batched_tokens: int
    chunked_prefill: bool = True  # vLLM V1; False: V0's prefill-only steps


@dataclass(frozen=True, kw_only=True)
class Point:
    """One published figure: a scenario and what was measured (milliseconds).

    ``prefill``: one request of ``isl`` tokens alone, TTFT. ``decode``: ``batch`` streams at context
    ``context``, ITL. ``serving``: ``isl``/``osl`` requests at ``concurrency`` (closed loop) or ``rate``
    (Poisson, requests/s), TTFT and TPOT medians.
    """

    kind: Literal["prefill", "decode", "serving"]
    isl: int = 0
    osl: int = 0
    batch: int = 0
    context: int = 0
    concurrency: int = 0
    rate: float = 0.0
    ttft_ms: float | None = None
    itl_ms: float | None = None
    tpot_ms: float | None = None


@dataclass(frozen=True, kw_only=True)
class Calibration:
    source: str  # where the figures come from
    tolerance: float  # the relative error the fit keeps at every point
    points: tuple[Point, ...]

    @classmethod
    def parse(cls, data: dict) -> Calibration:
        return cls(
            source=data["source"],
            tolerance=data["tolerance"],
            points=tuple(Point(**point) for point in data["points"]),
        )


@dataclass(frozen=True, kw_only=True)
class ProfileData:
    description: str
    hardware: _Hardware
    model: _Model
    efficiency: _Efficiency
    engine: _Engine
    #: The published figures the profile was fitted to (tests/engine/test_profile_fit.py checks them).
    calibration: Calibration

    @classmethod
    def parse(cls, data: dict) -> ProfileData:
        """From a profile file's mapping; unknown or missing keys raise TypeError naming them."""
        model = dict(data["model"])
        if model.get("experts") is not None:
            model["experts"] = _Experts(**model["experts"])
        return cls(
            description=data["description"],
            hardware=_Hardware(**data["hardware"]),
            model=_Model(**model),
            efficiency=_Efficiency(**data["efficiency"]),
            engine=_Engine(**data["engine"]),
            calibration=Calibration.parse(data["calibration"]),
        )


def profile_names() -> list[str]:
    folder = resources.files("fakeai.engine").joinpath("profiles")
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_profile(name: str) -> ProfileData:
    """The named profile; ValueError (listing the known names) for an unknown one."""
    if name not in profile_names():
        raise ValueError(f"unknown latency profile {name!r}; known: {', '.join(profile_names())}")
    text = resources.files("fakeai.engine").joinpath("profiles", f"{name}.yaml").read_text(encoding="utf-8")
    return ProfileData.parse(yaml.safe_load(text))


@dataclass
class ProfileLatency:
    """The roofline step time of one profile. Sizes per worker (all its GPUs together)."""

    data: ProfileData
    jitter: Jitter = NO_JITTER
    batched: Literal[True] = True
    admission_delay: float = field(init=False)

    def __post_init__(self) -> None:
        hw, model = self.data.hardware, self.data.model
        self._bandwidth = hw.hbm_tb_s * 1e12 * hw.count * self.data.efficiency.mbu  # bytes/s
        self._flops = hw.dense_tflops * 1e12 * hw.count * self.data.efficiency.mfu
        self._overhead = self.data.efficiency.step_overhead_ms / 1000.0
        self._per_seq = self.data.efficiency.per_seq_ms / 1000.0
        self.admission_delay = self.data.efficiency.request_overhead_ms / 1000.0
        # Attention of a prefill: QK^T and AV, 2 FLOPs each per head dimension, per head, per layer, for
        # every (query, key) pair (``prefill_attention`` counts the pairs).
        self._flops_per_pair = 4.0 * model.layers * model.heads * model.head_dim
        expert_params = model.experts.params_b * 1e9 if model.experts else 0.0
        self._dense_bytes = (model.params_b * 1e9 - expert_params) * model.weight_bytes
        self._expert_bytes = expert_params * model.weight_bytes
        active = model.params_b * 1e9 - expert_params
        if model.experts:
            active += expert_params * model.experts.active / model.experts.routed
        self._flops_per_token = 2.0 * active
        # Bytes of KV read per resident token, over the whole worker (replicated caches are read on
        # every GPU, but in parallel: the time is that of one GPU's share times the count).
        self._kv_read_per_token = self.kv_bytes_per_token * (hw.count if model.kv_replicated else 1)

    @property
    def kv_bytes_per_token(self) -> float:
        """KV-cache bytes one token occupies, per copy of the cache."""
        m = self.data.model
        return m.layers * m.kv_per_layer * m.kv_heads * m.head_dim * m.kv_bytes

    def step_time(
        self,
        prefill_tokens: int,
        decode_seqs: int,
        kv_tokens: int,
        rng: random.Random,
        prefill_attention: int = 0,
    ) -> float:
        tokens = prefill_tokens + decode_seqs
        if tokens <= 0:
            return 0.0
        weights = self._dense_bytes
        if self._expert_bytes:
            experts = self.data.model.experts
            assert experts is not None
            touched = 1.0 - (1.0 - experts.active / experts.routed) ** tokens
            weights += self._expert_bytes * touched
        memory = (weights + kv_tokens * self._kv_read_per_token) / self._bandwidth
        compute = (tokens * self._flops_per_token + prefill_attention * self._flops_per_pair) / self._flops
        step = self._overhead + decode_seqs * self._per_seq + max(memory, compute)
        return self.jitter.sample(step, rng)

    def num_gpu_blocks(self, block_size: int, gpu_memory_utilization: float) -> int:
        """KV blocks that fit beside the weights, as vLLM sizes its pool at start."""
        hw, model = self.data.hardware, self.data.model
        per_gpu = hw.memory_gib * GIB * gpu_memory_utilization - ACTIVATION_RESERVE_GIB * GIB
        per_gpu -= model.params_b * 1e9 * model.weight_bytes / hw.count
        kv_per_gpu = self.kv_bytes_per_token * (1 if model.kv_replicated else 1 / hw.count)
        return max(1, int(per_gpu // (kv_per_gpu * block_size)))

    def gpu_spec(self, block_size: int) -> GpuSpec:
        hw, model = self.data.hardware, self.data.model
        kv_per_gpu = self.kv_bytes_per_token * (1 if model.kv_replicated else 1 / hw.count)
        return GpuSpec(
            name=hw.gpu,
            count=hw.count,
            memory_mib=int(hw.memory_gib * GIB / MIB),
            weights_mib=model.params_b * 1e9 * model.weight_bytes / hw.count / MIB,
            kv_block_mib=kv_per_gpu * block_size / MIB,
            tdp_watts=hw.tdp_watts,
            idle_watts=hw.idle_watts,
        )
