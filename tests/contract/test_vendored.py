"""The suite carries what it needs: the pinned spec is read from the repository, the validator is active,
and nothing in the project reaches outside its own folder (a clean clone with nothing beside it runs every
contract check; a missing spec fails instead of skipping)."""

from __future__ import annotations

import hashlib
import json
import lzma
import subprocess
from pathlib import Path

import pytest

from .bodies import CHAT, chat_body
from .spec import DEFAULT_PATH, ENV_VAR, Spec, SpecError, SpecMissing, load_spec, read_document, spec_path

ROOT = Path(__file__).resolve().parents[2]
PINNED_SHA256 = "bbfd19abcde0e7412da99378deb2a959ccdd3a812f97c9e35901921e8e973f9a"  # f85dbe2, data/README.md


def test_the_spec_is_the_pinned_file_inside_the_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert spec_path() == DEFAULT_PATH
    assert DEFAULT_PATH.is_relative_to(ROOT)
    assert hashlib.sha256(lzma.decompress(DEFAULT_PATH.read_bytes())).hexdigest() == PINNED_SHA256
    tracked = subprocess.run(
        ["git", "ls-files", "--error-unmatch", str(DEFAULT_PATH.relative_to(ROOT))],
        cwd=ROOT,
        capture_output=True,
        check=False,
    )
    assert tracked.returncode in (0, 128), tracked.stderr  # 128: not a git checkout (an sdist); else tracked


def test_the_validator_is_active_and_rejects_a_wrong_body(spec: Spec) -> None:
    assert spec is load_spec()
    assert len([op for item in spec.document["paths"].values() for op in item]) >= 288
    body = chat_body()
    spec.validate(CHAT, body)
    del body["choices"][0]["finish_reason"]
    with pytest.raises(SpecError):
        spec.validate(CHAT, body)


def test_the_validator_sees_the_sdk_fixtures_bodies(client: object, validated: list) -> None:
    client.models.list()  # type: ignore[attr-defined]
    assert validated == [("/v1/models", 200, 1)]


def test_a_missing_spec_fails_loudly(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "absent.json"))
    with pytest.raises(SpecMissing, match=r"absent\.json"):
        spec_path()


def test_the_override_reads_plain_json(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    plain = tmp_path / "openai.json"
    plain.write_text(json.dumps({"openapi": "3.1.0", "paths": {}}))
    monkeypatch.setenv(ENV_VAR, str(plain))
    assert read_document() == {"openapi": "3.1.0", "paths": {}}


def test_nothing_in_the_project_reads_outside_it() -> None:
    """No sibling folder may be needed: a user's clone has nothing beside it."""
    suffixes = ("", ".py", ".toml", ".sh", ".yaml", ".cfg")
    files = [ROOT / "Makefile", ROOT / "pyproject.toml"]
    for folder in ("src", "tests", "bench", ".ci"):
        files += [p for p in (ROOT / folder).rglob("*") if p.is_file() and p.suffix in suffixes]
    needles = ("../" + "shared", "shared/" + "reference")  # split, so this file does not match itself
    offenders = [
        str(p.relative_to(ROOT)) for p in files if any(n in p.read_text(errors="ignore") for n in needles)
    ]
    assert offenders == []
