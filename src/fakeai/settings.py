"""One frozen settings tree for the whole server.

Sources, highest precedence first: keyword arguments (the CLI passes its flags this way), environment
variables ``FAKEAI_<NAME>``, a YAML or TOML config file (``config`` / ``FAKEAI_CONFIG``), then defaults.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

ResponseMode = Literal["prose", "echo", "scripted", "dataset"]
LogLevel = Literal["critical", "error", "warning", "info", "debug"]
ServerKind = Literal["granian", "granian-asgi", "uvicorn"]
JitterDistribution = Literal["normal", "lognormal"]
RouterPolicy = Literal["round_robin", "least_loaded", "kv_aware"]


class Settings(BaseSettings):
    """Everything configurable. Times are in milliseconds, sizes in bytes, unless the name says otherwise."""

    model_config = SettingsConfigDict(env_prefix="FAKEAI_", frozen=True, extra="forbid")

    # Transport
    host: str = Field("127.0.0.1", description="Address to bind.")
    port: int = Field(8000, ge=1, le=65535, description="TCP port to listen on.")
    workers: int = Field(1, ge=1, le=256, description="Server processes; each runs its own engine.")
    server: ServerKind = Field(
        "granian",
        description="HTTP server: granian (native RSGI, the default), granian-asgi or uvicorn.",
    )
    log_level: LogLevel = Field("info", description="Log level of FakeAI and the HTTP server.")
    config: Path | None = Field(None, description="YAML or TOML file with any of these settings.")
    max_request_bytes: int = Field(
        32 * 1024 * 1024, ge=1024, description="Largest request body accepted; larger gets 413."
    )

    # Latency (the simulated engine)
    ttft_ms: float = Field(100.0, ge=0, description="fixed model: time to first token, from admission.")
    itl_ms: float = Field(10.0, ge=0, description="Inter-token latency between later tokens.")
    ttft_jitter_ms: float = Field(0.0, ge=0, description="Standard deviation of TTFT (0: no jitter).")
    itl_jitter_ms: float = Field(
        0.0, ge=0, description="Standard deviation of each ITL, or of each step of a profile (0: none)."
    )

    latency_model: str = Field(
        "fixed",
        description="fixed (TTFT/ITL as set), per-token (prefill cost per uncached prompt token) or "
        "profile:<name> (step time from the batch shape on a real GPU x model pairing; see docs/engine.md).",
    )
    jitter: JitterDistribution = Field(
        "normal", description="Distribution of the jitter: normal or lognormal."
    )
    timer_grid_ms: float = Field(
        2.0,
        ge=0,
        le=50,
        description="fixed and per-token models: the engine timer's resolution; tokens due within one "
        "interval leave together, and with a constant ITL later gaps stay exact (0: wake at each due time).",
    )
    prefill_overhead_ms: float = Field(5.0, ge=0, description="per-token model: fixed part of the prefill.")
    prefill_ms_per_token: float = Field(
        0.05, ge=0, description="per-token model: prefill time per uncached prompt token."
    )
    time_scale: float = Field(
        1.0, gt=0, description="Simulated seconds per wall second: 2 runs the simulation twice as fast."
    )

    # Scheduler and KV cache (vLLM's names; per simulated worker)
    max_num_seqs: int | None = Field(
        None, ge=1, description="Most sequences in a running batch (default: unlimited, or the profile's)."
    )
    max_num_batched_tokens: int | None = Field(
        None, ge=1, description="Token budget of one engine step, chunking long prefills (profiles only)."
    )
    max_model_len: int | None = Field(
        None, ge=1, description="Cap on prompt + completion tokens, below each model's context window."
    )
    max_waiting_requests: int = Field(
        8192, ge=1, description="Queued sequences per worker beyond which requests get 429 + Retry-After."
    )
    block_size: int = Field(16, ge=1, le=1024, description="Tokens per KV-cache block.")
    num_gpu_blocks: int | None = Field(
        None, ge=1, description="KV-cache blocks per worker (default: what fits in GPU memory)."
    )
    gpu_memory_utilization: float = Field(
        0.9, gt=0, le=1, description="Share of GPU memory for weights and KV cache (sizes the block pool)."
    )
    hardware_profile: str = Field(
        "h100-llama-3.1-8b",
        description="GPU x model pairing whose memory and power the fixed and per-token models simulate.",
    )

    served_model_name: str = Field(
        "meta-llama/Llama-3.1-8B-Instruct",
        description="The model the simulated engine serves, as vLLM's first --served-model-name: it leads "
        "/v1/models and labels the per-engine metrics (KV-cache usage, iteration tokens); per-request "
        "metrics carry each request's model.",
    )

    # Cluster
    data_parallel_size: int = Field(1, ge=1, le=1024, description="Simulated workers (data-parallel ranks).")
    router: RouterPolicy = Field(
        "least_loaded", description="How requests pick a worker: round_robin, least_loaded or kv_aware."
    )

    # Content
    seed: int | None = Field(
        None, description="Server seed: makes outputs of requests without their own seed reproducible."
    )
    strict_models: bool = Field(False, description="Unknown model ids get 404 instead of being created.")
    response_mode: ResponseMode = Field(
        "prose",
        description="What replies say: prose, echo (the last user message), scripted (rules in "
        "response_file) or dataset (conversations in response_file). Per request: x-fakeai-response-mode.",
    )
    response_file: Path | None = Field(
        None, description="Rules (YAML/JSON) for the scripted mode, or a JSONL of conversations for dataset."
    )
    response_reload_ms: float = Field(
        1000.0, ge=0, description="How often at most response_file is checked for changes."
    )

    # Metrics
    deprecated_metrics: bool = Field(
        False, description="Also emit vLLM's deprecated metric names (gpu_cache_usage_perc, ...)."
    )
    dynamo_metrics_port: int | None = Field(
        None, ge=0, le=65535, description="Also serve Dynamo's metrics at /metrics on this port."
    )
    dcgm_metrics_port: int | None = Field(
        None,
        ge=0,
        le=65535,
        description="Also serve DCGM's metrics at /metrics on this port (exporter: 9400).",
    )

    # Azure OpenAI routes (api/azure)
    azure_deployments: dict[str, str] = Field(
        default_factory=dict,
        description="Azure deployment name -> catalog model id, as a mapping, JSON, or 'name=model,...'; "
        "a deployment not listed is the model of its own name.",
    )

    @field_validator("azure_deployments", mode="before")
    @classmethod
    def _deployment_pairs(cls, value: Any) -> Any:
        if isinstance(value, str):  # the flag's text: JSON, or name=model pairs
            text = value.strip()
            if text.startswith("{"):
                import json

                return json.loads(text)
            return dict(pair.split("=", 1) for pair in text.split(",") if "=" in pair)
        return value

    # Security and faults (security/, faults/, api/admin/): keys, tenancy, rate limits, CORS, fault rules
    api_key: list[str] = Field(
        default_factory=list,
        description="An accepted API key (repeatable), each its own project; with any key (or keys_file) "
        "every route but /health* needs one.",
    )
    keys_file: Path | None = Field(
        None, description="YAML/TOML file of keys (plain or argon2-hashed) -> project, tier and limits."
    )
    default_tier: str = Field(
        "tier-1",
        description="Rate-limit tier of a key with none of its own: free, tier-1..tier-5, unlimited.",
    )
    metrics_auth: bool = Field(False, description="With keys on, the metrics routes need a key too.")
    admin_api: bool = Field(True, description="Serve the control API under /fakeai/admin.")
    admin_key: str | None = Field(
        None, description="Key of the control API; with keys on and none set, the control API is closed."
    )
    auth_max_failures: int = Field(
        20, ge=1, description="Failed authentications from one client, within auth_window_s, before a block."
    )
    auth_window_s: float = Field(60.0, gt=0, description="Window of auth_max_failures, in seconds.")
    auth_block_s: float = Field(60.0, ge=0, description="How long a client is blocked, in seconds.")
    cors_origins: list[str] = Field(
        default_factory=list, description="Origins allowed to call from a browser ('*' for any)."
    )
    faults: list[dict[str, Any]] = Field(
        default_factory=list, description="Fault rules (see docs/faults.md); more may be added at run time."
    )
    fault_header: bool = Field(
        True, description="Honour the x-fakeai-fault request header (one request's own fault)."
    )
    journal_size: int = Field(1000, ge=0, description="Recent requests the control API's journal keeps.")
    # Media (images and audio families: api/images, api/audio)
    media_threads: int = Field(
        1, ge=1, le=64, description="Threads rendering images and audio, off the event loop."
    )
    media_queue: int = Field(
        64, ge=1, description="Renders that may wait for a media thread; more get 429 with Retry-After."
    )
    public_base_url: str | None = Field(
        None,
        description="Base of the image URLs FakeAI hands out, e.g. https://fakeai.example.com behind a proxy "
        "(default: the request's own scheme and host).",
    )
    image_url_ttl_s: float = Field(
        3600.0, gt=0, description="Seconds an image URL stays valid (OpenAI: 1 h)."
    )
    image_store_mb: int = Field(
        256, ge=1, description="Memory for images behind URLs; the oldest go first when it is full."
    )

    # Stored state (store/: files, uploads, batches, fine-tuning, vector stores; docs/store.md)
    store: str = Field(
        "memory",
        description="Where stored objects live: memory (default, lost at exit) or sqlite:PATH (survives "
        "a kill -9 and a restart; file bytes in PATH.files/).",
    )
    store_max_bytes: int = Field(
        1024 * 1024 * 1024,
        ge=0,
        description="Cap on everything stored (file bytes and objects; 0: none); past it writes get 400 "
        "storage_limit_exceeded.",
    )
    max_file_bytes: int = Field(
        512 * 1024 * 1024,
        ge=1,
        description="Largest single File (OpenAI's 512 MB); bodies are also capped by max_request_bytes.",
    )
    batch_concurrency: int = Field(
        64, ge=1, le=4096, description="Lines of one batch in flight on the engine at once."
    )
    batch_window_s: float = Field(
        86400.0,
        gt=0,
        description="Simulated seconds a batch may run (its 24h completion_window; scaled by time_scale) "
        "before it expires.",
    )
    fine_tuning_s: float = Field(
        10.0,
        gt=0,
        description="Simulated seconds a fine-tuning job trains, whatever its size (scaled by time_scale).",
    )

    @field_validator("latency_model")
    @classmethod
    def _known_latency_model(cls, value: str) -> str:
        from fakeai.engine.profiles import profile_names  # the data files are the list

        if value in ("fixed", "per-token"):
            return value
        if value.startswith("profile:") and value.removeprefix("profile:") in profile_names():
            return value
        known = ", ".join(f"profile:{name}" for name in profile_names())
        raise ValueError(f"latency_model must be fixed, per-token or one of {known}; got {value!r}")

    @field_validator("hardware_profile")
    @classmethod
    def _known_hardware_profile(cls, value: str) -> str:
        from fakeai.engine.profiles import profile_names

        if value not in profile_names():
            raise ValueError(f"hardware_profile must be one of {', '.join(profile_names())}; got {value!r}")
        return value

    @field_validator("store")
    @classmethod
    def _known_store(cls, value: str) -> str:
        if value == "memory" or (value.startswith("sqlite:") and value.removeprefix("sqlite:")):
            return value
        raise ValueError(f"store must be memory or sqlite:PATH; got {value!r}")

    @field_validator("log_level", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, ConfigFileSource(settings_cls, init_settings))


class ConfigFileSource(PydanticBaseSettingsSource):
    """Reads the file named by the ``config`` keyword argument or ``FAKEAI_CONFIG``."""

    def __init__(self, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource):
        super().__init__(settings_cls)
        init_kwargs = getattr(init_settings, "init_kwargs", {})
        self._path = init_kwargs.get("config") or os.environ.get("FAKEAI_CONFIG")

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # __call__ does the work

    def __call__(self) -> dict[str, Any]:
        if not self._path:
            return {}
        return read_config_file(Path(self._path))


def read_config_file(path: Path) -> dict[str, Any]:
    """Parse a YAML (.yaml/.yml) or TOML (.toml) file into a flat mapping of settings.

    Keys may use dashes as on the command line (``ttft-ms``) or underscores (``ttft_ms``).
    """
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".toml":
        data = tomllib.loads(text)
    else:
        import yaml  # only for YAML files: it costs start-up time

        data = yaml.safe_load(text)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError(f"config file {path} must hold a mapping of settings, not {type(data).__name__}")
    return {str(key).replace("-", "_"): value for key, value in data.items()}
