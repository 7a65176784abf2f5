"""The Agent Performance endpoint, declared: handle times per agent, interval and queue.

``POST .../agentperformance`` pages over AGENTS: ``skip``/``limit`` count agents, and
``totalCount`` is "the agents with activity during the range". Each agent carries
``intervals: [{intervalStartTimeStamp, intervalEndTimeStamp, queues: [...]}]``: the
frame has one row per agent x interval x queue. Durations are milliseconds (the page
says so). ``csatScore`` is the average CSAT of the contacts the agent handled from
that queue.
"""

from __future__ import annotations

from ._declaration import Column, Endpoint

__all__ = ["AGENT_PERFORMANCE"]

# fmt: off
AGENT_PERFORMANCE = Endpoint(
    name="agentperformance",
    label="agent-performance",
    reader="read_agent_performance",
    path="/agentassist/api/public/analytics/account/{account_id}/agentperformance",
    method="POST",
    paging="skip_limit",
    id_field="agentId",
    columns=(
        Column("agent_id", "agentId", "string", "agent id"),
        Column("interval_start", "intervalStartTimeStamp", "datetime", "interval start, UTC"),
        Column("interval_end", "intervalEndTimeStamp", "datetime", "interval end, UTC"),
        Column("queue_id", "queueId", "string", "queue id"),
        Column("queue_name", "queueName", "string", "queue name"),
        Column("offered_contacts", "offeredContacts", "int",
               "contacts routed to the agent from the queue"),
        Column("answered_contacts", "answeredContacts", "int", "contacts the agent accepted"),
        Column("abandoned_contacts", "abandonedContacts", "int",
               "contacts abandoned while assigned or ringing to the agent"),
        Column("completed_contacts", "completedContacts", "int", "contacts the agent completed"),
        Column("transferred_contacts", "transferredContacts", "int",
               "contacts the agent transferred"),
        Column("conversation_handle_time", "conversationHandleTime", "duration",
               "total handle time (talk + hold + after-call work)"),
        Column("conversation_talk_time", "conversationTalkTime", "duration", "total talk time"),
        Column("acw_duration", "acwDuration", "duration", "total after-call work time"),
        Column("hold_duration", "holdDuration", "duration", "total hold time"),
        Column("csat_score", "csatScore", "float",
               "average CSAT score of the contacts handled from the queue"),
    ),
    schema_version=1,
    key_columns=("agent_id", "interval_start", "queue_id"),
    sort_keys=("interval_start", "agent_id", "queue_id"),
    records_key="AgentPerformance",
    has_more_key="hasMore",
    total_key="totalCount",
    interval_column="interval_start",
    row_shape="agent_intervals_queues",
    item_unit="agent",
)
# fmt: on
