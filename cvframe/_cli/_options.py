"""The connection options every command that reads the API shares, and their settings."""

from __future__ import annotations

import argparse
from typing import Any, TypeAlias

from .._api import DEFAULT_REQUESTS_PER_MINUTE

__all__ = ["Subcommands", "add_connection_options", "connection_settings"]

#: What ``add_subparsers`` returns: each command module adds its commands to it.
Subcommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"

#: The client keyword arguments the connection options set (secrets only via env).
_CONNECTION_SETTINGS = ("host", "account_id", "instance_id", "requests_per_minute")


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
        type=float,
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
