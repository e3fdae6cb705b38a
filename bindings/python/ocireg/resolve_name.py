"""Short names (``busybox``) resolved as podman resolves them with a
registries.conf: ``Client.resolve_name`` is the entry point; this module
holds the :class:`ResolvedName` it returns."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

__all__ = ["ResolvedName"]


@dataclass(frozen=True)
class ResolvedName:
    """What a name stands for: ``reference`` (normalized, with the name's
    tag, ``latest`` when it had none, or digest), ``rationale`` (``"none"``
    for a fully qualified name, ``"alias"``, ``"search-registries"``, or
    ``"docker-default"`` without a registries.conf), ``origin`` (the file
    that decided, or None) and ``skipped`` (the candidates a pull tried
    before, each ``(reference, error message)``)."""

    name: str
    reference: str
    rationale: str
    origin: Optional[str] = None
    skipped: List[Tuple[str, str]] = field(default_factory=list)

    @classmethod
    def _from_json(cls, text: str) -> "ResolvedName":
        d = json.loads(text)
        return cls(
            name=d["name"],
            reference=d["reference"],
            rationale=d["rationale"],
            origin=d.get("origin"),
            skipped=[(s["reference"], s["error"]) for s in d.get("skipped", [])],
        )
