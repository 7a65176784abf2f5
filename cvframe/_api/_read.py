"""read_callvolume(): settings -> client -> pages -> frame -> validate.

And the parts every reader shares: the window reader of the skip/limit endpoints (its
passes and completeness check), the progress bar, the client a reader opens, and the
frame at the end (drift warning, validation).
"""

from __future__ import annotations

import difflib
import functools
import inspect
import logging
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .._arguments import queue_list
from .._endpoints import CALLVOLUME, Endpoint
from .._errors import ResponseError
from .._frame import (
    RELEASE_ROWS,
    DtypeBackend,
    DurationUnit,
    check_dtype_backend,
    check_duration_unit,
    count_distinct,
    frame_from_tables,
    queue_mask,
    records_to_table,
    release_unused,
    typed_records_to_table,
    warn_drift,
    with_window,
)
from .._times import TimeLike, resolve_window
from ._client import DEFAULT_CONCURRENCY, DEFAULT_PAGE_SIZE, CallVolumeClient
from ._paging import PageSize, check_page_size
from ._settings import resolve_org_id
from ._typed import page_decoder

__all__ = [
    "CLIENT_SETTINGS",
    "MAX_READ_PASSES",
    "WindowReader",
    "check_client_settings",
    "drained",
    "finished_frame",
    "log_bar_class",
    "progress_bar_class",
    "progress_wanted",
    "read_callvolume",
    "read_window",
    "reading_client",
]

log = logging.getLogger("cvframe")


def progress_wanted(progress: bool | None) -> bool:
    """Whether to show a progress bar: as asked, else in a terminal or a notebook."""
    if progress is not None:
        return bool(progress)
    if "ipykernel" in sys.modules:
        return True
    return _stderr_is_a_terminal()


def _stderr_is_a_terminal() -> bool:
    return bool(getattr(sys.stderr, "isatty", lambda: False)())


def progress_bar_class() -> Any:
    """The tqdm class for where the bar is seen: a notebook, a terminal, or a log.

    In a notebook, tqdm's widget where it can render (ipywidgets installed), else its
    text bar (the notebook's stderr understands carriage returns). In a terminal,
    tqdm's text bar, redrawn in place and wiped by ``leave=False``. Anywhere else (a
    pipe, a file, a CI log) a carriage return does not go back: the bar is written as
    whole lines instead (see :func:`log_bar_class`).
    """
    if "ipykernel" in sys.modules:
        try:
            import ipywidgets  # noqa: F401
        except ImportError:
            from tqdm.std import tqdm as text_bar

            return text_bar
    elif not _stderr_is_a_terminal():
        return log_bar_class()
    from tqdm.auto import tqdm as auto_bar

    return auto_bar


#: Seconds between two lines of a bar written to a log: a line now and then, not one
#: per page.
LOG_BAR_INTERVAL = 10.0


class _WholeLines:
    """A file for tqdm that writes each redraw of the bar as a line of its own.

    tqdm redraws with ``"\r" + bar + padding`` and wipes with ``"\r" + spaces``;
    a log keeps all of it, on one line that the next print continues. Here each
    redraw becomes ``bar + "\n"`` and a wipe (or tqdm's own line end) nothing.
    """

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> None:
        line = text.replace("\r", "").rstrip()
        if line:
            self._stream.write(line + "\n")

    def flush(self) -> None:
        getattr(self._stream, "flush", lambda: None)()


@functools.cache
def log_bar_class() -> Any:
    """A tqdm class that writes whole lines to stderr: for a pipe, a file or a CI log.

    Each line is the bar as it stands (in ASCII, which any log can show), one at the
    start, one at most every :data:`LOG_BAR_INTERVAL` seconds, and one at the end
    (``leave`` is ignored: a log keeps the last line, so it says where the read got
    to); the next output starts on a fresh line.
    """
    from tqdm.std import tqdm as text_bar

    class LogBar(text_bar):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("file", _WholeLines(sys.stderr))
            kwargs.setdefault("mininterval", LOG_BAR_INTERVAL)
            kwargs.update(ascii=True, leave=True, dynamic_ncols=False)
            super().__init__(*args, **kwargs)

    return LogBar


#: Whole-window passes a read may make while its pages do not add up: the distinct ids
#: fall short of ``totalCount`` (records inserted before the cursor were missed, or the
#: count is wrong). Two passes that agree end the read; passes that keep contradicting
#: each other end it with a ResponseError after this many.
MAX_READ_PASSES = 3


class WindowReader:
    """Reads one window of a skip/limit endpoint page by page, again while pages do not add up.

    Within a pass, the overlapping pages of :meth:`CallVolumeClient.iter_pages` keep
    every item that exists throughout the read, whatever is inserted, deleted or
    updated meanwhile. A pass is complete when its distinct ids (with the earlier
    passes') reach the last ``totalCount``. When they fall short, items inserted
    during the pass may have been missed, or the server's count is wrong: another
    pass (united with the earlier ones, newest version winning) tells which. If it
    finds the same ids under the same, steady ``totalCount``, the server is
    consistent and its count is off (an id counted twice): the read is complete and
    says so in one warning.

    The ids are those of the paged items (``endpoint.id_field``), which is what
    ``totalCount`` counts: records for call volume, AGENTS for agent performance,
    whose pages of a few agents may hold thousands of rows. The progress bar counts
    them too (``endpoint.item_unit``).
    """

    def __init__(
        self,
        client: CallVolumeClient,
        org_id: str | None,
        start: pd.Timestamp | None,
        end: pd.Timestamp,
        *,
        endpoint: Endpoint = CALLVOLUME,
        page_size: PageSize,
        duration_unit: DurationUnit,
        queues: list[str] | None,
        progress: bool,
        concurrency: int,
    ) -> None:
        self.client = client
        self.endpoint = endpoint
        self.org_id = org_id
        self.start = start
        self.end = end
        self.page_size = page_size
        self.duration_unit = duration_unit
        self.queues = queues
        self.progress = progress
        self.concurrency = concurrency
        self.unknown_fields: set[str] = set()
        self._ids: list[pa.Array] = []
        #: After :meth:`read`: whether every record id arrived once (where the records
        #: are the rows), so that the frame's keys are unique without a second count.
        self.keys_unique = False
        self._id_column = (
            next(c.name for c in endpoint.columns if c.api_name == endpoint.id_field)
            if endpoint.row_shape == "records"
            else None
        )
        # One read's retry waiting, across all its pages and passes.
        self._waits = client.transport.wait_budget()

    def read(self) -> list[pa.Table]:
        """Every page's table, in order (the caller keeps one row per natural key)."""
        unit = self.endpoint.item_unit
        tables: list[pa.Table] = []
        previous: tuple[pa.Array, int] | None = None
        for attempt in range(1, MAX_READ_PASSES + 1):
            first_id = len(self._ids)
            totals = self._one_pass(tables, attempt)
            last_total = totals[-1] if totals else None
            received = sum(map(len, self._ids))
            if received >= RELEASE_ROWS:
                release_unused()  # the pages' temporaries, before the ids' hash
            distinct = count_distinct(pa.chunked_array(self._ids, pa.string()))
            if last_total is None or distinct >= last_total:
                # No id came twice: the frame need not hash them again.
                self.keys_unique = (
                    self._id_column is not None
                    and self.endpoint.key_columns == (self._id_column,)
                    and distinct == received
                )
                return tables
            steady = len(set(totals)) == 1
            seen = pc.unique(pa.chunked_array(self._ids[first_id:], pa.string())).sort()
            if (
                steady
                and previous is not None
                and previous[1] == last_total
                and previous[0].equals(seen)
            ):
                log.warning(
                    "%d passes over the window agree on %d distinct %ss, but "
                    "the API's totalCount says %d; it seems to count some %ss twice. "
                    "Returning the %d %ss",
                    attempt,
                    distinct,
                    unit,
                    last_total,
                    unit,
                    distinct,
                    unit,
                )
                return tables
            previous = (seen, last_total) if steady else None
            log.warning(
                "pass %d ended with %d distinct %ss but totalCount=%d; "
                "%ss changed under the read, reading the window again",
                attempt,
                distinct,
                unit,
                last_total,
                unit,
            )
        raise ResponseError(
            f"after {MAX_READ_PASSES} passes over the window of {self.endpoint.name} the API "
            f"still reports totalCount={last_total} but only {distinct} distinct {unit}s "
            f"arrived, and no two passes agree; {unit}s are changing under the read (or "
            "totalCount is wrong). Retry later, or read a narrower window"
        )

    def _one_pass(self, tables: list[pa.Table], attempt: int) -> list[int | None]:
        """Read the window once into ``tables``; return the pass's ``totalCount`` values."""
        bar = None
        totals: list[int | None] = []
        try:
            for page in self.client._iter_pages(
                self.org_id,
                self.start,
                self.end,
                page_size=self.page_size,
                concurrency=self.concurrency,
                waits=self._waits,
                endpoint=self.endpoint,
                decoder=page_decoder(self.endpoint, self.duration_unit),
            ):
                totals.append(page.total_count)
                if bar is None and self.progress:
                    tqdm = progress_bar_class()
                    desc = "cvframe" if attempt == 1 else f"cvframe (pass {attempt})"
                    unit = self.endpoint.item_unit
                    bar = tqdm(total=page.total_count, unit=unit, desc=desc, leave=False)
                if page.typed and page.ids is not None:
                    table = typed_records_to_table(
                        page.records,
                        endpoint=self.endpoint,
                        ids=page.ids,
                        duration_unit=self.duration_unit,
                    )
                else:
                    table = records_to_table(
                        page.records,
                        endpoint=self.endpoint,
                        duration_unit=self.duration_unit,
                        unknown_fields=self.unknown_fields,
                    )
                # What totalCount counts: the paged items (records, or agents). Where each
                # item is a row, the table's id column holds them already.
                if self._id_column is not None:
                    self._ids.append(table[self._id_column].combine_chunks())
                else:
                    ids = (
                        page.ids
                        if page.ids is not None
                        else [item[self.endpoint.id_field] for item in page.records]
                    )
                    self._ids.append(pa.array(ids, pa.string()))
                if self.queues is not None:
                    table = table.filter(queue_mask(table, self.queues))
                tables.append(table)
                if bar is not None:
                    bar.update(len(page.records))
        finally:
            if bar is not None:
                bar.close()
        return totals


def drained(tables: list[pa.Table]) -> Iterator[pa.Table]:
    """The tables in order, each taken out of the list as it is yielded (so converting frees it)."""
    tables.reverse()
    while tables:
        yield tables.pop()


#: The keywords :class:`CallVolumeClient` takes, in its order: what a reader passes on
#: from its ``**client_settings``.
CLIENT_SETTINGS = tuple(inspect.signature(CallVolumeClient).parameters)
#: How close a keyword must be to an option to be suggested as the one meant (difflib's
#: ratio): ``duration_units`` -> ``duration_unit``, but ``time_zone`` not -> ``timeout``.
_SUGGESTION_CUTOFF = 0.8


def check_client_settings(reader: Callable[..., Any], client_settings: Mapping[str, Any]) -> None:
    """Refuse, with a ValueError, the keywords neither ``reader`` nor the client takes.

    A reader passes its ``**client_settings`` on to :class:`CallVolumeClient`; a
    keyword that is neither the reader's nor the client's (``read_agent_activity(
    queues=...)``, a misspelt ``duration_units``) would otherwise surface as a bare
    TypeError from the client's constructor, naming neither the reader nor what it
    takes. The message names the reader's own options and the client's settings, and
    the option meant when one is spelt closely enough.

    >>> def read_things(start=None, *, page_size=100, **client_settings): ...
    >>> check_client_settings(read_things, {"host": "platform.kore.ai"})
    >>> check_client_settings(read_things, {"page_sise": 10})
    Traceback (most recent call last):
    ...
    ValueError: read_things() takes no keyword 'page_sise' (did you mean 'page_size'?): its own options are start, page_size, and the connection settings of cvframe.CallVolumeClient (host, account_id, token, client_id, client_secret, instance_id, requests_per_minute, max_retries, timeout, deadline, max_retry_wait, max_total_wait, max_page_bytes, session, allow_insecure_http, clock, transport)
    """  # noqa: E501
    unknown = sorted(set(client_settings) - set(CLIENT_SETTINGS))
    if not unknown:
        return
    own = [
        name
        for name, parameter in inspect.signature(reader).parameters.items()
        if parameter.kind not in (parameter.VAR_KEYWORD, parameter.VAR_POSITIONAL)
    ]
    named = []
    for name in unknown:
        close = difflib.get_close_matches(
            name, [*own, *CLIENT_SETTINGS], n=1, cutoff=_SUGGESTION_CUTOFF
        )
        named.append(f"{name!r} (did you mean {close[0]!r}?)" if close else repr(name))
    noun = "keyword" if len(unknown) == 1 else "keywords"
    raise ValueError(
        f"{reader.__name__}() takes no {noun} {', '.join(named)}: its own options are "
        f"{', '.join(own)}, and the connection settings of cvframe.CallVolumeClient "
        f"({', '.join(CLIENT_SETTINGS)})"
    )


@contextmanager
def reading_client(
    client: CallVolumeClient | None,
    client_settings: dict[str, Any],
    *,
    reader: Callable[..., Any],
) -> Iterator[CallVolumeClient]:
    """The client a reader uses: the one given, or one made from the settings (then closed).

    ``reader`` is the public reader asking (for :func:`check_client_settings`'s
    message): a keyword neither it nor the client takes is a ValueError first, whether
    or not a client is given.
    """
    check_client_settings(reader, client_settings)
    if client is not None and client_settings:
        raise ValueError(
            "pass either client=... or connection settings "
            f"({', '.join(sorted(client_settings))}), not both"
        )
    if client is not None:
        yield client
        return
    with CallVolumeClient(**client_settings) as own:
        yield own


def finished_frame(
    tables: list[pa.Table],
    *,
    endpoint: Endpoint,
    dtype_backend: DtypeBackend,
    validate: bool,
    unknown_fields: Iterable[str] = (),
    stacklevel: int = 2,
    keys_unique: bool = False,
) -> pd.DataFrame:
    """The reader's frame: drift warned, one row per natural key, sorted, validated.

    ``keys_unique``: the reader counted the keys and none repeats (see
    :func:`cvframe._frame.frame_from_tables`).
    """
    warn_drift(unknown_fields, stacklevel=stacklevel + 1)
    return frame_from_tables(
        drained(tables),
        endpoint=endpoint,
        dtype_backend=dtype_backend,
        validate=validate,
        keys_unique=keys_unique,
    )


def read_window(
    endpoint: Endpoint,
    start: TimeLike | None,
    end: TimeLike | None,
    *,
    reader: Callable[..., Any],
    org_id: str | None,
    page_size: PageSize,
    queues: str | Iterable[str] | None,
    duration_unit: DurationUnit,
    dtype_backend: DtypeBackend,
    validate: bool,
    progress: bool | None,
    concurrency: int,
    client: CallVolumeClient | None,
    client_settings: dict[str, Any],
    stacklevel: int = 2,
) -> pd.DataFrame:
    """Read a window of a ``skip``/``limit`` endpoint into its frame: the public readers' body.

    Checks the arguments (before any request), reads every page under the window
    reader's integrity rules, and finishes the frame (:func:`finished_frame`). The org
    id is resolved only for an endpoint that takes one. ``reader`` is the public
    reader whose body this is (named when a keyword is one it does not take).
    """
    # First: a misspelt org_id would otherwise read as a missing one.
    check_client_settings(reader, client_settings)
    backend = check_dtype_backend(dtype_backend)
    check_duration_unit(duration_unit)
    page_size = check_page_size(page_size, auto=True)
    wanted_queues = queue_list(queues)
    begin, stop = resolve_window(start, end)
    # A missing org id names every other missing setting too (not one per run).
    settings = None if client is not None else client_settings
    org = None if endpoint.org_key is None else resolve_org_id(org_id, settings=settings)
    with reading_client(client, client_settings, reader=reader) as active:
        window = WindowReader(
            active,
            org,
            begin,
            stop,
            endpoint=endpoint,
            page_size=page_size,
            duration_unit=duration_unit,
            queues=wanted_queues,
            progress=progress_wanted(progress),
            concurrency=concurrency,
        )
        tables = window.read()
    unknown, keys_unique = window.unknown_fields, window.keys_unique
    del window  # its ids of every record are no longer needed
    df = finished_frame(
        tables,
        endpoint=endpoint,
        dtype_backend=backend,
        validate=validate,
        unknown_fields=unknown,
        stacklevel=stacklevel + 1,
        keys_unique=keys_unique,
    )
    # The window asked for (when both sides are known), for to_series' edge buckets.
    return with_window(df, begin, stop)


def read_callvolume(
    start: TimeLike | None = None,
    end: TimeLike | None = None,
    *,
    org_id: str | None = None,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
    queues: str | Iterable[str] | None = None,
    duration_unit: DurationUnit = "ms",
    dtype_backend: DtypeBackend = "numpy_nullable",
    validate: bool = True,
    progress: bool | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    client: CallVolumeClient | None = None,
    **client_settings: Any,
) -> pd.DataFrame:
    """Read every call-volume record of a window into one validated DataFrame.

    Fetches all pages (``skip``/``limit`` until ``hasMore`` is false) within the
    account's rate limit, converts each page as it arrives, keeps one row per
    record id (the highest ``version``), and checks the result against
    :class:`cvframe.CallVolumeSchema`.

    Every record that exists for the whole read is in the result, whatever is
    inserted, deleted or updated meanwhile: pages overlap and are checked against
    each other (see the README's "Reading"), and a window whose distinct records fall short
    of ``totalCount`` is read again (at most :data:`MAX_READ_PASSES` times; two passes
    that agree end the read with a warning naming both numbers). A read that cannot
    add up ends in a :class:`cvframe.ResponseError`, never in a loop.

    Parameters
    ----------
    start : str, datetime or Timestamp, optional
        Window start, UTC when naive. None reads from the first record there is
        (the API's initial sync).
    end : str, datetime or Timestamp, optional
        Window end, UTC when naive. None is now.
    org_id : str, optional
        The organization id; ``$CVFRAME_ORG_ID`` when None.
    page_size : int or "auto", default 1000
        Records asked for per request. ``"auto"`` lets the read find the largest page
        the server serves well: it starts at 1,000 and doubles after every full page
        answered within 4 seconds, up to 16,000 and while the next page's expected
        body stays under half of ``max_page_bytes``; it settles at the server's cap
        when a page brings fewer records than asked while more remain, and one step
        back when a page is slower, its ``limit`` is refused or its body is above
        ``max_page_bytes`` (never below 1,000). Every integrity rule of the read holds
        at any size.
    queues : str or list of str, optional
        Keep only these queues, given by queue id or queue name.
    duration_unit : {"ms", "s"}, default "ms"
        The unit the server sends durations in. The API page says seconds but the
        data are milliseconds (see the README); use "s" only for a deployment that
        really sends seconds.
    dtype_backend : {"numpy_nullable", "pyarrow"}, default "numpy_nullable"
        As pandas' own readers take it.
    validate : bool, default True
        Check the frame against the contract; False skips the check.
    progress : bool, optional
        Show a tqdm progress bar sized from ``totalCount``. None: on in a terminal
        or a notebook, off otherwise.
    concurrency : int, default 4
        Requests in flight at once once the first page has told ``totalCount``
        (1 to 16). The client's rate limit holds whatever this is; more requests in
        flight only hide each page's latency.
    client : CallVolumeClient, optional
        A client to reuse; otherwise one is made from ``client_settings``.
    **client_settings
        Keyword arguments of :class:`CallVolumeClient` (``host``, ``account_id``,
        ``client_id``, ``client_secret``, ``token``, ...), each falling back to its
        ``CVFRAME_*`` environment variable; any other keyword is a ValueError naming
        this reader's own options (and the one meant, when misspelt).

    Returns
    -------
    pandas.DataFrame
        One row per record, the columns of :data:`cvframe.COLUMNS` in order,
        sorted by ``interval_start`` and ``queue_id``, with a RangeIndex.

    Raises
    ------
    ValueError
        For bad arguments (unparseable times, ``end <= start``, ``page_size`` neither
        >= 1 nor ``"auto"``, a
        keyword neither the reader nor the client takes) and missing settings
        (:class:`cvframe.ConfigurationError`).
    cvframe.CvframeError
        :class:`AuthenticationError`, :class:`RateLimitError`, :class:`APIError`,
        :class:`TransportError`, :class:`ResponseError` or :class:`SchemaError`.
        A ``ResponseError`` also when passes keep contradicting each other, a pass
        spends its request budget, a page lacks the ``CallVolumeUpdate`` list or a
        record its ``_id``, or an answer passes ``max_page_bytes``.

    Warns
    -----
    cvframe.SchemaDriftWarning
        When the API sends fields the contract does not know (they are dropped).

    Examples
    --------
    >>> import cvframe
    >>> from cvframe.emulator import Emulator
    >>> with Emulator(days=2, queues=3) as emu:
    ...     df = cvframe.read_callvolume("2023-01-02", "2023-01-04", progress=False,
    ...                                  **emu.settings())
    >>> df["interval_start"].dtype, df["acw_duration"].dtype
    (datetime64[ms, UTC], dtype('<m8[ms]'))
    >>> int(df["offered_contacts"].sum()) > 0
    True
    """
    return read_window(
        CALLVOLUME,
        start,
        end,
        reader=read_callvolume,
        org_id=org_id,
        page_size=page_size,
        queues=queues,
        duration_unit=duration_unit,
        dtype_backend=dtype_backend,
        validate=validate,
        progress=progress,
        concurrency=concurrency,
        client=client,
        client_settings=client_settings,
    )
