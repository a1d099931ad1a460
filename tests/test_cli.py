"""The CLI exposes every setting as a flag, and a flag left out does not override the environment."""

from __future__ import annotations

import pytest

from fakeai import Settings
from fakeai.cli import build_parser, main, settings_from_args


def parse(*argv: str) -> Settings:
    return settings_from_args(build_parser().parse_args(["server", *argv]))


def test_every_setting_has_a_flag() -> None:
    help_text = build_parser()._subparsers._group_actions[0].choices["server"].format_help()  # type: ignore[union-attr]
    for name in Settings.model_fields:
        assert "--" + name.replace("_", "-") in help_text


def test_flags_reach_the_settings() -> None:
    settings = parse("--host", "0.0.0.0", "--port", "9100", "--workers", "3", "--ttft-ms", "12.5",
                     "--itl-ms", "2", "--seed", "9", "--log-level", "DEBUG", "--strict-models",
                     "--server", "uvicorn", "--max-request-bytes", "4096")  # fmt: skip
    assert (settings.host, settings.port, settings.workers) == ("0.0.0.0", 9100, 3)
    assert (settings.ttft_ms, settings.itl_ms, settings.seed) == (12.5, 2, 9)
    assert (settings.log_level, settings.strict_models, settings.server) == ("debug", True, "uvicorn")
    assert settings.max_request_bytes == 4096


def test_absent_flags_leave_the_environment_in_charge(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKEAI_PORT", "9200")
    monkeypatch.setenv("FAKEAI_TTFT_MS", "33")
    settings = parse("--ttft-ms", "44")
    assert settings.port == 9200 and settings.ttft_ms == 44


def test_invalid_values_exit_2_with_a_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["server", "--port", "99999"]) == 2
    assert "invalid settings" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["server", "--log-level", "loud"])
