"""The readers of the WFM scope's other endpoints: settings -> client -> pages -> frame.

Each is :func:`cvframe.read_callvolume`'s sibling: the same argument checks, the same
client (``client=`` or connection settings, not both), the same frame rules (the
endpoint's column contract, one row per natural key, validated). How each endpoint
pages is the client's (:class:`~cvframe._api._client.CallVolumeClient`):

- :func:`read_queues`: one GET, a JSON array;
- :func:`read_agents`: ``offset``/``limit`` pages, ending on an empty one (a short
  page may be a capped one);
- :func:`read_agent_performance` and :func:`read_skill_volume`: ``skip``/``limit``
  pages, with call volume's read-integrity rules (agent performance counts agents);
- :func:`read_agent_activity`: no paging, the window cut into chunks.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .._endpoints import AGENT_ACTIVITY, AGENT_PERFORMANCE, AGENTS, QUEUES, SKILL_VOLUME
from .._frame import (
    DtypeBackend,
    DurationUnit,
    check_dtype_backend,
    check_time_zone,
    records_to_table,
    with_window,
)
from .._times import TimeLike, resolve_window
from ._chunks import check_chunk, clock_changes_back, split_at, split_window
from ._client import DEFAULT_CONCURRENCY, DEFAULT_PAGE_SIZE, CallVolumeClient
from ._paging import PageSize, check_page_size, is_auto
from ._read import (
    finished_frame,
    progress_bar_class,
    progress_wanted,
    read_window,
    reading_client,
)

__all__ = [
    "DEFAULT_AGENTS_PAGE_SIZE",
    "DEFAULT_AGENT_PERFORMANCE_PAGE_SIZE",
    "read_agent_activity",
    "read_agent_performance",
    "read_agents",
    "read_queues",
    "read_skill_volume",
]

#: Agents asked for per agent-performance request. Each agent brings every interval
#: and queue it worked in the window (a week of 15-minute intervals in two queues is
#: about 1,300 rows, some 500 KB of JSON), so pages of agents are kept far smaller
#: than pages of records.
DEFAULT_AGENT_PERFORMANCE_PAGE_SIZE = 25
#: Agents asked for per ``agents`` request. The endpoint sends no count, and a short
#: page may be a server's cap on ``limit`` rather than the end, so the read goes on
#: until an empty answer (one request more than the pages). A modest limit stays under
#: any plausible cap, so that extra request is usually the only cost.
DEFAULT_AGENTS_PAGE_SIZE = 100


def read_queues(
    *,
    dtype_backend: DtypeBackend = "numpy_nullable",
    validate: bool = True,
    org_id: str | None = None,
    client: CallVolumeClient | None = None,
    **client_settings: Any,
) -> pd.DataFrame:
    """Read the account's queues: their ids (call volume's ``queue_id``) and descriptions.

    One GET (the endpoint does not page). The API page's sample spells the third key
    ``Description``; both spellings are read.

    Parameters
    ----------
    dtype_backend : {"numpy_nullable", "pyarrow"}, default "numpy_nullable"
        As pandas' own readers take it.
    validate : bool, default True
        Check the frame against the contract; False skips the check.
    org_id : str, optional
        Not sent (the endpoint takes none); accepted so that the settings of
        :func:`cvframe.read_callvolume` serve every reader.
    client : CallVolumeClient, optional
        A client to reuse (its rate limit is the account's); otherwise one is made
        from ``client_settings``.
    **client_settings
        Keyword arguments of :class:`cvframe.CallVolumeClient` (``host``,
        ``account_id``, ``token``, ...), each falling back to its ``CVFRAME_*`` variable;
        any other keyword is a ValueError naming this reader's own options.

    Returns
    -------
    pandas.DataFrame
        One row per queue: ``account_id``, ``queue_id``, ``description``, sorted by
        ``queue_id``, with a RangeIndex.

    Raises
    ------
    ValueError
        For bad arguments, a keyword neither the reader nor the client takes, and
        missing settings (:class:`cvframe.ConfigurationError`).
    cvframe.CvframeError
        A :class:`cvframe.ResponseError` when the answer is not a JSON array (or not
        JSON at all); the HTTP errors of :func:`cvframe.read_callvolume`.

    Examples
    --------
    >>> import cvframe
    >>> from cvframe.emulator import Emulator
    >>> with Emulator(days=1, queues=3) as emu:
    ...     queues = cvframe.read_queues(**emu.settings())
    >>> len(queues), list(queues.columns)
    (3, ['account_id', 'queue_id', 'description'])
    """
    backend = check_dtype_backend(dtype_backend)
    del org_id  # not sent: see the docstring
    unknown: set[str] = set()
    with reading_client(client, client_settings, reader=read_queues) as active:
        items = active.list_queues()
    table = records_to_table(items, endpoint=QUEUES, unknown_fields=unknown)
    return finished_frame(
        [table], endpoint=QUEUES, dtype_backend=backend, validate=validate, unknown_fields=unknown
    )


def read_agents(
    *,
    page_size: int = DEFAULT_AGENTS_PAGE_SIZE,
    dtype_backend: DtypeBackend = "numpy_nullable",
    validate: bool = True,
    progress: bool | None = None,
    org_id: str | None = None,
    client: CallVolumeClient | None = None,
    **client_settings: Any,
) -> pd.DataFrame:
    """Read the account's agents: their ids (those of agent performance and activity) and names.

    Pages with ``offset``/``limit`` until an empty page. A page shorter than
    ``page_size`` is not taken as the end, since a server that caps ``limit`` (50 of
    the 100 asked) sends short pages with more to follow: the read asks once more at
    the offset reached, and ends on an empty answer or on a short one that brings no
    agent not seen before. The endpoint sends no count, so nothing can prove a read
    complete; what cvframe checks is that it ends: a full page repeating the one
    before, one bringing no new agent, or more pages than the agents could fill end the
    read in a :class:`cvframe.ResponseError`, never in a loop.

    Parameters
    ----------
    page_size : int, default 100
        Agents asked for per request (see :data:`DEFAULT_AGENTS_PAGE_SIZE` for why
        it is modest).
    dtype_backend : {"numpy_nullable", "pyarrow"}, default "numpy_nullable"
        As pandas' own readers take it.
    validate : bool, default True
        Check the frame against the contract; False skips the check.
    progress : bool, optional
        Show a tqdm progress bar of the agents read. None: on in a terminal or a
        notebook, off otherwise.
    org_id : str, optional
        Not sent (the endpoint takes none); accepted so that the settings of
        :func:`cvframe.read_callvolume` serve every reader.
    client : CallVolumeClient, optional
        A client to reuse; otherwise one is made from ``client_settings``.
    **client_settings
        Keyword arguments of :class:`cvframe.CallVolumeClient`; any other keyword is
        a ValueError naming this reader's own options.

    Returns
    -------
    pandas.DataFrame
        One row per agent: ``account_id``, ``agent_id``, ``first_name``,
        ``last_name``, sorted by ``agent_id``, with a RangeIndex.

    Raises
    ------
    ValueError
        For bad arguments (``page_size < 1``, a keyword neither the reader nor the
        client takes) and missing settings.
    cvframe.CvframeError
        A :class:`cvframe.ResponseError` when a page is not a JSON array, an agent has
        no ``agentId`` (the message names the page), or the pages do not end; the HTTP
        errors of :func:`cvframe.read_callvolume`.

    Examples
    --------
    >>> import cvframe
    >>> from cvframe.emulator import Emulator
    >>> with Emulator(days=1) as emu:
    ...     agents = cvframe.read_agents(page_size=5, progress=False, **emu.settings())
    >>> list(agents.columns), agents["agent_id"].is_unique
    (['account_id', 'agent_id', 'first_name', 'last_name'], True)
    """
    backend = check_dtype_backend(dtype_backend)
    if is_auto(page_size):
        raise ValueError(
            f"page_size={page_size!r}: 'auto' applies to the skip/limit endpoints (call "
            "volume, skill volume, agent performance); read_agents pages by offset/limit, "
            f"so pass a number of agents a request (default {DEFAULT_AGENTS_PAGE_SIZE})"
        )
    check_page_size(page_size)
    del org_id  # not sent: see the docstring
    unknown: set[str] = set()
    tables: list[pa.Table] = []
    bar = None
    with reading_client(client, client_settings, reader=read_agents) as active:
        try:
            for items in active.iter_directory_pages(page_size=page_size, endpoint=AGENTS):
                if bar is None and progress_wanted(progress):
                    bar = progress_bar_class()(unit="agent", desc="cvframe agents", leave=False)
                tables.append(records_to_table(items, endpoint=AGENTS, unknown_fields=unknown))
                if bar is not None:
                    bar.update(len(items))
        finally:
            if bar is not None:
                bar.close()
    return finished_frame(
        tables, endpoint=AGENTS, dtype_backend=backend, validate=validate, unknown_fields=unknown
    )


def read_agent_performance(
    start: TimeLike | None = None,
    end: TimeLike | None = None,
    *,
    page_size: PageSize = DEFAULT_AGENT_PERFORMANCE_PAGE_SIZE,
    queues: str | Iterable[str] | None = None,
    dtype_backend: DtypeBackend = "numpy_nullable",
    validate: bool = True,
    progress: bool | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    org_id: str | None = None,
    client: CallVolumeClient | None = None,
    **client_settings: Any,
) -> pd.DataFrame:
    """Read each agent's handle times per interval and queue over a window.

    The endpoint pages over AGENTS: ``skip``/``limit`` count agents, ``totalCount``
    is the agents with activity in the window, and each agent carries its intervals
    and their queues (three deep), flattened to one row per agent x interval x
    queue. The read keeps :func:`cvframe.read_callvolume`'s integrity rules, counted
    in agents: pages overlap and are checked against each other, a window whose
    distinct agents fall short of ``totalCount`` is read again, and a read that
    cannot add up ends in a :class:`cvframe.ResponseError`, never in a loop.
    Durations are milliseconds (the API page says so).

    Parameters
    ----------
    start : str, datetime or Timestamp, optional
        Window start, UTC when naive. None reads from the first interval there is.
    end : str, datetime or Timestamp, optional
        Window end, UTC when naive. None is now.
    page_size : int or "auto", default 25
        Agents asked for per request (a page of agents holds all their rows: see
        :data:`DEFAULT_AGENT_PERFORMANCE_PAGE_SIZE`). ``"auto"`` starts at 25 and
        doubles after every full page answered within 4 seconds, up to 400 and
        while the next page's expected body stays under half of ``max_page_bytes``
        (an agent's page is large: tens of kB an agent for a month); it settles at
        the server's cap, or one step back when a page is slower, its ``limit`` is
        refused or its body is above ``max_page_bytes`` (never below 25).
    queues : str or list of str, optional
        Keep only the rows of these queues, given by queue id or queue name.
    dtype_backend : {"numpy_nullable", "pyarrow"}, default "numpy_nullable"
        As pandas' own readers take it.
    validate : bool, default True
        Check the frame against the contract; False skips the check.
    progress : bool, optional
        Show a tqdm progress bar of the agents read, sized from ``totalCount``.
        None: on in a terminal or a notebook, off otherwise.
    concurrency : int, default 4
        Requests in flight at once once the first page has told ``totalCount``
        (1 to 16); the rate limit holds whatever this is.
    org_id : str, optional
        Not sent (the endpoint takes none); accepted so that the settings of
        :func:`cvframe.read_callvolume` serve every reader.
    client : CallVolumeClient, optional
        A client to reuse; otherwise one is made from ``client_settings``.
    **client_settings
        Keyword arguments of :class:`cvframe.CallVolumeClient`; any other keyword is
        a ValueError naming this reader's own options.

    Returns
    -------
    pandas.DataFrame
        One row per agent, interval and queue (``agent_id``, ``interval_start``,
        ``interval_end``, ``queue_id``, ``queue_name``, the counts, the durations,
        ``csat_score``), sorted by ``interval_start``, ``agent_id``, ``queue_id``.

    Raises
    ------
    ValueError
        For bad arguments (unparseable times, ``end <= start``, ``page_size`` neither
        >= 1 nor ``"auto"``, a
        keyword neither the reader nor the client takes) and missing settings.
    cvframe.CvframeError
        As :func:`cvframe.read_callvolume`: a ``ResponseError`` also when a page
        lacks the ``AgentPerformance`` list or an agent its ``agentId``.

    Examples
    --------
    >>> import cvframe
    >>> from cvframe.emulator import Emulator
    >>> with Emulator(days=1, queues=2) as emu:
    ...     perf = cvframe.read_agent_performance("2023-01-02", "2023-01-03", progress=False,
    ...                                           **emu.settings())
    >>> list(perf.columns[:4]), perf["conversation_handle_time"].dtype
    (['agent_id', 'interval_start', 'interval_end', 'queue_id'], dtype('<m8[ms]'))
    """
    return read_window(
        AGENT_PERFORMANCE,
        start,
        end,
        reader=read_agent_performance,
        org_id=org_id,
        page_size=page_size,
        queues=queues,
        duration_unit=AGENT_PERFORMANCE.duration_unit,
        dtype_backend=dtype_backend,
        validate=validate,
        progress=progress,
        concurrency=concurrency,
        client=client,
        client_settings=client_settings,
    )


def read_skill_volume(
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
    """Read call volume's per-skill breakdown: one row per record and skill.

    The Contact Volume endpoint with ``includeSkillBreakdown: true``: the same pages
    as :func:`cvframe.read_callvolume` (and the same integrity rules, counted in
    records), each record's ``skillBreakdown`` list flattened to one row per skill
    with the skill and skill-group ids and names and the same measures.

    **Per-skill sums can exceed the queue's totals**: a contact routed with several
    skills counts once per skill, while the queue's row (call volume) counts unique
    contacts. Never add skill rows up into queue totals; read those with
    :func:`cvframe.read_callvolume`.

    Parameters
    ----------
    start : str, datetime or Timestamp, optional
        Window start, UTC when naive. None reads from the first record there is.
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
        The unit the server sends durations in, as :func:`cvframe.read_callvolume`
        takes it (the same endpoint): the API page says seconds but the data are
        milliseconds; use "s" only for a deployment that really sends seconds.
    dtype_backend : {"numpy_nullable", "pyarrow"}, default "numpy_nullable"
        As pandas' own readers take it.
    validate : bool, default True
        Check the frame against the contract; False skips the check.
    progress : bool, optional
        Show a tqdm progress bar of the records read, sized from ``totalCount``.
    concurrency : int, default 4
        Requests in flight at once once the first page has told ``totalCount``.
    client : CallVolumeClient, optional
        A client to reuse; otherwise one is made from ``client_settings``.
    **client_settings
        Keyword arguments of :class:`cvframe.CallVolumeClient`; any other keyword is
        a ValueError naming this reader's own options.

    Returns
    -------
    pandas.DataFrame
        One row per record and skill (``id``, ``version``, the queue and interval,
        ``skill_id``, ``skill_name``, ``skill_group_id``, ``skill_group_name``, the
        measures), sorted by ``interval_start``, ``queue_id``, ``skill_id``, ``id``.

    Raises
    ------
    ValueError
        For bad arguments (a bad ``duration_unit``, a keyword neither the reader nor
        the client takes) and missing settings.
    cvframe.CvframeError
        As :func:`cvframe.read_callvolume`.

    Examples
    --------
    >>> import cvframe
    >>> from cvframe.emulator import Emulator
    >>> with Emulator(days=1, queues=2) as emu:
    ...     skills = cvframe.read_skill_volume("2023-01-02", "2023-01-03", progress=False,
    ...                                        **emu.settings())
    >>> bool(skills.duplicated(["id", "skill_id"]).any())
    False
    """
    return read_window(
        SKILL_VOLUME,
        start,
        end,
        reader=read_skill_volume,
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


def _inside(table: pa.Table, begin: pd.Timestamp, stop: pd.Timestamp) -> pa.Table:
    """The rows whose event time is in ``[begin, stop)`` (a row without one is kept)."""
    times = table[AGENT_ACTIVITY.interval_column or "event_time"]
    low = pa.scalar(begin.to_pydatetime(), type=times.type)
    high = pa.scalar(stop.to_pydatetime(), type=times.type)
    inside = pc.and_(pc.greater_equal(times, low), pc.less(times, high))
    # A row with no time cannot be placed: it stays, for validation to name it.
    return table.filter(pc.fill_null(inside, True))


def read_agent_activity(
    start: TimeLike,
    end: TimeLike,
    *,
    time_zone: str = "UTC",
    chunk: timedelta | str | None = None,
    dtype_backend: DtypeBackend = "numpy_nullable",
    validate: bool = True,
    progress: bool | None = None,
    org_id: str | None = None,
    client: CallVolumeClient | None = None,
    **client_settings: Any,
) -> pd.DataFrame:
    """Read the agents' state changes (ready, busy, after-contact work, not ready, ...) in a window.

    The endpoint does not page: one answer holds every event of its window. So
    ``[start, end)`` is cut into ``chunk``-long pieces (six hours by default, small
    enough that a busy account's answer stays a few MB; see
    the README's "The rest of the WFM scope"), each one GET, and also where the
    clocks of ``time_zone`` go back: the hour repeated there is then read from the
    window of the piece that brought it (one holds its first reading, the next one
    its second), whatever the chunk. Events the API sends
    outside ``[start, end)`` are dropped, and an event at a piece's boundary that two
    answers both hold is kept once (one row per agent, time, activity and reason).

    Parameters
    ----------
    start, end : str, datetime or Timestamp
        The window, UTC when naive; ``end`` after ``start``.
    time_zone : str, default "UTC"
        The zone of the API's event times, which it sends without one
        (``MM/DD/YYYY HH:MM:SS``); the frame's ``event_time`` is UTC either way. A
        time that never happens (the hour skipped when clocks go forward) is read as
        the first instant after the change; one that happens twice, as above.
    chunk : timedelta or str, optional
        The longest window one request asks for (``"1h"``, ``timedelta(hours=2)``; at
        least a minute). Pass a smaller one when an answer is too large.
    dtype_backend : {"numpy_nullable", "pyarrow"}, default "numpy_nullable"
        As pandas' own readers take it.
    validate : bool, default True
        Check the frame against the contract; False skips the check.
    progress : bool, optional
        Show a tqdm progress bar of the pieces read. None: on in a terminal or a
        notebook, off otherwise.
    org_id : str, optional
        Not sent (the endpoint takes none); accepted so that the settings of
        :func:`cvframe.read_callvolume` serve every reader.
    client : CallVolumeClient, optional
        A client to reuse; otherwise one is made from ``client_settings``.
    **client_settings
        Keyword arguments of :class:`cvframe.CallVolumeClient`; any other keyword is
        a ValueError naming this reader's own options.

    Returns
    -------
    pandas.DataFrame
        One row per state change: ``agent_id``, ``event_time`` (UTC), ``activity``,
        ``reason_code``, sorted by ``event_time`` and ``agent_id``.

    Raises
    ------
    ValueError
        For bad arguments (unparseable times, ``end <= start``, a bad ``chunk`` or
        ``time_zone``, a keyword neither the reader nor the client takes, such as
        ``queues``) and missing settings.
    cvframe.CvframeError
        A :class:`cvframe.ResponseError` when an answer has neither ``AgentUpdates``
        nor ``agentUpdates`` (the message names the keys it had) or is larger than
        ``max_page_bytes`` (the message says to pass a smaller ``chunk``); the HTTP
        errors of :func:`cvframe.read_callvolume`.

    Examples
    --------
    >>> import cvframe
    >>> from cvframe.emulator import Emulator
    >>> with Emulator(days=1) as emu:
    ...     events = cvframe.read_agent_activity("2023-01-02", "2023-01-03", progress=False,
    ...                                          **emu.settings())
    >>> list(events.columns), str(events["event_time"].dtype)
    (['agent_id', 'event_time', 'activity', 'reason_code'], 'datetime64[ms, UTC]')
    """
    backend = check_dtype_backend(dtype_backend)
    zone = check_time_zone(time_zone)
    length = check_chunk(chunk, AGENT_ACTIVITY)
    if start is None or end is None:
        raise ValueError(
            "read_agent_activity needs both start and end (the endpoint has no initial "
            "sync); pass e.g. start='2024-03-04', end='2024-03-05'"
        )
    begin, stop = resolve_window(start, end)
    assert begin is not None
    del org_id  # not sent: see the docstring
    unknown: set[str] = set()
    tables: list[pa.Table] = []
    # Pieces also end where clocks go back, so that each holds one reading of the
    # repeated hour, which its window then tells (records_to_table's window=).
    spans = split_at(begin, stop, clock_changes_back(begin, stop, zone))
    pieces = sum(len(split_window(lo, hi, length)) for lo, hi in spans)
    bar = None
    if progress_wanted(progress):
        bar = progress_bar_class()(total=pieces, unit="chunk", desc="cvframe", leave=False)
    try:
        with reading_client(client, client_settings, reader=read_agent_activity) as active:
            waits = active.transport.wait_budget()
            for lo, hi in spans:
                for low, high, updates in active.iter_activity(lo, hi, chunk=length, waits=waits):
                    table = records_to_table(
                        updates,
                        endpoint=AGENT_ACTIVITY,
                        unknown_fields=unknown,
                        time_zone=zone,
                        window=(low, high),
                    )
                    tables.append(_inside(table, begin, stop))
                    if bar is not None:
                        bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    df = finished_frame(
        tables,
        endpoint=AGENT_ACTIVITY,
        dtype_backend=backend,
        validate=validate,
        unknown_fields=unknown,
    )
    return with_window(df, begin, stop)  # the window asked for, for to_series
