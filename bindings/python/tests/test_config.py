"""Configuration crosses as JSON: snake_case (or camelCase) names, validated by the core."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kavach_passkeys import ConfigError, Kavach, KavachError, create_kavach, create_kavach_async
from kavach_passkeys.plugins import passkey

from conftest import ORIGIN, SECRET, config


def test_opens_a_snake_case_configuration() -> None:
    kavach = create_kavach(config(base_path="/api/auth", session={"max_age": 3600}))
    assert isinstance(kavach, Kavach)
    assert kavach.base_path == "/api/auth"
    assert kavach.handles_path("/api/auth/session?x=1")
    assert not kavach.handles_path("/auth/session")


def test_accepts_keyword_arguments_and_camel_case() -> None:
    kavach = create_kavach(
        secret=SECRET,
        baseUrl=ORIGIN,
        database={"url": ":memory:"},
        plugins=[{"id": "passkey", "rpName": "Test", "rpId": "localhost", "userVerification": "required"}],
    )
    assert kavach.authenticate_options()["userVerification"] == "required"


def test_passkey_plugin_passes_its_options_through() -> None:
    plugin = passkey(
        rp_name="Test",
        rp_id="localhost",
        origin=["http://localhost:3000", "http://localhost:4000"],
        timeout=30_000,
        attestation="direct",
        user_verification="discouraged",
        allow_deleting_last_passkey=True,
    )
    assert plugin["id"] == "passkey"
    assert plugin["origin"] == ["http://localhost:3000", "http://localhost:4000"]
    options = create_kavach(config(plugins=[plugin])).authenticate_options()
    assert options["timeout"] == 30_000
    assert options["userVerification"] == "discouraged"


def test_passkey_plugin_passes_the_abuse_and_attestation_options_through(tmp_path: Path) -> None:
    plugin = passkey(
        rp_name="Test",
        rp_id="localhost",
        attestation="direct",
        attestation_policy={
            "require": "verified",
            "allowed_aaguids": ["ee882879-721c-4913-9775-3dfcce97072a"],
        },
        bundled_attestation_roots=False,
        android_safety_net_require_cts_profile_match=False,
    )
    kavach = create_kavach(config(plugins=[plugin]))
    kavach.authenticate_options()

    # The core validates what the plugin passed: each reaches it under the right name.
    cases: list[tuple[dict[str, Any], str]] = [
        ({"attestation_policy": {"allowed_aaguids": ["not-an-aaguid"]}}, "not-an-aaguid"),
        ({"attestation_roots": [{"name": "Corp", "pem": "not a certificate"}]}, "Corp"),
        ({"metadata_blob_path": str(tmp_path / "missing.jwt")}, "missing.jwt"),
    ]
    for options, needle in cases:
        with pytest.raises(ConfigError) as bad:
            create_kavach(config(plugins=[passkey(rp_name="T", rp_id="localhost", **options)]))
        assert needle in bad.value.message, bad.value.message


def test_passkey_plugin_omits_unset_options() -> None:
    assert passkey(rp_name="A", rp_id="example.com") == {
        "id": "passkey",
        "rp_name": "A",
        "rp_id": "example.com",
    }


def test_database_file_is_created(tmp_path: Path) -> None:
    db = tmp_path / "k.db"
    create_kavach(config(database={"provider": "sqlite", "url": f"file:{db}"}))
    assert db.exists()


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        ({"secret": "too-short"}, "secret must be at least 32 bytes"),
        ({"base_url": "http://example.com"}, "must use https"),
        ({"plugins": []}, "passkey plugin is not configured"),
        ({"plugins": [passkey(rp_name="T", rp_id="example.com")]}, "rp"),
        ({"plugins": [passkey(rp_name="T", rp_id="localhost", timeout=10)]}, "timeout"),
        (
            {
                "plugins": [
                    {"id": "passkey", "rp_name": "T", "rp_id": "localhost", "user_verification": "always"}
                ]
            },
            "userVerification",
        ),
        ({"rp_idd": "typo"}, "unknown field"),
        ({"database": {"provider": "mysql"}}, "database.provider"),
    ],
)
def test_rejects_bad_configuration_with_invalid_config(overrides: dict[str, Any], needle: str) -> None:
    with pytest.raises(ConfigError) as caught:
        create_kavach(config(**overrides))
    err = caught.value
    assert isinstance(err, KavachError)
    assert err.code == "INVALID_CONFIG"
    assert err.status == 500
    assert needle in err.message


def test_rejects_values_that_are_not_json_naming_the_option() -> None:
    with pytest.raises(ConfigError) as caught:
        create_kavach(config(secret=object()))
    assert caught.value.message == (
        "options.secret is a object; it must be JSON data (str, int, float, bool, None, a list or a dict "
        "with str keys)"
    )
    # What copying a placeholder from an example gives: said plainly, not as a JSON encoder error.
    with pytest.raises(ConfigError) as caught:
        create_kavach(config(secret=...))
    assert caught.value.message == "options.secret is `...` (a placeholder): give it a value"
    with pytest.raises(ConfigError) as caught:
        create_kavach(config(plugins=[{**passkey(rp_name="A", rp_id="localhost"), "timeout": float("inf")}]))
    assert caught.value.message == "options.plugins[0].timeout is inf, which JSON cannot represent"


@pytest.mark.parametrize("secret", [None, ""])
def test_a_missing_secret_is_said_plainly(secret: str | None) -> None:
    options = config()
    options["secret"] = secret
    with pytest.raises(ConfigError) as caught:
        create_kavach(options)
    assert caught.value.message.startswith("secret is required: at least 32 bytes"), caught.value.message
    del options["secret"]
    with pytest.raises(ConfigError) as caught:
        create_kavach(options)
    assert caught.value.message.startswith("secret is required: at least 32 bytes"), caught.value.message


def test_a_missing_field_names_it_without_a_json_position() -> None:
    options = config()
    del options["base_url"]
    with pytest.raises(ConfigError) as caught:
        create_kavach(options)
    assert caught.value.message == "configuration is not valid: missing field `baseUrl`"


def test_unreadable_database_is_refused(tmp_path: Path) -> None:
    with pytest.raises(KavachError):
        create_kavach(config(database={"url": f"file:{tmp_path}/missing/dir/k.db"}))


@pytest.mark.anyio
async def test_create_kavach_async() -> None:
    kavach = await create_kavach_async(config())
    assert kavach.base_path == "/auth"
    with pytest.raises(ConfigError):
        await create_kavach_async(config(secret="short"))


def test_hints_and_top_origins_reach_the_core() -> None:
    plugin = passkey(
        rp_name="Test",
        rp_id="localhost",
        hints=["security-key", "hybrid"],
        top_origins=["https://portal.example.net"],
    )
    assert plugin["hints"] == ["security-key", "hybrid"]
    assert plugin["top_origins"] == ["https://portal.example.net"]
    kavach = create_kavach(config(plugins=[plugin]))
    assert kavach.authenticate_options()["hints"] == ["security-key", "hybrid"]
    with pytest.raises(ConfigError, match=r"passkey\.hints must be a list of"):
        create_kavach(config(plugins=[passkey(rp_name="Test", rp_id="localhost", hints=["usb"])]))  # type: ignore[list-item]
    with pytest.raises(ConfigError, match=r"passkey\.topOrigins .* must use https"):
        create_kavach(
            config(plugins=[passkey(rp_name="Test", rp_id="localhost", top_origins=["http://a.example"])])
        )
