"""The JWT that the Contact Volume API expects in its ``auth`` header."""

from __future__ import annotations

import threading
import warnings

from .._errors import ConfigurationError
from ._settings import Secret, Settings

__all__ = ["Credentials", "make_jwt"]


def make_jwt(client_id: str, client_secret: str) -> str:
    """Sign ``{"appId": client_id}`` with HS256 and the app's client secret.

    This is the token Kore.ai's docs describe for apps mapped to an API scope
    (only HS256 is allowed there); it carries no ``exp``.

    >>> secret = "an-app-client-secret-of-32-bytes-or-more"
    >>> token = make_jwt("cs-1234", secret)
    >>> import jwt
    >>> jwt.decode(token, secret, algorithms=["HS256"])
    {'appId': 'cs-1234'}
    """
    if not client_id:
        raise ConfigurationError("client_id is empty; pass client_id=... or set CVFRAME_CLIENT_ID")
    if not client_secret:
        raise ConfigurationError(
            "client_secret is empty; pass client_secret=... or set CVFRAME_CLIENT_SECRET"
        )
    import jwt  # with the first token signed, not with ``import cvframe``

    # catch_warnings swaps the process's filter list and restores it on exit: two
    # threads inside at once could leave one's filter behind for good. One at a time.
    with _SIGNING, warnings.catch_warnings():
        # pyjwt >= 2.10 warns (InsecureKeyLengthWarning) about an HMAC key under 32 bytes
        # on every token made. The secret is the app's, issued by Kore.ai: the server
        # decides whether it is good (a wrong one is a 401 with its own message), and a
        # third-party warning on every CLI run would bury the line that matters.
        short_key = getattr(getattr(jwt, "warnings", None), "InsecureKeyLengthWarning", None)
        if isinstance(short_key, type) and issubclass(short_key, Warning):
            warnings.simplefilter("ignore", short_key)
        return jwt.encode({"appId": client_id}, client_secret, algorithm="HS256")


_SIGNING = threading.Lock()


class Credentials:
    """Holds the token (given, or made once from the client id and secret) and builds headers.

    The JWT is made once: HS256 over ``{"appId": client_id}`` with no ``exp`` signs the
    same bytes every time, so making it again (after a 401, say) could not help.
    """

    __slots__ = ("_client_id", "_client_secret", "_instance_id", "_token")

    def __init__(self, settings: Settings) -> None:
        self._client_id = settings.client_id
        self._client_secret = settings.client_secret
        self._instance_id = settings.instance_id
        if settings.token is not None:
            self._token = settings.token
        else:
            assert self._client_id is not None and self._client_secret is not None
            self._token = Secret(make_jwt(self._client_id, self._client_secret.reveal()))

    def secrets(self) -> tuple[str, ...]:
        """The strings that must never appear in logs or messages."""
        out = [self._token.reveal()]
        if self._client_secret is not None:
            out.append(self._client_secret.reveal())
        return tuple(s for s in out if s)

    def headers(self) -> dict[str, str]:
        """The request headers: the raw JWT in ``auth`` (no Bearer), ``iId`` when set."""
        headers = {"auth": self._token.reveal(), "Content-Type": "application/json"}
        if self._instance_id:
            headers["iId"] = self._instance_id
        return headers

    def __repr__(self) -> str:
        return f"Credentials(client_id={self._client_id!r}, token=Secret('**********'))"
