"""The exceptions and warnings cvframe raises.

Every failure a user can meet while reading, validating or storing the API's data
ends in a subclass of :class:`CvframeError`; bad arguments to a function raise a
plain :class:`ValueError` (or :class:`ConfigurationError`, which is both).

The tree::

    CvframeError
    ├── ConfigurationError (also a ValueError)  a setting is missing or malformed
    ├── TransportError                          the API could not be reached
    ├── APIError                                the API answered with an error status
    │   ├── AuthenticationError                 401 / 403: token rejected
    │   └── RateLimitError                      429 and retries exhausted
    ├── ResponseError                           the body is not the documented JSON
    ├── SchemaError                             the frame breaks the column contract
    └── SnapshotError                           a snapshot dataset cannot be read or written
        └── LockError                           another sync or write holds the dataset's lock

    SchemaDriftWarning (a UserWarning)          the API sent fields cvframe does not know
    OutOfWindowWarning (a UserWarning)          sync dropped records outside the window read
    OccupancyWarning (a UserWarning)            agents booked more handle time than they had

Messages never contain the token or the client secret, in any spelling: raw,
``repr``-escaped, JSON-escaped, URL-encoded or cut off (see :mod:`cvframe._redact`).
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "APIError",
    "AuthenticationError",
    "ConfigurationError",
    "CvframeError",
    "LockError",
    "OccupancyWarning",
    "OutOfWindowWarning",
    "RateLimitError",
    "ResponseError",
    "SchemaDriftWarning",
    "SchemaError",
    "SnapshotError",
    "TransportError",
]


class CvframeError(Exception):
    """Base class of every error cvframe raises on purpose."""


class ConfigurationError(CvframeError, ValueError):
    """A connection setting is missing or malformed.

    The message names both the keyword argument and the environment variable
    that can supply it.
    """


class TransportError(CvframeError):
    """The API could not be reached (connection refused, reset, timed out) after retries."""


class APIError(CvframeError):
    """The API answered with an error status.

    Attributes
    ----------
    status_code : int
        The HTTP status of the last response.
    server_message : str or None
        The error text the server sent, if any.
    request_id : str or None
        The server's request id header, if it sent one; quote it to Kore.ai support.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        server_message: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.server_message = server_message
        self.request_id = request_id


class AuthenticationError(APIError):
    """The API rejected the credentials (HTTP 401 or 403). Never retried."""


class RateLimitError(APIError):
    """429 until retries ran out, or a wait asked for beyond max_retry_wait / max_total_wait."""


class ResponseError(CvframeError):
    """The API's answer is not the documented JSON (or its pages contradict each other)."""


class SchemaError(CvframeError):
    """A frame does not follow the column contract.

    Attributes
    ----------
    failure_cases : pandas.DataFrame or None
        One row per failing check and value, as pandera reports them
        (columns ``schema_context``, ``column``, ``check``, ``failure_case``, ``index``).
    """

    def __init__(self, message: str, *, failure_cases: Any = None) -> None:
        super().__init__(message)
        self.failure_cases = failure_cases


class SnapshotError(CvframeError):
    """A snapshot dataset cannot be read or written (missing, foreign or newer schema)."""


class LockError(SnapshotError):
    """Another sync or write holds the dataset's lock and did not let go in time."""


class SchemaDriftWarning(UserWarning):
    """The API sent fields the column contract does not know; they were dropped."""


class OutOfWindowWarning(UserWarning):
    """The API sent records whose interval lies outside the window asked for.

    :func:`cvframe.sync` drops them (the message says how many), so that a record
    dated far in the future cannot move the snapshot's high-water mark past the
    run's own window end and stop every later run from reading anything.
    """


class OccupancyWarning(UserWarning):
    """Handle time from agent performance exceeds the available time agent activity shows.

    :func:`cvframe.agent_occupancy` keeps the values (an occupancy above 1) rather than
    clip them, and names the first agent-buckets where the two sources disagree.
    """
