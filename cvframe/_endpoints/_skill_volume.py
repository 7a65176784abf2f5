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

from dataclasses import replace
from types import MappingProxyType

from ._callvolume import COLUMNS as CALLVOLUME_COLUMNS
from ._declaration import Column, Endpoint

__all__ = ["SKILL_VOLUME"]

_CALLVOLUME = {c.name: c for c in CALLVOLUME_COLUMNS}
#: The record's fields each of its skill rows carries, as call volume declares them.
_IDENTITY = ("queue_id", "queue_name", "interval_start", "interval_end")
#: The measures of a skill row: call volume's, in its order, but the message counts
#: (which the breakdown does not carry); offered says how a contact is counted.
_MEASURES = tuple(
    replace(c, description=f"{c.description}, once per skill it needed")
    if c.name == "offered_contacts"
    else c
    for c in CALLVOLUME_COLUMNS
    if c.kind in ("int", "float", "duration")
    and c.name not in ("version", "message_count", "saved_message_count")
)

SKILL_VOLUME = Endpoint(
    name="skillvolume",
    label="skill-volume",
    reader="read_skill_volume",
    path="/agentassist/api/public/analytics/account/{account_id}/callvolume",
    method="POST",
    paging="skip_limit",
    id_field="_id",
    columns=(
        replace(_CALLVOLUME["id"], description="the call-volume record's id"),
        replace(_CALLVOLUME["version"], description="the record's version"),
        *(_CALLVOLUME[name] for name in _IDENTITY),
        Column("skill_id", "skillId", "string", "skill id"),
        Column("skill_name", "skillName", "string", "skill name"),
        Column("skill_group_id", "skillGroupId", "string", "skill group id"),
        Column("skill_group_name", "skillGroupName", "string", "skill group name"),
        *_MEASURES,
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
