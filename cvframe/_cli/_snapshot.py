"""The snapshot commands: ``sync`` keeps a snapshot up to date, ``export`` writes it for WFM."""

from __future__ import annotations

import argparse
import ast
import json
import re
from pathlib import Path
from typing import Any

from .._analytics import DEFAULT_SL_DENOMINATOR, DEFAULT_SL_THRESHOLD, SL_DENOMINATORS
from .._errors import LockError
from .._store import (
    DEFAULT_LOCK_TIMEOUT,
    DEFAULT_LOOKBACK,
    StartNeededError,
    read_snapshot,
    sync,
)
from .._wfm import write_wfm
from ._errors import CommandError, NothingWrittenError, UsageError
from ._options import (
    HISTORY_ENDPOINTS,
    Subcommands,
    add_allow_empty_option,
    add_connection_options,
    add_endpoint_option,
    check_duration_option,
    check_settings,
    check_time_zone_option,
    check_window_options,
    connection_settings,
    nonnegative_seconds_argument,
    notice,
    page_size_argument,
    refuse_options,
)

__all__ = ["add_export_command", "add_sync_command"]

#: The options of ``sync`` that only some endpoints take -> those endpoints.
_SYNC_APPLIES_TO = {
    "--org": ("callvolume", "skillvolume"),
    "--queue": ("callvolume", "skillvolume", "agentperformance"),
    "--page-size": ("callvolume", "skillvolume", "agentperformance"),
    "--time-zone": ("agentactivity",),
}


def add_sync_command(subcommands: Subcommands) -> None:
    """Add ``cvframe sync``."""
    parser = subcommands.add_parser(
        "sync",
        help="bring a Parquet snapshot up to date (for cron and Airflow)",
        description="Read what is new since the snapshot's high-water mark (minus "
        "--lookback) and upsert it, atomically and under a lock; stored records of the "
        "window read that the API no longer returns are removed (--no-prune keeps "
        "them), except for agentactivity, whose answers carry no count to prove a read "
        "complete: it is upserted only unless --prune is given. The first run reads "
        "from --from (default: the first record; agentactivity needs --from). One PATH "
        "holds one --endpoint: give each endpoint its own. Exit 0 on success, 1 with a "
        "one-line reason on failure. A run that reads no new records succeeds (exit 0: "
        "a quiet night is no failure); while the snapshot still holds no records at all, "
        "a 'cvframe: notice:' line says so. Credentials come from CVFRAME_CLIENT_ID and "
        "CVFRAME_CLIENT_SECRET (or CVFRAME_TOKEN).",
    )
    parser.add_argument(
        "path",
        metavar="PATH",
        help="the snapshot directory, or its URL (s3://bucket/prefix...), of one endpoint",
    )
    add_endpoint_option(parser)
    parser.add_argument(
        "--time-zone",
        default=None,
        metavar="ZONE",
        help="agentactivity: the IANA zone its zone-less event times are in (default UTC)",
    )
    parser.add_argument("--org", help="organization id ($CVFRAME_ORG_ID)")
    parser.add_argument("--from", dest="start", help="where the first run starts, ISO 8601")
    parser.add_argument("--to", dest="end", help="window end, ISO 8601 (default: now)")
    parser.add_argument(
        "--lookback",
        default=DEFAULT_LOOKBACK,
        help=f"re-read this much before the high-water mark (default {DEFAULT_LOOKBACK})",
    )
    parser.add_argument(
        "--lock-timeout",
        type=nonnegative_seconds_argument,
        default=DEFAULT_LOCK_TIMEOUT,
        help="seconds to wait for another sync of PATH (default %(default)g)",
    )
    parser.add_argument(
        "--queue", action="append", help="sync only this queue id or name (repeatable)"
    )
    prune = parser.add_mutually_exclusive_group()
    prune.add_argument(
        "--prune",
        dest="prune",
        action="store_true",
        default=None,
        help="remove stored records of the window that the API no longer returns (the "
        "default, but for agentactivity: its answers carry no count, so an empty one "
        "from a lagging backend would delete the window's events)",
    )
    prune.add_argument(
        "--no-prune",
        dest="prune",
        action="store_false",
        default=None,
        help="keep stored records the API no longer returns (upsert only, never remove; "
        "agentactivity's default)",
    )
    parser.add_argument(
        "--page-size",
        type=page_size_argument,
        default=None,
        help="records per request, or auto: grow pages while the server keeps up",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    add_connection_options(parser)
    _add_storage_options(parser)
    parser.set_defaults(func=_sync)


def _sync(args: argparse.Namespace) -> int:
    if args.endpoint not in HISTORY_ENDPOINTS:
        raise UsageError(
            f"{args.endpoint} is a directory, not history: there is nothing to sync; "
            f"write it whole with cvframe fetch --endpoint {args.endpoint} -o FILE"
        )
    refuse_options(args, _SYNC_APPLIES_TO)
    check_window_options(args)
    check_time_zone_option(args)
    check_duration_option(args.lookback, "--lookback", allow_zero=True)
    check_settings(args, args.endpoint)
    settings: dict[str, Any] = connection_settings(args)
    if args.page_size is not None:
        settings["page_size"] = args.page_size
    try:
        report = sync(
            args.path,
            org_id=args.org,
            start=args.start,
            end=args.end,
            lookback=args.lookback,
            queues=args.queue or None,
            prune=args.prune,
            lock_timeout=args.lock_timeout,
            progress=False,
            storage_options=_storage_options(args),
            endpoint=args.endpoint,
            time_zone=args.time_zone,
            **settings,
        )
    except LockError as exc:
        raise CommandError(_in_option_words(exc)) from exc
    except StartNeededError as exc:
        raise CommandError(exc.told("--from", "--to")) from exc
    except ValueError as exc:
        raise _storage_in_option_words(exc, "PATH") from exc
    print(report.to_json() if args.json else report)
    if report.high_water_mark is None:
        # Not an error: a new account, or a window before its first record, has no data
        # yet, and the next run reads from where this one started. But a wrong --from
        # or --queue looks the same, so say it once per run while nothing is stored.
        queues = f" of --queue {', '.join(args.queue)}" if args.queue else ""
        notice(
            f"the snapshot at {report.path} holds no {args.endpoint} records{queues} yet "
            f"(this run read {report.rows_fetched}); if data was expected, check --from, "
            "--to and --queue"
        )
    return 0


#: How the library's lock and lease messages end: advice in its keyword argument's words.
_LIBRARY_LOCK_ADVICE = "raise lock_timeout"


def _in_option_words(exc: LockError) -> str:
    """A held lock's message with the option for its advice: ``--lock-timeout``."""
    text = str(exc)
    if text.endswith(_LIBRARY_LOCK_ADVICE):
        return text.removesuffix(_LIBRARY_LOCK_ADVICE) + "pass a larger --lock-timeout"
    return text


def add_export_command(subcommands: Subcommands) -> None:
    """Add ``cvframe export``."""
    parser = subcommands.add_parser(
        "export",
        help="write a WFM import (Genesys Cloud, generic or mapped CSV)",
        description="Read a snapshot (optionally a window and some queues) and write it "
        "for a WFM tool: genesys writes a directory with one CSV per queue and media type; "
        "generic and --mapping write one CSV file. Zero rows selected: nothing is "
        "written and the exit status is 3, unless --allow-empty.",
    )
    parser.add_argument(
        "snapshot",
        metavar="SNAPSHOT",
        help="the snapshot directory, or its URL (s3://bucket/prefix...)",
    )
    parser.add_argument("output", metavar="OUTPUT", help="directory (genesys) or CSV file")
    parser.add_argument("--target", choices=("genesys", "generic"), default="genesys")
    parser.add_argument(
        "--mapping",
        metavar="FILE.json",
        help='your own columns: {"Out column": "field"} or {"Out column": ["field", "unit"]}',
    )
    parser.add_argument("--from", dest="start", help="first interval start, ISO 8601")
    parser.add_argument("--to", dest="end", help="end (exclusive), ISO 8601")
    parser.add_argument("--queue", action="append", help="only this queue id or name (repeatable)")
    parser.add_argument(
        "--media-type",
        action="append",
        metavar="TYPE|QUEUE=TYPE",
        help="Genesys media type for every queue, or per queue (repeatable); default voice",
    )
    parser.add_argument(
        "--sl-threshold", default=DEFAULT_SL_THRESHOLD, help="service-level threshold"
    )
    add_allow_empty_option(parser, "write the empty export (genesys: no file; else a header)")
    parser.add_argument(
        "--sl-denominator",
        choices=tuple(SL_DENOMINATORS),
        default=DEFAULT_SL_DENOMINATOR,
        help="what the service level divides by",
    )
    _add_storage_options(parser)
    parser.set_defaults(func=_export)


def _export(args: argparse.Namespace) -> int:
    check_window_options(args, open_end_is_now=False)
    check_duration_option(args.sl_threshold, "--sl-threshold")
    try:
        df = read_snapshot(
            args.snapshot,
            start=args.start,
            end=args.end,
            queues=args.queue or None,
            storage_options=_storage_options(args),
            endpoint="callvolume",  # a WFM import is of call volume
        )
    except ValueError as exc:
        raise _storage_in_option_words(exc, "SNAPSHOT") from exc
    if df.empty:
        window = f"[{args.start or 'the first record'}, {args.end or 'the last'})"
        queues = f" for --queue {', '.join(args.queue)}" if args.queue else ""
        what = f"the snapshot {args.snapshot} holds no call volume in {window}{queues}"
        if not args.allow_empty:
            raise NothingWrittenError(
                f"{what}, so nothing was written to {args.output} (exit 3). Check --from/"
                "--to and --queue against the snapshot, or pass --allow-empty if that is right"
            )
        notice(f"{what}; writing an empty export (--allow-empty)")
    try:
        files = write_wfm(
            df,
            args.output,
            _export_target(args),
            media_type=_media_types(args.media_type),
            sl_threshold=args.sl_threshold,
            sl_denominator=args.sl_denominator,
        )
    except ValueError as exc:
        told = _media_type_in_option_words(exc)
        if told is None:
            raise
        raise CommandError(told) from exc
    for path in files:
        print(path)
    return 0


def _add_storage_options(parser: argparse.ArgumentParser) -> None:
    """``--endpoint-url`` and ``--storage-option KEY=VALUE``, for a snapshot URL."""
    group = parser.add_argument_group(
        "object storage",
        "For an s3://, gs://, abfs:// or memory:// snapshot. Leave credentials to the "
        "store's own chain (for S3: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
        "AWS_PROFILE, an instance or pod role; for GCS: GOOGLE_APPLICATION_CREDENTIALS; "
        "for Azure: AZURE_STORAGE_* or DefaultAzureCredential): a value given here is "
        "visible in the process list. Values are never printed.",
    )
    group.add_argument(
        "--endpoint-url",
        metavar="URL",
        help="an S3-compatible server (MinIO, Ceph...); storage option endpoint_url",
    )
    group.add_argument(
        "--storage-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an fsspec storage option (repeatable), e.g. region_name=eu-west-1, "
        "anon=true; true/false become booleans",
    )


#: How the library refuses storage options for a local path, in its keyword's words.
_LIBRARY_STORAGE_OPTIONS = "storage_options only apply"


#: How the library begins its refusal of a snapshot's location: its argument's name.
_LIBRARY_PATH = "path: "


def _storage_in_option_words(exc: ValueError, positional: str) -> Exception:
    """The library's refusal of a snapshot's location or of storage options for a local
    path, told by what gives them: the command's ``positional`` argument (``PATH``,
    ``SNAPSHOT``), ``--storage-option`` and ``--endpoint-url``; any other error as it is."""
    text = str(exc)
    if text.startswith(_LIBRARY_PATH):
        return CommandError(f"{positional} {text.removeprefix(_LIBRARY_PATH)}")
    if not text.startswith(_LIBRARY_STORAGE_OPTIONS):
        return exc
    rest = text.removeprefix("storage_options")
    return CommandError(
        f"--storage-option and --endpoint-url{rest}; leave them out for a local snapshot"
    )


#: The library's refusal of a media type, in its keyword argument's words.
_LIBRARY_MEDIA_TYPE = re.compile(r"media_type (\[[^\]]*\]) is not a Genesys media type(.*)")


def _media_type_in_option_words(exc: ValueError) -> str | None:
    """``write_wfm``'s refusal of a media type told by ``--media-type``, else None."""
    match = _LIBRARY_MEDIA_TYPE.fullmatch(str(exc))
    if match is None:
        return None
    bad = ast.literal_eval(match[1])
    shown = ", ".join(repr(str(item)) for item in bad)
    verb = "is not a Genesys media type" if len(bad) == 1 else "are not Genesys media types"
    return f"--media-type {shown} {verb}{match[2]}"


#: ``--storage-option`` keys that s3fs passes to its S3 client (``client_kwargs``).
_CLIENT_OPTIONS = frozenset({"region_name"})


def _storage_options(args: argparse.Namespace) -> dict[str, Any] | None:
    """The storage options ``--storage-option`` and ``--endpoint-url`` give, or None."""
    options: dict[str, Any] = {}
    for item in args.storage_option:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            # Never echo the item: it may be a secret given without its key.
            raise ValueError("each --storage-option is KEY=VALUE; one has no KEY or no '='")
        lowered = value.strip().lower()
        parsed = {"true": True, "false": False}.get(lowered, value)
        if key.strip() in _CLIENT_OPTIONS:
            # s3fs takes the region for its client, not as an option of its own (given
            # so, every request failed: "AioSession got an unexpected keyword argument").
            options.setdefault("client_kwargs", {})[key.strip()] = parsed
        else:
            options[key.strip()] = parsed
    if args.endpoint_url:
        # s3fs takes the endpoint as a top-level option (pandas' storage_options too).
        options["endpoint_url"] = args.endpoint_url
    return options or None


def _media_types(values: list[str] | None) -> str | dict[str, str]:
    """``["voice"]`` -> "voice"; ``["Chat Care=chat", ...]`` -> {queue: media}."""
    if not values:
        return "voice"
    default = [v for v in values if "=" not in v]
    per_queue = dict(v.split("=", 1) for v in values if "=" in v)
    if len(default) > 1 or (default and per_queue):
        raise ValueError(
            "--media-type is either one media type for every queue, or QUEUE=TYPE per queue"
        )
    return default[0] if default else per_queue


def _export_target(args: argparse.Namespace) -> Any:
    """``--target``, or the ``--mapping`` file's columns: what :func:`write_wfm` writes."""
    if args.mapping is None:
        return args.target
    try:
        raw = json.loads(Path(args.mapping).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"cannot read the mapping file {args.mapping}: {exc}") from None
    if not isinstance(raw, dict):
        raise ValueError(f"the mapping file {args.mapping} must hold a JSON object")
    # JSON has no tuples: ["aht", "min"] means (field, unit).
    return {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()}
