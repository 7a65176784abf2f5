"""The skill breakdown of call volume, declared: one row per record x skill.

The Contact Volume endpoint with ``includeSkillBreakdown: true`` (a newer revision of
its page) gives each record a ``skillBreakdown`` list of the same counts and
durations per skill. A contact routed with several skills counts once per skill, so
the skills' sums can exceed the queue's totals: the queue row (call volume) is the
count of unique contacts, and nothing in cvframe adds skill rows up into queue totals.
Pages are the call-volume pages (records, ``_id``/``__v``), so the read's integrity
rules are call volume's.
"""

from __future__ import annotations

from types import MappingProxyType

from ._declaration import Column, Endpoint

__all__ = ["SKILL_VOLUME"]

# fmt: off
SKILL_VOLUME = Endpoint(
    name="skillvolume",
    label="skill-volume",
    reader="read_skill_volume",
    path="/agentassist/api/public/analytics/account/{account_id}/callvolume",
    method="POST",
    paging="skip_limit",
    id_field="_id",
    columns=(
        Column("id", "_id", "string", "the call-volume record's id"),
        Column("version", "__v", "int", "the record's version"),
        Column("queue_id", "queueId", "string", "queue id"),
        Column("queue_name", "queueName", "string", "queue name"),
        Column("interval_start", "intervalStartTimeStamp", "datetime", "interval start, UTC"),
        Column("interval_end", "intervalEndTimeStamp", "datetime", "interval end, UTC"),
        Column("skill_id", "skillId", "string", "skill id"),
        Column("skill_name", "skillName", "string", "skill name"),
        Column("skill_group_id", "skillGroupId", "string", "skill group id"),
        Column("skill_group_name", "skillGroupName", "string", "skill group name"),
        Column("offered_contacts", "offeredContacts", "int",
               "contacts offered with this skill (a contact counts once per skill)"),
        Column("answered_contacts", "answeredContacts", "int", "contacts answered"),
        Column("completed_contacts", "completedContacts", "int", "contacts completed"),
        Column("abandoned_contacts", "abandonedContacts", "int", "contacts abandoned"),
        Column("csat_responses", "csatResponses", "int", "CSAT survey responses"),
        Column("csat_score", "csatScore", "float", "average CSAT score of those responses"),
        Column("queue_hold_time_answered", "queueHoldTimeAnswered", "duration",
               "total queue wait of answered contacts"),
        Column("max_queue_hold_time_answered", "maxQueueHoldTimeAnswered", "duration",
               "longest queue wait of an answered contact"),
        Column("queue_hold_time_abandoned", "queueHoldTimeAbandoned", "duration",
               "total queue wait of abandoned contacts"),
        Column("max_queue_hold_time_abandoned", "maxqueueHoldTimeAbandoned", "duration",
               "longest queue wait of an abandoned contact"),
        Column("conversation_handle_time", "conversationHandleTime", "duration",
               "total handle time (talk + hold + after-call work)"),
        Column("conversation_talk_time", "conversationTalkTime", "duration", "total talk time"),
        Column("hold_duration", "holdDuration", "duration", "total hold time"),
        Column("acw_duration", "acwDuration", "duration", "total after-call work time"),
    ),
    schema_version=1,
    key_columns=("id", "skill_id"),
    sort_keys=("interval_start", "queue_id", "skill_id", "id"),
    records_key="CallVolumeUpdate",
    has_more_key="hasMore",
    total_key="totalCount",
    version_field="__v",
    interval_column="interval_start",
    row_shape="record_skills",
    org_key="orgId",
    extra_params=MappingProxyType({"includeSkillBreakdown": True}),
)
# fmt: on
