from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from kavach_passkeys import Kavach, create_kavach
from kavach_passkeys.plugins import passkey

from authenticator import SoftAuthenticator

ORIGIN = "http://localhost:3000"
SECRET = "a-test-secret-that-is-at-least-32-bytes-long"


def config(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "database": {"provider": "sqlite", "url": ":memory:"},
        "secret": SECRET,
        "base_url": ORIGIN,
        "plugins": [passkey(rp_name="Test", rp_id="localhost")],
    }
    base.update(overrides)
    return base


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def kavach(tmp_path: Path) -> Iterator[Kavach]:
    yield create_kavach(config(database={"provider": "sqlite", "url": f"file:{tmp_path / 'kavach.db'}"}))


@pytest.fixture
def authenticator() -> SoftAuthenticator:
    return SoftAuthenticator(ORIGIN)


class SignedUp:
    """A user with a session (token) and a registered passkey."""

    def __init__(self, kavach: Kavach, email: str = "ada@example.com") -> None:
        self.user = kavach.users.create(email, "Ada")
        self.session = kavach.sessions.create(self.user["id"])
        self.token = self.session["token"]
        self.authenticator = SoftAuthenticator(ORIGIN)
        options = kavach.register_options(self.token)
        self.credential = kavach.register_verify(self.token, self.authenticator.register(options))


@pytest.fixture
def signed_up(kavach: Kavach) -> SignedUp:
    return SignedUp(kavach)
