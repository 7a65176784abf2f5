"""Connection settings: keyword arguments first, then environment variables.

This is the only module that reads the environment.
"""

from __future__ import annotations

import inspect
import ipaddress
import logging
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .._endpoints import Endpoint
from .._errors import ConfigurationError

__all__ = [
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_REQUESTS_PER_MINUTE",
    "DEFAULT_TIMEOUT",
    "ENV_VARS",
    "SETTINGS_ARGUMENTS",
    "Secret",
    "Settings",
    "resolve_org_id",
]

log = logging.getLogger("cvframe")

#: The documented rate limit of the WFM APIs: 60 requests per minute per account.
DEFAULT_REQUESTS_PER_MINUTE = 60
#: Attempts after the first one for 429, 502, 503, 504, resets and timeouts.
DEFAULT_MAX_RETRIES = 5
#: Seconds to wait for the server to connect and for each read.
DEFAULT_TIMEOUT = 30.0

#: Keyword argument -> environment variable that supplies it when the argument is None.
ENV_VARS: Mapping[str, str] = {
    "host": "CVFRAME_HOST",
    "account_id": "CVFRAME_ACCOUNT_ID",
    "token": "CVFRAME_TOKEN",
    "client_id": "CVFRAME_CLIENT_ID",
    "client_secret": "CVFRAME_CLIENT_SECRET",
    "instance_id": "CVFRAME_INSTANCE_ID",
    "org_id": "CVFRAME_ORG_ID",
}

#: Settings sent as HTTP header values, which carry ASCII only.
HEADER_SETTINGS = frozenset({"token", "instance_id"})


class Secret:
    """A string that does not show itself in reprs, f-strings or logs.

    >>> s = Secret("hunter2")
    >>> s
    Secret('**********')
    >>> f"{s}"
    '**********'
    >>> s.reveal()
    'hunter2'
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """Return the secret itself, for the one place that must send it."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    def __str__(self) -> str:
        return "**********"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("cvframe Secret objects cannot be pickled")


def _is_loopback(hostname: str) -> bool:
    if hostname == "localhost" or hostname.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


def _is_finite_number(value: object) -> bool:
    """True for an int or float that is not a bool, NaN or infinite."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _without_userinfo(host: str) -> str:
    """``host`` with any ``user:password@`` masked, to be quoted in a message."""
    return re.sub(r"^([^/]*//)?[^/@]*@", lambda m: (m.group(1) or "") + "***@", host)


def normalize_base_url(host: str, *, allow_insecure_http: bool = False) -> str:
    """Turn ``platform.kore.ai`` or ``https://platform.kore.ai/`` into a base URL.

    >>> normalize_base_url("platform.kore.ai")
    'https://platform.kore.ai'
    >>> normalize_base_url("http://127.0.0.1:8080/")
    'http://127.0.0.1:8080'
    """
    text = host.strip()
    if not text:
        raise ConfigurationError("host is empty: pass host='platform.kore.ai' or set CVFRAME_HOST")
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"host {_without_userinfo(host)!r} is not a host name or an http(s) URL; "
            "pass e.g. host='platform.kore.ai' or set CVFRAME_HOST"
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ConfigurationError(
            f"host {parts.scheme}://{parts.hostname} must not carry credentials, a query "
            "or a fragment; pass only the scheme, host, port and optional path prefix"
        )
    if parts.scheme == "http" and not allow_insecure_http and not _is_loopback(parts.hostname):
        raise ConfigurationError(
            f"refusing plain http:// to {parts.hostname}: the token would travel unencrypted. "
            "Use https://, or pass allow_insecure_http=True if you really mean it"
        )
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def _clean(name: str, value: str) -> str | None:
    """``value`` stripped of surrounding whitespace (None when blank), or refused.

    An env file edited on Windows leaves a ``\r`` at the end of each value, and a
    shell heredoc a ``\n``: sent as is, an org id matches no records and a token
    breaks the request. A control character *inside* a value cannot be meant, so it
    is refused, and the message never shows the value (it may be a secret).
    """
    text = value.strip()
    if not text:
        return None
    where = f"setting {name!r} (argument {name}= or ${ENV_VARS[name]})"
    for position, char in enumerate(text, start=1):
        if not char.isprintable():
            raise ConfigurationError(
                f"{where} holds a control character, or another that does not print "
                f"(U+{ord(char):04X}), at position {position}; the value is not shown. Remove "
                "it (check the env file for stray line breaks) and try again"
            )
        if name in HEADER_SETTINGS and not char.isascii():
            raise ConfigurationError(
                f"{where} holds a character that is not ASCII at position {position}; it is "
                "sent as an HTTP header, which carries ASCII only. The value is not shown: "
                "copy it again from the Kore.ai app settings"
            )
    return text


def _pick(name: str, value: str | None, env: Mapping[str, str]) -> str | None:
    """The argument if given, else the environment variable; cleaned, None when blank."""
    found = value if value is not None else env.get(ENV_VARS[name])
    return None if found is None else _clean(name, found)


def _missing_setting(name: str, hint: str = "") -> ConfigurationError:
    return ConfigurationError(
        f"missing setting {name!r}: pass {name}=... or set the environment variable "
        f"{ENV_VARS[name]}{hint}"
    )


def resolve_org_id(org_id: str | None, env: Mapping[str, str] | None = None) -> str:
    """Return ``org_id``, else ``$CVFRAME_ORG_ID``, else raise ConfigurationError."""
    found = _pick("org_id", org_id, os.environ if env is None else env)
    if found is None:
        raise _missing_setting("org_id")
    return found


@dataclass(frozen=True)
class Settings:
    """Everything needed to talk to one account's endpoints (host, account, credentials).

    Build it with :meth:`Settings.resolve`; secrets are held as :class:`Secret`.
    """

    base_url: str
    account_id: str
    token: Secret | None = field(default=None)
    client_id: str | None = None
    client_secret: Secret | None = field(default=None)
    instance_id: str | None = None
    requests_per_minute: float = DEFAULT_REQUESTS_PER_MINUTE
    max_retries: int = DEFAULT_MAX_RETRIES
    timeout: float = DEFAULT_TIMEOUT

    def url_for(self, endpoint: Endpoint) -> str:
        """The full URL of ``endpoint`` for this account."""
        return self.base_url + endpoint.path_for(self.account_id)

    @classmethod
    def resolve(
        cls,
        host: str | None = None,
        account_id: str | None = None,
        *,
        token: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        instance_id: str | None = None,
        requests_per_minute: float = DEFAULT_REQUESTS_PER_MINUTE,
        max_retries: int = DEFAULT_MAX_RETRIES,
        timeout: float = DEFAULT_TIMEOUT,
        allow_insecure_http: bool = False,
        env: Mapping[str, str] | None = None,
    ) -> Settings:
        """Fill each setting from its argument, else from its ``CVFRAME_*`` variable.

        Every value is stripped of surrounding whitespace, and a blank one counts as
        not set; one with a control character inside is refused with a
        :class:`ConfigurationError` that does not show it. When both ``token`` and
        ``client_id``/``client_secret`` are set, the token wins: the client id and
        secret are dropped (and an INFO line on the ``cvframe`` logger says so).
        """
        environ = os.environ if env is None else env
        host_value = _pick("host", host, environ)
        if host_value is None:
            raise _missing_setting("host", " (e.g. platform.kore.ai)")
        account = _pick("account_id", account_id, environ)
        if account is None:
            raise _missing_setting("account_id")
        if any(char in account for char in "/?#%") or any(c.isspace() for c in account):
            raise ConfigurationError(
                f"account_id {account!r} is not an account id (no spaces, '/', '?', '#' or "
                "'%'); pass the id from the Kore.ai app settings or set CVFRAME_ACCOUNT_ID"
            )
        tok = _pick("token", token, environ)
        cid = _pick("client_id", client_id, environ)
        csecret = _pick("client_secret", client_secret, environ)
        if tok is not None and (cid is not None or csecret is not None):
            # A ready token is the more explicit of the two; signing a JWT behind it
            # (on a 401, say) would quietly switch identities.
            log.info(
                "both a token and client_id/client_secret are set; using the "
                "token (client_id and client_secret are ignored)"
            )
            cid = csecret = None
        if tok is None and (cid is None or csecret is None):
            absent = "client_id" if cid is None else "client_secret"
            raise ConfigurationError(
                "missing credentials: pass token=... (or set CVFRAME_TOKEN), or both "
                "client_id and client_secret (CVFRAME_CLIENT_ID, CVFRAME_CLIENT_SECRET) "
                f"so cvframe can make the JWT; {absent!r} is not set"
            )
        if not _is_finite_number(requests_per_minute) or not requests_per_minute > 0:
            raise ValueError(
                f"requests_per_minute must be a finite number > 0, got {requests_per_minute!r}"
            )
        if not _is_finite_number(max_retries) or int(max_retries) != max_retries or max_retries < 0:
            raise ValueError(f"max_retries must be a whole number >= 0, got {max_retries!r}")
        if not _is_finite_number(timeout) or not timeout > 0:
            # An infinite timeout would let a silent server hold a read forever.
            raise ValueError(f"timeout must be a finite number of seconds > 0, got {timeout!r}")
        return cls(
            base_url=normalize_base_url(host_value, allow_insecure_http=allow_insecure_http),
            account_id=account,
            token=Secret(tok) if tok is not None else None,
            client_id=cid,
            client_secret=Secret(csecret) if csecret is not None else None,
            instance_id=_pick("instance_id", instance_id, environ),
            requests_per_minute=float(requests_per_minute),
            max_retries=int(max_retries),
            timeout=float(timeout),
        )


#: The keyword arguments of :meth:`Settings.resolve` that a caller passes on as they came
#: (all but ``env``): the one list of them, which the client forwards by name.
SETTINGS_ARGUMENTS: tuple[str, ...] = tuple(
    name for name in inspect.signature(Settings.resolve).parameters if name != "env"
)
