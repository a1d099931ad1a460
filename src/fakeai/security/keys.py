"""API keys -> who is calling. Keys come from ``--api-key`` (each its own project) and a keys file:

```yaml
default_tier: tier-1          # optional: overrides the server's default_tier for this file's keys
tiers:                        # optional: tiers of your own, next to the presets (security/tiers.py)
  tiny: {rpm: 3, tpm: 1000}
keys:
  - key: sk-team-a-1          # a plain key, or
    project: proj_team_a
    tier: tiny
  - key_hash: "$argon2id$v=19$m=65536,t=3,p=4$..."   # argon2 hash of the key (``fakeai hash-key``)
    project: proj_team_b
    limits: {rpm: 60, quota_tokens: 1000000}
```

Plain keys are looked up by their SHA-256 digest and then compared in constant time. Hashed keys take an
argon2 verification (tens of milliseconds by design), done off the event loop once per distinct key: the
outcome is then cached by the key's SHA-256 digest, in a bounded map, wrong keys included.
"""

from __future__ import annotations

import hashlib
import hmac
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fakeai.security.identity import Identity
from fakeai.security.tiers import Limits, tier_limits

#: Distinct presented keys whose verification outcome is remembered (argon2 is slow by design).
VERIFIED_CACHE = 10_000


@dataclass(frozen=True, slots=True)
class KeyEntry:
    identity: Identity
    limits: Limits
    #: The key itself (plain keys) or its argon2 hash (hashed keys): exactly one is set.
    secret: str | None = None
    hashed: str | None = None


def digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()


def key_id_for(material: str) -> str:
    """A stable, non-secret id of a key (never the key): what logs, metrics and the journal show."""
    return "key_" + hashlib.sha256(material.encode()).hexdigest()[:16]


class KeyRing:
    def __init__(self, entries: Sequence[KeyEntry]) -> None:
        self.entries = list(entries)
        self._plain = {digest(e.secret): e for e in entries if e.secret is not None}
        self._hashed = [e for e in entries if e.hashed is not None]
        self._verified: dict[bytes, KeyEntry | None] = {}
        self.by_key_id = {e.identity.key_id: e for e in entries}

    def __bool__(self) -> bool:
        return bool(self.entries)

    def lookup(self, key: str) -> tuple[bool, KeyEntry | None]:
        """Without slow work: (True, entry or None when wrong) if decided, (False, None) if a hashed key
        must be verified (``verify``, off the event loop)."""
        d = digest(key)
        entry = self._plain.get(d)
        if entry is not None:
            assert entry.secret is not None
            same = hmac.compare_digest(entry.secret.encode(), key.encode("utf-8", "surrogatepass"))
            return True, entry if same else None
        if not self._hashed:
            return True, None
        if d in self._verified:
            return True, self._verified[d]
        return False, None

    def verify(self, key: str) -> KeyEntry | None:
        """Check ``key`` against every hashed entry (CPU-heavy: run it in a thread) and remember it."""
        from argon2 import PasswordHasher
        from argon2.exceptions import InvalidHashError, VerificationError

        hasher = PasswordHasher()
        found = None
        for entry in self._hashed:
            try:
                assert entry.hashed is not None
                if hasher.verify(entry.hashed, key):
                    found = entry
                    break
            except (VerificationError, InvalidHashError):
                continue
        if len(self._verified) >= VERIFIED_CACHE:
            self._verified.clear()  # bounded: a flood of wrong keys costs verifications, not memory
        self._verified[digest(key)] = found
        return found


def hash_key(key: str) -> str:
    """The argon2id hash of a key, for a keys file's ``key_hash``."""
    from argon2 import PasswordHasher

    return PasswordHasher().hash(key)


def load_keys(cli_keys: Sequence[str], keys_file: Path | None, default_tier: str) -> KeyRing:
    """Every configured key. Raises ``ValueError`` on a malformed file (the server refuses to start)."""
    entries: list[KeyEntry] = []
    default = tier_limits(default_tier)
    for key in cli_keys:
        if not key:
            raise ValueError("an --api-key may not be empty")
        key_id = key_id_for(key)
        identity = Identity(
            project="proj_" + key_id.removeprefix("key_")[:12], key_id=key_id, tier=default_tier
        )
        entries.append(KeyEntry(identity, default, secret=key))
    if keys_file is not None:
        entries.extend(_file_entries(_read(keys_file), default_tier, str(keys_file)))
    ids = [e.identity.key_id for e in entries]
    if len(set(ids)) != len(ids):
        raise ValueError("the same API key is configured twice")
    return KeyRing(entries)


def _read(path: Path) -> Mapping[str, Any]:
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".toml":
        data: Any = tomllib.loads(text)
    else:
        import yaml

        data = yaml.safe_load(text) or {}
    if not isinstance(data, dict):
        raise ValueError(f"keys file {path} must hold a mapping with a 'keys' list")
    return data


def _file_entries(data: Mapping[str, Any], default_tier: str, where: str) -> list[KeyEntry]:
    unknown = set(data) - {"keys", "tiers", "default_tier"}
    if unknown:
        raise ValueError(f"keys file {where}: unknown field(s) {sorted(unknown)}")
    custom = {name: Limits().merged(limits or {}) for name, limits in (data.get("tiers") or {}).items()}
    file_default = data.get("default_tier", default_tier)
    entries = []
    for index, item in enumerate(data.get("keys") or []):
        at = f"keys file {where}: keys[{index}]"
        if not isinstance(item, dict):
            raise ValueError(f"{at} must be a mapping")
        bad = set(item) - {"key", "key_hash", "project", "tier", "limits", "id"}
        if bad:
            raise ValueError(f"{at}: unknown field(s) {sorted(bad)}")
        key, hashed = item.get("key"), item.get("key_hash")
        if (key is None) == (hashed is None):
            raise ValueError(f"{at} needs exactly one of 'key' and 'key_hash'")
        if hashed is not None and not str(hashed).startswith("$argon2"):
            raise ValueError(f"{at}: key_hash must be an argon2 hash ($argon2id$...)")
        tier = str(item.get("tier", file_default))
        try:
            limits = tier_limits(tier, custom).merged(item.get("limits") or {})
        except ValueError as exc:
            raise ValueError(f"{at}: {exc}") from None
        key_id = str(item.get("id") or key_id_for(str(key if key is not None else hashed)))
        project = str(item.get("project") or "proj_" + key_id.removeprefix("key_")[:12])
        identity = Identity(project=project, key_id=key_id, tier=tier)
        entries.append(
            KeyEntry(
                identity, limits, secret=None if key is None else str(key), hashed=hashed and str(hashed)
            )
        )
    return entries
