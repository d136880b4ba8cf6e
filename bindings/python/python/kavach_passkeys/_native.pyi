# The private native module (Rust, PyO3). Not part of the public API: use the `kavach_passkeys`
# package. Every function releases the GIL while it works and raises `kavach_passkeys.errors.KavachError`
# (a subclass per family) on failure. JSON results arrive as Python objects (dicts, lists, ...),
# converted in Rust; request bodies of the host API still cross as JSON text.

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Optional, Union, final

from kavach_passkeys.types import (
    AuthenticationOptions,
    Credential,
    CurrentSession,
    MetadataInfo,
    NewSession,
    RegistrationOptions,
    SignIn,
    User,
    VerifiedAuthentication,
    VerifiedRegistration,
)

# A header name or value: `str`, or bytes as an ASGI server hands them over (decoded as Latin-1).
_Header = Union[str, bytes]
_Headers = Iterable[Union[tuple[_Header, _Header], list[_Header]]]
# The verifiers' response: a dict, or JSON text.
_ResponseJSON = Union[dict[str, Any], str, bytes, bytearray]

__all__ = [
    "COOKIE_NAME",
    "MAX_BODY_BYTES",
    "Completions",
    "KavachNative",
    "__version__",
    "_panic_for_tests",
    "error_codes",
    "open",
    "verify_authentication_response",
    "verify_registration_response",
]

MAX_BODY_BYTES: int
COOKIE_NAME: str
__version__: str

@final
class KavachNative:
    @property
    def base_path(self) -> str: ...
    def handles_path(self, path: str) -> bool: ...
    def handle(
        self, method: str, path: str, headers: _Headers, body: bytes, client: Optional[str] = None
    ) -> tuple[int, list[tuple[str, str]], bytes]: ...
    def handle_asgi(
        self, method: str, path: str, headers: _Headers, body: bytes, client: Optional[str] = None
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]: ...
    def register_options(self, session: str, body_json: str) -> RegistrationOptions: ...
    def register_verify(self, session: str, body_json: str) -> Credential: ...
    def authenticate_options(self, body_json: str) -> AuthenticationOptions: ...
    def authenticate_verify(self, body_json: str) -> SignIn: ...
    def list_credentials(self, session: str) -> list[Credential]: ...
    def rename_credential(self, session: str, id: str, name: str) -> Credential: ...
    def delete_credential(self, session: str, id: str) -> dict[str, Any]: ...
    def import_credential(self, body_json: str) -> Credential: ...
    def well_known(self, document: str, extra_json: str) -> Any: ...
    def create_user(self, email: str, name: Optional[str] = None) -> User: ...
    def get_user(self, id: str) -> Optional[User]: ...
    def find_user_by_email(self, email: str) -> Optional[User]: ...
    def set_user_has_other_sign_in(self, id: str, value: bool) -> None: ...
    def create_session(self, user_id: str) -> NewSession: ...
    def get_session(self, token_or_header: str) -> Optional[CurrentSession]: ...
    def revoke_session(self, id: str) -> bool: ...
    def require_recent_auth(self, token_or_header: str, seconds: int) -> bool: ...
    def load_metadata(self, blob: str) -> MetadataInfo: ...

@final
class Completions:
    def __init__(self) -> None: ...
    def fileno(self) -> int: ...
    def submit(
        self,
        native: KavachNative,
        method: str,
        path: str,
        headers: _Headers,
        body: bytes,
        client: Optional[str] = None,
    ) -> int: ...
    def drain(self) -> list[tuple[int, tuple[int, list[tuple[bytes, bytes]], bytes]]]: ...

def open(config_json: str) -> KavachNative: ...
def verify_registration_response(
    response: _ResponseJSON, options: dict[str, Any]
) -> VerifiedRegistration: ...
def verify_authentication_response(
    response: Union[Mapping[str, Any], str, bytes, bytearray],
    expected_challenge: str,
    expected_origin: Union[str, Sequence[str]],
    expected_rp_id: str,
    credential_public_key: Union[str, bytes],
    credential_counter: int,
    require_user_verification: bool = True,
    *,
    credential_id: Optional[str] = None,
    expected_top_origins: Optional[Sequence[str]] = None,
    expected_app_id: Optional[str] = None,
) -> VerifiedAuthentication: ...
def error_codes() -> list[tuple[str, int, str]]: ...
def _panic_for_tests() -> None: ...
