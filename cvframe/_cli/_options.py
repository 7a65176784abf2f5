"""The connection options every command that reads the API shares, and their settings."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from typing import Any, TypeAlias

import pandas as pd

from .._api import (
    DEFAULT_REQUESTS_PER_MINUTE,
    InvalidSettingError,
    missing_settings,
    missing_settings_error,
)
from .._durations import parse_duration
from .._endpoints import endpoint_named
from .._frame import check_time_zone
from .._times import format_api_time, to_utc
from ._errors import CommandError, UsageError

__all__ = [
    "ENDPOINT_HELP",
    "HISTORY_ENDPOINTS",
    "Subcommands",
    "add_allow_empty_option",
    "add_connection_options",
    "add_endpoint_option",
    "check_duration_option",
    "check_settings",
    "check_time_zone_option",
    "check_window_options",
    "connection_settings",
    "finite_seconds_argument",
    "in_command_words",
    "nonnegative_seconds_argument",
    "notice",
    "page_size_argument",
    "positive_number_argument",
    "refuse_options",
    "whole_number_argument",
]

#: What ``add_subparsers`` returns: each command module adds its commands to it.
Subcommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"

#: The client keyword arguments the connection options set (secrets only via env).
_CONNECTION_SETTINGS = ("host", "account_id", "instance_id", "requests_per_minute")


#: What each ``--endpoint`` reads, for the help texts (the order of the README).
ENDPOINT_HELP = {
    "callvolume": "per-queue contacts and times per 15-minute interval (the default)",
    "skillvolume": "call volume per skill: one row per record x skill (a contact counts "
    "once per skill, so skill sums can exceed the queue's totals)",
    "agentperformance": "each agent's contacts and handle times per interval and queue",
    "agentactivity": "agents' state changes (available, busy, acw, notready, logout); "
    "its times carry no zone: --time-zone says which (default UTC)",
    "queues": "the queue directory (queue id, description); no window",
    "agents": "the agent directory (agent id, first and last name); no window",
}
#: The endpoints with a history (a window, a snapshot): the others are directories.
HISTORY_ENDPOINTS = ("callvolume", "skillvolume", "agentperformance", "agentactivity")


def add_endpoint_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--endpoint``, its help listing what each endpoint is."""
    listed = "; ".join(f"{name}: {text}" for name, text in ENDPOINT_HELP.items())
    parser.add_argument(
        "--endpoint",
        choices=tuple(ENDPOINT_HELP),
        default="callvolume",
        metavar="ENDPOINT",
        help=f"what to read (default callvolume). {listed}",
    )


#: Options whose attribute is not their own name.
_DESTS = {"--from": "start", "--to": "end"}


def refuse_options(args: argparse.Namespace, allowed: dict[str, tuple[str, ...]]) -> None:
    """UsageError naming the first option given that ``args.endpoint`` does not take.

    ``allowed`` maps an option (``"--org"``) to the endpoints it applies to; an
    option counts as given when its attribute is not None (nor an empty list).
    """
    for option, endpoints in allowed.items():
        value = getattr(args, _DESTS.get(option, option.lstrip("-").replace("-", "_")))
        if value not in (None, []) and args.endpoint not in endpoints:
            raise UsageError(
                f"{option} does not apply to --endpoint {args.endpoint} "
                f"(it applies to {', '.join(endpoints)}); leave it out"
            )


def add_connection_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--host``, ``--account``, ``--instance-id`` and ``--requests-per-minute``."""
    group = parser.add_argument_group(
        "connection (each defaults to its CVFRAME_* environment variable)"
    )
    group.add_argument("--host", help="API host, e.g. platform.kore.ai ($CVFRAME_HOST)")
    group.add_argument("--account", dest="account_id", help="account id ($CVFRAME_ACCOUNT_ID)")
    group.add_argument("--instance-id", help="iId header value ($CVFRAME_INSTANCE_ID)")
    group.add_argument(
        "--requests-per-minute",
        type=positive_number_argument,
        default=None,
        help=f"client-side rate limit (default {DEFAULT_REQUESTS_PER_MINUTE:g}, "
        "the documented API limit)",
    )


def connection_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The client keyword arguments given on the command line (secrets only via env)."""
    settings: dict[str, Any] = {}
    for name in _CONNECTION_SETTINGS:
        value = getattr(args, name, None)
        if value is not None:
            settings[name] = value
    return settings


#: How a command is given each setting it can miss (what ``missing_settings`` reports):
#: its option or its environment variable, never the library's keyword argument.
MISSING_HINTS = {
    "org_id": "the org id: pass --org or set CVFRAME_ORG_ID",
    "host": "the host: pass --host or set CVFRAME_HOST, e.g. platform.kore.ai",
    "account_id": "the account id: pass --account or set CVFRAME_ACCOUNT_ID",
    "credentials": "credentials: set CVFRAME_TOKEN, or both CVFRAME_CLIENT_ID and "
    "CVFRAME_CLIENT_SECRET (cvframe makes the JWT); the command reads them from the "
    "environment only",
    "client_id": "credentials: CVFRAME_CLIENT_SECRET is set but CVFRAME_CLIENT_ID is not; "
    "set it too, or set CVFRAME_TOKEN instead",
    "client_secret": "credentials: CVFRAME_CLIENT_ID is set but CVFRAME_CLIENT_SECRET is "
    "not; set it too, or set CVFRAME_TOKEN instead",
}


def check_settings(args: argparse.Namespace, endpoint: str) -> None:
    """ConfigurationError naming *every* setting the command lacks, before any request.

    The library would report the org id first, then the host, the account... and in
    its own words (``pass org_id=...``); a first run of a cron job is fixed in one go
    instead, told the options and variables the command takes (:data:`MISSING_HINTS`).
    """
    given: dict[str, Any] = connection_settings(args)
    takes_org = endpoint_named(endpoint).org_key is not None
    if takes_org:
        given["org_id"] = getattr(args, "org", None)
    missing = missing_settings(given, org_id=takes_org)
    if missing:
        raise missing_settings_error(missing, hints=MISSING_HINTS)


#: Each setting the library can refuse -> the option that gives it (None: the command
#: reads it from the environment only), that option's attribute, and its variable.
_SETTING_SOURCES: dict[str, tuple[str | None, str, str]] = {
    "host": ("--host", "host", "CVFRAME_HOST"),
    "account_id": ("--account", "account_id", "CVFRAME_ACCOUNT_ID"),
    "org_id": ("--org", "org", "CVFRAME_ORG_ID"),
    "instance_id": ("--instance-id", "instance_id", "CVFRAME_INSTANCE_ID"),
    "token": (None, "", "CVFRAME_TOKEN"),
    "client_id": (None, "", "CVFRAME_CLIENT_ID"),
    "client_secret": (None, "", "CVFRAME_CLIENT_SECRET"),
}


def in_command_words(exc: BaseException, args: argparse.Namespace) -> BaseException:
    """``exc`` told by the option or variable its refused setting came from, else ``exc``.

    The library refuses a setting's value (a control character, a host that is not
    one...) in words of keyword arguments (``argument host= or $CVFRAME_HOST``); its
    error holds the setting's name, what is wrong and what to do besides
    (``InvalidSettingError``), which this words as the command's: the option when the
    command line gave the value (the library takes it before the variable), else the
    variable. A secret's value is never in those parts.
    """
    if not isinstance(exc, InvalidSettingError) or exc.setting not in _SETTING_SOURCES:
        return exc
    problem, advice = exc.problem, exc.advice
    if not problem:
        return exc
    option, dest, variable = _SETTING_SOURCES[exc.setting]
    where = option if option is not None and getattr(args, dest, None) is not None else variable
    shown = exc.shown
    subject = f"{where} {shown}" if shown else where
    told = f"{subject} {problem}" + (f". {advice[:1].upper()}{advice[1:]}" if advice else "")
    return CommandError(told)


def check_window_options(args: argparse.Namespace, *, open_end_is_now: bool = True) -> None:
    """``--from`` and ``--to`` read as the library will, but refused in the options' words.

    The library names them ``start=`` and ``end=``. ``open_end_is_now``: a window
    without ``--to`` ends now (fetch, sync), so ``--from`` must come before it.
    """
    begin = None if args.start is None else to_utc(args.start, "--from")
    stop = None if args.end is None else to_utc(args.end, "--to")
    if begin is None:
        return
    if stop is not None and stop <= begin:
        raise CommandError(
            f"--to ({format_api_time(stop)}) must be after --from ({format_api_time(begin)}); "
            "the window [--from, --to) is empty otherwise"
        )
    if stop is None and open_end_is_now and begin >= pd.Timestamp.now(tz="UTC"):
        raise CommandError(
            f"--from ({format_api_time(begin)}) must be before now: without --to the "
            "window ends now. Pass an earlier --from"
        )


def check_time_zone_option(args: argparse.Namespace) -> None:
    """``--time-zone``, when given, is one the library takes; refused in the option's words."""
    zone = getattr(args, "time_zone", None)
    if zone is None:
        return
    try:
        check_time_zone(zone)
    except ValueError:
        raise CommandError(
            f"--time-zone {zone!r} is not an IANA time zone name such as 'UTC' or "
            "'America/New_York', nor a fixed offset such as '+05:30'; pass one of those"
        ) from None


def check_duration_option(value: str, option: str, *, allow_zero: bool = False) -> None:
    """``value`` of ``option`` is a duration the library takes (refused naming ``option``)."""
    parse_duration(value, name=option, allow_zero=allow_zero)


def add_allow_empty_option(parser: argparse.ArgumentParser, what: str) -> None:
    """Add ``--allow-empty``: zero rows are fine (a notice, exit 0) instead of exit 3."""
    parser.add_argument(
        "--allow-empty",
        action="store_true",
        help=f"zero rows read is not an error: {what}, print a notice and exit 0 "
        "(without it: nothing is written, exit status 3)",
    )


def notice(text: str) -> None:
    """One ``cvframe: notice:`` line on stderr: worth knowing, not a failure."""
    print(f"cvframe: notice: {text}", file=sys.stderr)


def _number_argument(text: str, ok: Callable[[float], bool], expected: str) -> float:
    """``text`` as a float that is ``ok`` (NaN never is), else argparse's usage error."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if math.isnan(value) or not ok(value):
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
    return value


def positive_number_argument(text: str) -> float:
    """``--requests-per-minute``: a finite number > 0 (the library's check, in option words)."""
    return _number_argument(text, lambda v: math.isfinite(v) and v > 0, "a number > 0")


def nonnegative_seconds_argument(text: str) -> float:
    """``--lock-timeout``: a number of seconds >= 0 (``inf``: wait as long as it takes)."""
    return _number_argument(text, lambda v: v >= 0, "a number of seconds >= 0")


def finite_seconds_argument(text: str) -> float:
    """``emulator --latency``: a finite number of seconds >= 0 (each answer sleeps it)."""
    return _number_argument(
        text, lambda v: math.isfinite(v) and v >= 0, "a finite number of seconds >= 0"
    )


def whole_number_argument(least: int) -> Callable[[str], int]:
    """An argparse type: a whole number >= ``least`` (``--days``, ``--queues``)."""

    def whole_number(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = least - 1
        if value < least:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {least}, got {text!r}")
        return value

    return whole_number


def page_size_argument(text: str) -> int | str:
    """``--page-size``: a whole number >= 1, or ``auto`` (the readers' ``page_size="auto"``)."""
    if text.strip().lower() == "auto":
        return "auto"
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a whole number >= 1 or auto, got {text!r}"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1 or auto, got {text!r}")
    return value
