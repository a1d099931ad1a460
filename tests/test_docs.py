"""The docs name every setting, and the public API is exactly what the README documents."""

from __future__ import annotations

from pathlib import Path

import fakeai
from fakeai import Settings

ROOT = Path(__file__).resolve().parents[1]


def test_every_setting_is_documented() -> None:
    readme = (ROOT / "README.md").read_text()
    configuration = (ROOT / "docs" / "configuration.md").read_text()
    for name in Settings.model_fields:
        flag, env = "--" + name.replace("_", "-"), "FAKEAI_" + name.upper()
        assert f"`{flag}`" in readme and f"`{env}`" in readme, name
        assert f"`{name}`" in configuration and f"`{flag}" in configuration, name


def test_public_api_is_pinned() -> None:
    assert sorted(fakeai.__all__) == ["Settings", "__version__", "create_app"]
