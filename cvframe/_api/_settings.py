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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .._endpoints import Endpoint
from .._errors import ConfigurationError

__all__ = [
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_REQUESTS_PER_MINUTE",
    "DEFAULT_TIMEOUT",
    "ENV_VARS",
    "MISSING_HINTS",
    "SETTINGS_ARGUMENTS",
    "InvalidSettingError",
    "Secret",
    "Settings",
    "missing_settings",
    "missing_settings_error",
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


class InvalidSettingError(ConfigurationError):
    """A setting that is given but refused: its message names the keyword argument.

    Besides the message, it holds what an interface that takes the setting some other
    way (the CLI: an option or an environment variable) needs to word its own:

    - ``setting``: the keyword argument's name (``"host"``);
    - ``shown``: the value as a message may quote it (``"'not a host'"``), or ``""``
      when it must not be shown (a secret, a control character);
    - ``problem``: what is wrong, to follow the setting's name and ``shown``
      (``"is not a host name or an http(s) URL"``);
    - ``advice``: what to do, naming neither a keyword argument nor a variable.
    """

    def __init__(
        self,
        message: str,
        *,
        setting: str = "",
        shown: str = "",
        problem: str = "",
        advice: str = "",
    ) -> None:
        super().__init__(message)
        self.setting = setting
        self.shown = shown
        self.problem = problem
        self.advice = advice


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


def _is_host_name(hostname: str) -> bool:
    """Whether ``hostname`` (from urlsplit: no port, no brackets) can name a host.

    An IP address, or labels of letters, digits, ``-`` and ``_`` between dots (letters
    of any script: an internationalized name). A space, ``%`` or ``<`` would fail in
    the http client at the first request, with a message that names no setting.
    """
    try:
        ipaddress.ip_address(hostname)
    except ValueError:
        labels = hostname.rstrip(".").split(".")
        return all(label and all(c.isalnum() or c in "-_" for c in label) for label in labels)
    return True


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
        raise InvalidSettingError(
            "host is empty: pass host='platform.kore.ai' or set CVFRAME_HOST",
            setting="host",
            problem="is empty",
            advice="give e.g. platform.kore.ai",
        )
    if "://" not in text:
        text = "https://" + text
    shown = repr(_without_userinfo(host))
    try:
        parts = urlsplit(text)
        hostname = parts.hostname
    except ValueError:
        # A bracket that opens no IPv6 address ("[::1"), or one around something else
        # ("https://[zz]"): urlsplit's own message would name no setting.
        parts, hostname = None, None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not hostname
        or not _is_host_name(hostname)
    ):
        raise InvalidSettingError(
            f"host {shown} is not a host name or an http(s) URL; "
            "pass e.g. host='platform.kore.ai' or set CVFRAME_HOST",
            setting="host",
            shown=shown,
            problem="is not a host name or an http(s) URL",
            advice="give e.g. platform.kore.ai or https://platform.kore.ai",
        )
    try:
        port = parts.port  # urlsplit checks the port when asked for it
    except ValueError:
        port = 0
    if port is not None and not 1 <= port <= 65535:
        # "example.com:99999" or ":abc": an http client would fail on it at each request.
        raise InvalidSettingError(
            f"host {shown} has a port that is not a number from 1 to 65535; pass e.g. "
            "host='platform.kore.ai' (port 443) or host='https://example.com:8443'",
            setting="host",
            shown=shown,
            problem="has a port that is not a number from 1 to 65535",
            advice="leave the port out (https: 443) or give one such as example.com:8443",
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        bare = f"{parts.scheme}://{hostname}"
        raise InvalidSettingError(
            f"host {bare} must not carry credentials, a query "
            "or a fragment; pass only the scheme, host, port and optional path prefix",
            setting="host",
            shown=repr(bare),
            problem="must not carry credentials, a query or a fragment",
            advice="give only the scheme, host, port and optional path prefix",
        )
    if parts.scheme == "http" and not allow_insecure_http and not _is_loopback(hostname):
        raise InvalidSettingError(
            f"refusing plain http:// to {hostname}: the token would travel unencrypted. "
            "Use https://, or pass allow_insecure_http=True if you really mean it",
            setting="host",
            shown=shown,
            problem=f"is plain http:// to {hostname}, which is not loopback: the "
            "token would travel unencrypted",
            advice="use https:// (plain http:// goes to a loopback host only, such as "
            "the emulator's)",
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
            problem = (
                "holds a control character, or another that does not print "
                f"(U+{ord(char):04X}), at position {position}; the value is not shown"
            )
            advice = "remove it (check the env file for stray line breaks) and try again"
            raise InvalidSettingError(
                f"{where} {problem}. {advice[0].upper()}{advice[1:]}",
                setting=name,
                problem=problem,
                advice=advice,
            )
        if name in HEADER_SETTINGS and not char.isascii():
            problem = (
                f"holds a character that is not ASCII at position {position}; it is "
                "sent as an HTTP header, which carries ASCII only. The value is not shown"
            )
            advice = "copy it again from the Kore.ai app settings"
            raise InvalidSettingError(
                f"{where} {problem}: {advice}", setting=name, problem=problem, advice=advice
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


#: How to give each setting :func:`missing_settings` can report, for the library's message
#: (the CLI words its own, with its options).
MISSING_HINTS: Mapping[str, str] = {
    "org_id": "pass org_id=... or set CVFRAME_ORG_ID",
    "host": "pass host=... or set CVFRAME_HOST, e.g. platform.kore.ai",
    "account_id": "pass account_id=... or set CVFRAME_ACCOUNT_ID",
    "credentials": "pass token=... or set CVFRAME_TOKEN, or pass both client_id and "
    "client_secret or set CVFRAME_CLIENT_ID and CVFRAME_CLIENT_SECRET (cvframe makes the JWT)",
    "client_id": "pass client_id=... or set CVFRAME_CLIENT_ID (or pass a token instead)",
    "client_secret": "pass client_secret=... or set CVFRAME_CLIENT_SECRET (or pass a "
    "token instead)",
}


def missing_settings(
    given: Mapping[str, object] | None = None,
    *,
    org_id: bool = False,
    env: Mapping[str, str] | None = None,
) -> list[str]:
    """Every setting neither ``given`` (the client keyword arguments) nor in ``env`` holds.

    In the order reported: ``"org_id"`` (only when ``org_id`` is True: the endpoint
    takes one), ``"host"``, ``"account_id"``, then the credentials: ``"credentials"``
    when there is no token and neither of the client id and secret, else the one of
    the pair that is missing. Blank values count as missing, as in
    :meth:`Settings.resolve`.
    """
    values = dict(given or {})
    environ = os.environ if env is None else env

    def has(name: str) -> bool:
        value = values.get(name)
        return _pick(name, value if isinstance(value, str) else None, environ) is not None

    wanted = ("org_id", "host", "account_id") if org_id else ("host", "account_id")
    missing = [name for name in wanted if not has(name)]
    if not has("token"):
        pair = [name for name in ("client_id", "client_secret") if not has(name)]
        missing += ["credentials"] if len(pair) == 2 else pair
    return missing


def missing_settings_error(
    missing: Sequence[str], *, hints: Mapping[str, str] | None = None
) -> ConfigurationError:
    """One :class:`ConfigurationError` naming every setting in ``missing``, and how to give it.

    One missing setting keeps its own message; several are listed in one, so a first
    run is fixed in one go rather than one setting per run. The message names keyword
    arguments (:data:`MISSING_HINTS`); a caller that takes the settings some other way
    (the CLI: options and environment variables) passes ``hints``, each setting's
    ``"what: how to give it"``, which then word the whole message.
    """
    if hints is not None:
        listed = "; ".join(hints[name] for name in missing)
        if len(missing) == 1:
            return ConfigurationError(f"missing {listed}")
        return ConfigurationError(
            f"missing {len(missing)} settings: {listed}. Set all of them, then run again"
        )
    if len(missing) == 1:
        (name,) = missing
        if name == "host":
            return _missing_setting("host", " (e.g. platform.kore.ai)")
        if name in ("org_id", "account_id"):
            return _missing_setting(name)
        absent = "client_id" if name in ("credentials", "client_id") else "client_secret"
        return ConfigurationError(
            "missing credentials: pass token=... (or set CVFRAME_TOKEN), or both "
            "client_id and client_secret (CVFRAME_CLIENT_ID, CVFRAME_CLIENT_SECRET) "
            f"so cvframe can make the JWT; {absent!r} is not set"
        )
    listed = "; ".join(f"{name}: {MISSING_HINTS[name]}" for name in missing)
    return ConfigurationError(
        f"missing {len(missing)} settings: {listed}. Set all of them, then run again"
    )


def resolve_org_id(
    org_id: str | None,
    env: Mapping[str, str] | None = None,
    *,
    settings: Mapping[str, object] | None = None,
) -> str:
    """Return ``org_id``, else ``$CVFRAME_ORG_ID``, else raise ConfigurationError.

    ``settings``, the client keyword arguments a read is about to connect with: when
    the org id is missing, the error names every other missing setting among them
    too (host, account id, credentials), not the org id alone.
    """
    environ = os.environ if env is None else env
    found = _pick("org_id", org_id, environ)
    if found is None:
        others = [] if settings is None else missing_settings(settings, env=environ)
        raise missing_settings_error(["org_id", *others])
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
        given = {
            "host": host,
            "account_id": account_id,
            "token": token,
            "client_id": client_id,
            "client_secret": client_secret,
        }
        missing = missing_settings(given, env=environ)
        if missing:
            raise missing_settings_error(missing)
        host_value = _pick("host", host, environ)
        account = _pick("account_id", account_id, environ)
        assert host_value is not None and account is not None
        if any(char in account for char in "/?#%") or any(c.isspace() for c in account):
            problem = "is not an account id (no spaces, '/', '?', '#' or '%')"
            raise InvalidSettingError(
                f"account_id {account!r} {problem}; pass the id from the Kore.ai app "
                "settings or set CVFRAME_ACCOUNT_ID",
                setting="account_id",
                shown=repr(account),
                problem=problem,
                advice="give the id from the Kore.ai app settings",
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
