"""The caller's identity: resolved once by the transport, passed to services as a value.

Every stored object is keyed by ``Identity.project``, so isolation between projects is structural: a
family asks the store for its caller's project and can never see another's. Without configured API keys
every caller is ``ANONYMOUS`` (one shared project), as a single-tenant server is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Identity:
    #: The namespace of everything the caller stores (files, batches, responses, ...).
    project: str
    #: The id of the API key used (never the key itself); None without configured keys.
    key_id: str | None = None
    #: The rate-limit tier's name; None when nothing is limited.
    tier: str | None = None


ANONYMOUS = Identity(project="proj_default")

#: Where the transport puts the identity in an ASGI scope's ``state`` (Starlette's ``request.state``).
SCOPE_KEY = "identity"


def identity_of(scope: Mapping[str, Any]) -> Identity:
    """The identity the transport attached to an ASGI scope, or ``ANONYMOUS``."""
    return scope.get("state", {}).get(SCOPE_KEY, ANONYMOUS)
