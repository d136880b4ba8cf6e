"""``HttpResponse``: what the core router (``Kavach.handle``) answers."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Optional

__all__ = ["HttpResponse"]


@dataclass(frozen=True)
class HttpResponse:
    """Status, headers in order (``set-cookie`` may appear), and the JSON body."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> Optional[str]:
        """The first value of a header (case-insensitive)."""
        lowered = name.lower()
        return next((value for key, value in self.headers if key.lower() == lowered), None)

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)
