"""Misuse of the Python API (issue #9): wrong argument types and huge inputs are refused with a
TypeError or a KavachError, never a crash, a PanicException or an INTERNAL error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kavach_passkeys import Kavach, KavachError, create_kavach, verify_authentication_response

HUGE = "a" * (4 * 1024 * 1024)  # 4 MiB, far over every limit

WRONG_VALUES: list[Any] = [None, 42, 3.5, b"bytes", ["list"], object()]


def refuses(call: Callable[[], Any]) -> BaseException:
    with pytest.raises((TypeError, ValueError, KavachError)) as caught:
        call()
    err = caught.value
    if isinstance(err, KavachError):
        assert err.code != "INTERNAL", err
        assert err.status < 500, err
    return err


@pytest.mark.parametrize("value", WRONG_VALUES)
def test_wrong_types_are_refused_not_crashes(kavach: Kavach, value: Any) -> None:
    if value is not None:  # None is a valid "no email" / "no name" / "empty body" for some
        refuses(lambda: kavach.users.create(value))
        refuses(lambda: kavach.users.get(value))
        refuses(lambda: kavach.sessions.create(value))
        refuses(lambda: kavach.sessions.get(value))
        refuses(lambda: kavach.list_credentials(value))
        refuses(lambda: kavach.authenticate_verify(value))
        refuses(lambda: kavach.rename_credential("token", "id", value))
    refuses(lambda: kavach.delete_credential(value, "id"))
    refuses(lambda: kavach.register_options(value))


def test_huge_inputs_are_refused_cleanly(kavach: Kavach) -> None:
    refuses(lambda: kavach.users.create(HUGE + "@example.com"))
    refuses(lambda: kavach.authenticate_verify(HUGE))
    refuses(lambda: kavach.register_verify(HUGE, "{}"))
    refuses(lambda: kavach.list_credentials(HUGE))
    refuses(lambda: kavach.delete_credential("token", HUGE))
    refuses(lambda: kavach.rename_credential("token", "id", HUGE))
    refuses(
        lambda: verify_authentication_response(
            {"id": HUGE}, HUGE, "http://localhost:3000", "localhost", HUGE, 0
        )
    )
    assert kavach.sessions.get(HUGE) is None
    assert kavach.users.get(HUGE) is None
    assert kavach.users.find_by_email(HUGE) is None
    options = kavach.authenticate_options(HUGE + "@example.com")
    assert options["challenge"]


def test_huge_configuration_is_refused_cleanly() -> None:
    with pytest.raises(KavachError) as caught:
        create_kavach({"secret": HUGE, "base_url": "http://" + HUGE, "plugins": []})
    assert caught.value.code == "INVALID_CONFIG"
