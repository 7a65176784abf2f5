"""The directory endpoints, declared: the account's queues and its agents.

Neither takes a window. ``queues`` answers one JSON array; ``agents`` pages with
``offset``/``limit`` in the query and ends on a page shorter than ``limit``. Both
pages' samples in the API documentation are not valid JSON (an unquoted
``accountId`` key), and the queues sample spells ``Description`` with a capital D:
both spellings are accepted (``aliases``).
"""

from __future__ import annotations

from types import MappingProxyType

from ._declaration import Column, Endpoint

__all__ = ["AGENTS", "QUEUES"]

_PREFIX = "/agentassist/api/public/analytics/account/{account_id}"

#: ``GET .../queues``: ``[{accountId, collectionPointId, description}]``; the
#: ``collectionPointId`` is the ``queueId`` of call-volume records.
QUEUES = Endpoint(
    name="queues",
    label="queues",
    reader="read_queues",
    path=f"{_PREFIX}/queues",
    method="GET",
    paging="none",
    id_field="collectionPointId",
    columns=(
        Column("account_id", "accountId", "string", "account id"),
        Column("queue_id", "collectionPointId", "string", "queue id (the queue_id of call volume)"),
        Column("description", "description", "string", "the queue's description (its name)"),
    ),
    schema_version=1,
    key_columns=("queue_id",),
    sort_keys=("queue_id",),
    window_keys=None,
    aliases=MappingProxyType({"Description": "description"}),
)

#: ``GET .../agents?offset=&limit=``: ``[{accountId, agentId, firstName, lastName}]``.
AGENTS = Endpoint(
    name="agents",
    label="agents",
    reader="read_agents",
    path=f"{_PREFIX}/agents",
    method="GET",
    paging="offset_limit",
    id_field="agentId",
    columns=(
        Column("account_id", "accountId", "string", "account id"),
        Column("agent_id", "agentId", "string", "agent id"),
        Column("first_name", "firstName", "string", "first name"),
        Column("last_name", "lastName", "string", "last name"),
    ),
    schema_version=1,
    key_columns=("agent_id",),
    sort_keys=("agent_id",),
    item_unit="agent",
    window_keys=None,
)
