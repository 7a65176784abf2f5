"""The :class:`Emulator`: the emulated API served on 127.0.0.1, and how clients reach it."""

from __future__ import annotations

from datetime import date
from typing import Any

from ._endpoint import EmulatedAPI
from ._server import LoopbackServer

__all__ = ["Emulator"]

#: The ``CVFRAME_*`` environment variable of each client setting.
_ENVIRONMENT = {
    "host": "CVFRAME_HOST",
    "account_id": "CVFRAME_ACCOUNT_ID",
    "client_id": "CVFRAME_CLIENT_ID",
    "client_secret": "CVFRAME_CLIENT_SECRET",
    "org_id": "CVFRAME_ORG_ID",
    "instance_id": "CVFRAME_INSTANCE_ID",
}


class Emulator(EmulatedAPI):
    """A local stand-in for the WFM Integration API, serving synthetic data on 127.0.0.1.

    It speaks the endpoints as Kore.ai documents them, under
    ``/agentassist/api/public/analytics/account/{accountId}/``, each with a JWT in the
    ``auth`` header:

    - ``POST callvolume`` ``{orgId, fromTimeStamp, toTimeStamp, skip, limit}``: pages
      of ``{hasMore, totalCount, CallVolumeUpdate}``; with ``includeSkillBreakdown:
      true`` each record carries its ``skillBreakdown`` (see :meth:`records`);
    - ``POST agentperformance`` ``{fromTimeStamp?, toTimeStamp, skip, limit}``: pages
      of ``{hasMore, totalCount, AgentPerformance}`` counting agents (see
      :meth:`agent_performance`);
    - ``GET agentactivity?fromTimeStamp=&toTimeStamp=``: ``{accountId,
      AgentUpdates}``, every state change of the window (see :meth:`agent_activity`);
    - ``GET queues``: ``[{accountId, collectionPointId, Description}]``;
    - ``GET agents?offset=&limit=``: a page of ``[{accountId, agentId, firstName,
      lastName}]``, the last one shorter than ``limit``.

    It checks the JWT (401), the request (400), one rate limit for the whole account
    (429 with ``Retry-After``), and can add latency and scripted faults for tests,
    whichever endpoint is asked. Data is deterministic per ``seed`` and consistent
    across endpoints: every agent named is in ``agents``, the agents' work adds up
    exactly to the call volume of their queues per interval, and their activity
    accounts for it to the second (the rules are in the docstring of
    ``cvframe.emulator._workforce``). The agents' data is made, day by day, on the
    first request that needs it, so an emulator serving call volume costs what it did.
    ``max_page_size`` caps the pages of call volume, agent performance and agents;
    the paging lies (``lie_has_more``, ``total_count_drift``) apply to the skip/limit
    endpoints (call volume, agent performance).

    Parameters
    ----------
    seed : int, default 0
        Fixes the data, the ids and the credentials' account and org ids.
    queues : int, default 4
        How many queues the account has.
    start : str or date, default "2023-01-02"
        The first UTC day with data (a Monday).
    days : int, default 28
        How many days of data, from ``start``.
    requests_per_minute : float, optional
        Answer 429 beyond this many requests in any 60 seconds; None: no limit.
    latency : float, default 0.0
        Seconds to wait before each answer.
    max_page_size : int, optional
        Serve at most this many records per page whatever ``limit`` asks for, as an
        API with an (undocumented) maximum ``limit`` would: the page is shorter than
        asked and ``hasMore`` stays true.
    latency_per_record : float, default 0.0
        Seconds more to wait before a page for each record it serves (call volume and
        agent performance), on top of ``latency``: a server whose answers slow down
        as pages grow.
    rate_window : float, default 60.0
        Seconds the ``requests_per_minute`` limit counts over (60, as the API); a test
        shortens it to meet the limit within seconds.
    require_instance_id : bool, default False
        Answer 400 when the ``iId`` header is missing or wrong (the docs-v2 revision).
    activity_time_zone : str, default "UTC"
        The IANA zone of agent activity's zone-less ``EventTime`` values. In a zone
        with daylight saving time, the hour repeated in autumn is ambiguous, as it
        would be from the real API.
    camel_case : bool, default False
        Serve the field tables' spellings (``description``; ``agentUpdates``,
        ``agentId``, ``eventTime``, ``activity``, ``reasonCode``) instead of the
        samples' (``Description``; ``AgentUpdates``, ``AgentId``, ...).
    port : int, default 0
        The port to listen on; 0 picks a free one.

    Examples
    --------
    >>> import cvframe
    >>> with cvframe.emulator.Emulator(days=1, queues=2) as emu:
    ...     df = cvframe.read_callvolume("2023-01-02", "2023-01-03", progress=False,
    ...                                  **emu.settings())
    >>> df["queue_name"].nunique()
    2
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        queues: int = 4,
        start: str | date = "2023-01-02",
        days: int = 28,
        requests_per_minute: float | None = None,
        latency: float = 0.0,
        max_page_size: int | None = None,
        require_instance_id: bool = False,
        activity_time_zone: str = "UTC",
        camel_case: bool = False,
        rate_window: float = 60.0,
        latency_per_record: float = 0.0,
        port: int = 0,
    ) -> None:
        super().__init__(
            seed=seed,
            queues=queues,
            start=start,
            days=days,
            requests_per_minute=requests_per_minute,
            latency=latency,
            max_page_size=max_page_size,
            require_instance_id=require_instance_id,
            activity_time_zone=activity_time_zone,
            camel_case=camel_case,
            rate_window=rate_window,
            latency_per_record=latency_per_record,
        )
        self._server = LoopbackServer(self._handle, port)

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> Emulator:
        """Start serving on 127.0.0.1 in a background thread."""
        self._server.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        self._server.stop()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port it listens on (after :meth:`start`)."""
        return self._server.port

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``: pass it as ``host``."""
        return f"http://127.0.0.1:{self.port}"

    # ------------------------------------------------------------------ time passing
    def advance(self, end: str | date) -> None:
        """Let time pass on the account: serve data up to (not including) the UTC day ``end``.

        The emulator starts with ``days`` days of data from ``start``
        (:attr:`data_start` to :attr:`data_end`, exclusive). A real account gains a
        day of records every day; ``advance`` plays that, so a job that runs again
        later (an incremental :func:`cvframe.sync`, a nightly export) finds the new
        days on the next request, as it would the next morning. Every endpoint
        follows: call volume, its skill breakdown, agent performance and agent
        activity serve the same days. The new days are the synthetic data the
        emulator would have served with a larger ``days`` (the same ``seed`` gives the
        same records), so a read after ``advance`` equals a read of an emulator
        started with the longer history. An ``end`` before :attr:`data_end` hides
        the days from it on again. Records changed with :meth:`touch` or added with
        :meth:`insert` stay as they are.

        Parameters
        ----------
        end : str or date
            The first UTC day *not* served, e.g. ``"2023-02-13"`` to serve up to and
            including 12 February; a datetime counts as its UTC day.

        See Also
        --------
        data_end : the day the data now end before.

        Examples
        --------
        One day of data, then a second one arrives:

        >>> import cvframe
        >>> from cvframe.emulator import Emulator
        >>> with Emulator(days=1, queues=1) as emu:
        ...     window = ("2023-01-02", "2023-01-04")
        ...     before = cvframe.read_callvolume(*window, progress=False, **emu.settings())
        ...     emu.advance("2023-01-04")
        ...     after = cvframe.read_callvolume(*window, progress=False, **emu.settings())
        ...     served_until = emu.data_end
        >>> before["interval_start"].dt.date.nunique(), after["interval_start"].dt.date.nunique()
        (1, 2)
        >>> served_until
        datetime.date(2023, 1, 4)
        """
        super().advance(end)

    # ------------------------------------------------------------------ clients
    def client_settings(self) -> dict[str, Any]:
        """Keyword arguments for :class:`cvframe.CallVolumeClient` against this emulator."""
        settings: dict[str, Any] = {
            "host": self.base_url,
            "account_id": self.account_id,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }
        if self.require_instance_id:
            settings["instance_id"] = self.instance_id
        if self.requests_per_minute is not None:
            settings["requests_per_minute"] = self.requests_per_minute
        return settings

    def settings(self) -> dict[str, Any]:
        """:meth:`client_settings` plus ``org_id``: for :func:`cvframe.read_callvolume`."""
        return {**self.client_settings(), "org_id": self.org_id}

    def env(self) -> dict[str, str]:
        """The ``CVFRAME_*`` environment variables that point cvframe at this emulator."""
        return {_ENVIRONMENT[k]: str(v) for k, v in self.settings().items() if k in _ENVIRONMENT}
