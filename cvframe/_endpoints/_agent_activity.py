"""The Agent Activity endpoint, declared: each agent's state changes.

``GET .../agentactivity?fromTimeStamp=&toTimeStamp=`` answers
``{accountId, AgentUpdates: [{AgentId, EventTime, Activity, ReasonCode}]}`` for the
whole window: it does not page. The field table spells the keys in camelCase, the
sample in PascalCase; both are accepted. ``EventTime`` is ``MM/DD/YYYY HH:MM:SS``
with no zone (the sample's hour is unpadded, ``10/20/2020 2:13:12``); which zone is
a setting of the reader, UTC by default.

Why windows are cut into :data:`ACTIVITY_CHUNK` pieces: with no paging, one answer
holds every event of its window. Events come "in real time or stacked every 30
seconds"; 500 agents changing state every 5 minutes make about 36,000 events in six
hours (about 4 MB of JSON), well under the client's page cap, while a week takes 28
requests (under 30 seconds at the documented 60 requests a minute).
"""

from __future__ import annotations

from datetime import timedelta
from types import MappingProxyType

from ._declaration import Column, Endpoint

__all__ = ["ACTIVITY_CHUNK", "AGENT_ACTIVITY"]

#: The longest window one agent-activity request asks for (see the module docstring).
ACTIVITY_CHUNK = timedelta(hours=6)

AGENT_ACTIVITY = Endpoint(
    name="agentactivity",
    label="agent-activity",
    reader="read_agent_activity",
    path="/agentassist/api/public/analytics/account/{account_id}/agentactivity",
    method="GET",
    paging="none",
    id_field="agentId",
    columns=(
        Column("agent_id", "agentId", "string", "agent id"),
        Column(
            "event_time",
            "eventTime",
            "datetime",
            "when the agent entered the state (sent without a zone; UTC unless told)",
            time_format="%m/%d/%Y %H:%M:%S",
        ),
        Column("activity", "activity", "string", "the state entered, e.g. 'notready'"),
        Column("reason_code", "reasonCode", "string", "why (a code, e.g. '1')"),
    ),
    schema_version=1,
    key_columns=("agent_id", "event_time", "activity", "reason_code"),
    nullable_key_columns=("reason_code",),
    sort_keys=("event_time", "agent_id"),
    records_key="agentUpdates",
    interval_column="event_time",
    item_unit="event",
    chunk=ACTIVITY_CHUNK,
    aliases=MappingProxyType(
        {
            "AgentUpdates": "agentUpdates",
            "AgentId": "agentId",
            "EventTime": "eventTime",
            "Activity": "activity",
            "ReasonCode": "reasonCode",
        }
    ),
)
