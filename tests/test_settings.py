"""Settings precedence: CLI (keyword arguments) > FAKEAI_* environment > config file > defaults."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from fakeai import Settings


def test_defaults() -> None:
    settings = Settings()
    assert (settings.host, settings.port, settings.workers, settings.server) == (
        "127.0.0.1",
        8000,
        1,
        "granian",
    )
    assert settings.max_request_bytes == 32 * 1024 * 1024


@pytest.mark.parametrize("suffix", [".yaml", ".toml"])
def test_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str) -> None:
    config = tmp_path / f"fakeai{suffix}"
    if suffix == ".yaml":
        config.write_text("port: 9001\nttft-ms: 11\nitl_ms: 3\nseed: 5\n")
    else:
        config.write_text("port = 9001\nttft-ms = 11\nitl_ms = 3\nseed = 5\n")
    monkeypatch.setenv("FAKEAI_TTFT_MS", "22")
    monkeypatch.setenv("FAKEAI_ITL_MS", "4")
    settings = Settings(config=config, itl_ms=7)
    assert settings.port == 9001  # file over default
    assert settings.ttft_ms == 22  # env over file
    assert settings.itl_ms == 7  # CLI over env
    assert settings.seed == 5


def test_config_file_named_by_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "c.yml"
    config.write_text("strict_models: true\n")
    monkeypatch.setenv("FAKEAI_CONFIG", str(config))
    assert Settings().strict_models is True


def test_bad_values_and_unknown_keys_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError):
        Settings(port=70000)
    with pytest.raises(ValidationError):
        Settings(ttft_ms=-1)
    config = tmp_path / "typo.yaml"
    config.write_text("ttft: 5\n")  # a typo must not be silently ignored
    with pytest.raises(ValidationError):
        Settings(config=config)


def test_settings_are_frozen() -> None:
    with pytest.raises(ValidationError):
        Settings().port = 1  # type: ignore[misc]
