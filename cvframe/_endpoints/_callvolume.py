"""The Contact Volume endpoint, declared: the first :class:`Endpoint`, and its contract.

:data:`COLUMNS` is the single source of truth of a call-volume frame: the order of the
columns, the API field each comes from, and its kind. The dtypes of each
``dtype_backend``, the pandera model and the README's "Columns" table all follow from
it; change them together (``tests/frame/test_schema.py`` checks that the model agrees).
"""

from __future__ import annotations

from collections.abc import Mapping

from ._declaration import Column, Endpoint

__all__ = ["API_FIELDS", "CALLVOLUME", "COLUMNS", "SCHEMA_VERSION"]

# fmt: off
#: The call-volume contract, one :class:`Column` per column in frame order: its name,
#: the API field it comes from, its kind and its meaning (``c.name``, ``c.api_name``,
#: ``c.description``); :func:`cvframe.contract_dtypes` gives each one's dtype.
COLUMNS: tuple[Column, ...] = (
    Column("id", "_id", "string", "record id (a database document id)"),
    Column("org_id", "orgId", "string", "organization id"),
    Column("queue_id", "queueId", "string", "queue id"),
    Column("queue_name", "queueName", "string", "queue name"),
    Column("instance_id", "iId", "string", "instance (stream) id"),
    Column("source", "source", "string", "data source, 'rtm' (real-time monitoring)"),
    Column("version", "__v", "int", "document version; a later update has a higher one"),
    Column("interval_start", "intervalStartTimeStamp", "datetime", "interval start, UTC"),
    Column("interval_end", "intervalEndTimeStamp", "datetime", "interval end, UTC"),
    Column("offered_contacts", "offeredContacts", "int", "contacts offered to the queue"),
    Column("answered_contacts", "answeredContacts", "int", "contacts answered"),
    Column("completed_contacts", "completedContacts", "int", "contacts completed (handled)"),
    Column("abandoned_contacts", "abandonedContacts", "int", "contacts abandoned in queue"),
    Column("message_count", "messageCount", "int", "messages exchanged"),
    Column("saved_message_count", "savedMessageCount", "int", "messages saved"),
    Column("csat_responses", "csatResponses", "int", "CSAT survey responses"),
    Column("csat_score", "csatScore", "float", "CSAT score of those responses (their average)"),
    Column("queue_hold_time_answered", "queueHoldTimeAnswered", "duration",
           "total queue wait of answered contacts"),
    Column("max_queue_hold_time_answered", "maxQueueHoldTimeAnswered", "duration",
           "longest queue wait of an answered contact"),
    Column("queue_hold_time_abandoned", "queueHoldTimeAbandoned", "duration",
           "total queue wait of abandoned contacts"),
    # The API spells this one with a lower-case q; that spelling is the wire format.
    Column("max_queue_hold_time_abandoned", "maxqueueHoldTimeAbandoned", "duration",
           "longest queue wait of an abandoned contact"),
    Column("conversation_handle_time", "conversationHandleTime", "duration",
           "total handle time (talk + hold + after-call work)"),
    Column("conversation_talk_time", "conversationTalkTime", "duration", "total talk time"),
    Column("hold_duration", "holdDuration", "duration", "total hold time"),
    Column("acw_duration", "acwDuration", "duration", "total after-call work time"),
)
# fmt: on

#: The Contact Volume API: ``POST`` a window, get pages of ``CallVolumeUpdate`` records.
CALLVOLUME = Endpoint(
    name="callvolume",
    label="call-volume",
    reader="read_callvolume",
    path="/agentassist/api/public/analytics/account/{account_id}/callvolume",
    method="POST",
    paging="skip_limit",
    records_key="CallVolumeUpdate",
    has_more_key="hasMore",
    total_key="totalCount",
    id_field="_id",
    version_field="__v",
    columns=COLUMNS,
    schema_version=1,
    # The API page says seconds, but the data are milliseconds (see the README).
    duration_unit="ms",
    interval_column="interval_start",
    key_columns=("id",),
    sort_keys=("interval_start", "queue_id", "id"),
    org_key="orgId",
    # The order of the fields in the API's sample response (and the emulator's pages).
    wire_order=(
        "_id",
        "intervalStartTimeStamp",
        "orgId",
        "queueId",
        "source",
        "__v",
        "intervalEndTimeStamp",
        "offeredContacts",
        "answeredContacts",
        "maxQueueHoldTimeAnswered",
        "queueHoldTimeAnswered",
        "acwDuration",
        "completedContacts",
        "conversationHandleTime",
        "conversationTalkTime",
        "holdDuration",
        "messageCount",
        "savedMessageCount",
        "csatResponses",
        "csatScore",
        "abandonedContacts",
        "maxqueueHoldTimeAbandoned",
        "queueHoldTimeAbandoned",
        "iId",
        "queueName",
    ),
)

#: API field name -> column name, e.g. ``API_FIELDS["maxqueueHoldTimeAbandoned"]``.
API_FIELDS: Mapping[str, str] = CALLVOLUME.api_fields
#: The version of the call-volume contract (snapshots record it).
SCHEMA_VERSION = CALLVOLUME.schema_version
