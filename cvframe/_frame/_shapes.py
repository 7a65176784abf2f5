"""A page's items -> flat rows of API fields, one per frame row, by the endpoint's row shape.

- ``records``: each item is a row (call volume, agent activity, the directories);
- ``agent_intervals_queues``: ``{agentId, intervals: [{intervalStartTimeStamp,
  intervalEndTimeStamp, queues: [{queueId, ...}]}]}`` gives one row per agent x
  interval x queue, each carrying its agent and its interval's times;
- ``record_skills``: a call-volume record's ``skillBreakdown: [{skillId, ...}]`` gives
  one row per record x skill, each carrying the record's identity (id, version, queue,
  interval). An empty list is a record without skills. A record sent without the key
  gives no rows when others of its page have it; when no record of a page has it and
  one had offered contacts, the server ignored ``includeSkillBreakdown``: a
  :class:`cvframe.ResponseError`, not a quietly empty frame.

Keys spelled as in ``Endpoint.aliases`` are read as their declared name, at every level.
Unknown keys are named with their path (``intervals.queues.newField``) so that a drift
warning says where they were; the nesting keys themselves are known.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .._endpoints import CALLVOLUME, Endpoint
from .._errors import ResponseError
from ._per_endpoint import per_endpoint

__all__ = ["Rows", "flat_rows"]

#: The list of intervals of an agent-performance item, and of queues in each interval.
INTERVALS_KEY, QUEUES_KEY = "intervals", "queues"
#: The list of skills of a call-volume record with ``includeSkillBreakdown``.
SKILLS_KEY = "skillBreakdown"
#: The columns of a skill row that come from its record rather than from the skill.
_RECORD_IDENTITY = ("id", "version", "queue_id", "queue_name", "interval_start", "interval_end")


@dataclass(frozen=True)
class Rows:
    """Flat rows (API field names), and how a message names row ``i``'s item."""

    rows: Sequence[Mapping[str, Any]]
    describe: Callable[[int], str]
    #: Whether the unknown fields were gathered already (nested shapes gather them
    #: with their path while flattening).
    unknown_gathered: bool


def flat_rows(
    items: Sequence[Mapping[str, Any]], endpoint: Endpoint, unknown: set[str] | None
) -> Rows:
    """The rows of ``items`` by ``endpoint.row_shape``; unknown nested keys go to ``unknown``."""
    if endpoint.row_shape == "agent_intervals_queues":
        return _agent_rows(items, endpoint, unknown)
    if endpoint.row_shape == "record_skills":
        return _skill_rows(items, endpoint, unknown)
    rows = _dealiased(items, endpoint) if endpoint.aliases else items
    return Rows(rows, _record_describer(rows, endpoint), unknown_gathered=False)


def _record_describer(
    rows: Sequence[Mapping[str, Any]], endpoint: Endpoint
) -> Callable[[int], str]:
    id_field = endpoint.id_field
    if endpoint.item_unit == "record":
        # Call volume's wording, as messages have always had it: "record 'abc'".
        return lambda i: f"record {rows[i].get(id_field, f'#{i}')!r}"
    unit = endpoint.item_unit
    return lambda i: f"{unit} #{i} ({id_field} {rows[i].get(id_field)!r})"


def _dealias(item: Mapping[str, Any], aliases: Mapping[str, str], where: str) -> Mapping[str, Any]:
    """``item`` with its keys in the declared spelling (call only when one differs)."""
    out = dict(item)
    for alias, name in aliases.items():
        if alias not in out:
            continue
        value = out.pop(alias)
        if name in out and out[name] != value:
            raise ResponseError(
                f"{where} holds both {alias!r} ({value!r}) and {name!r} ({out[name]!r}), "
                "two spellings of one field with different values; cvframe cannot tell "
                "which is right. Report it to Kore.ai"
            )
        out[name] = value
    return out


def _respelled(
    item: Mapping[str, Any], aliases: Mapping[str, str], where: Callable[[], str]
) -> Mapping[str, Any]:
    """``item`` itself when no key is an alias (the usual case), else :func:`_dealias`'s copy."""
    if not aliases or aliases.keys().isdisjoint(item):
        return item
    return _dealias(item, aliases, where())


def _dealiased(
    items: Sequence[Mapping[str, Any]], endpoint: Endpoint
) -> Sequence[Mapping[str, Any]]:
    aliases, id_field, unit = endpoint.aliases, endpoint.id_field, endpoint.item_unit
    spellings = (id_field, *(a for a, name in aliases.items() if name == id_field))
    out: list[Mapping[str, Any]] | None = None
    for i, item in enumerate(items):
        if aliases.keys().isdisjoint(item):
            continue
        ids = [item[k] for k in spellings if k in item]
        renamed = _dealias(item, aliases, f"{unit} #{i} ({id_field} {ids[0] if ids else None!r})")
        if out is None:
            out = list(items)
        out[i] = renamed
    return items if out is None else out


def _not_a_list(owner: str, key: str, value: Any, what: str) -> ResponseError:
    return ResponseError(
        f"{owner}: {key!r} is {value!r}, not a list of {what}; the API sent an answer "
        "cvframe cannot read. Report it to Kore.ai"
    )


@dataclass(frozen=True)
class _Nesting:
    """The API fields each level of a nested shape gives its rows, and what it knows."""

    outer: tuple[str, ...]
    middle: tuple[str, ...]
    outer_known: frozenset[str]
    middle_known: frozenset[str]
    leaf_known: frozenset[str]


@per_endpoint
def _agent_nesting(endpoint: Endpoint) -> _Nesting:
    agent = (endpoint.id_field,)
    interval = (endpoint.api_field("interval_start"), endpoint.api_field("interval_end"))
    leaf = frozenset(endpoint.api_fields) - {*agent, *interval}
    return _Nesting(
        agent,
        interval,
        frozenset({*agent, INTERVALS_KEY}),
        frozenset({*interval, QUEUES_KEY}),
        leaf,
    )


def _gather(
    unknown: set[str] | None, item: Mapping[str, Any], known: frozenset[str], path: str
) -> None:
    if unknown is not None:
        extra = item.keys() - known
        if extra:
            unknown.update(path + name for name in extra)


def _agent_rows(
    items: Sequence[Mapping[str, Any]], endpoint: Endpoint, unknown: set[str] | None
) -> Rows:
    nesting = _agent_nesting(endpoint)
    (agent_key,), (start_key, end_key) = nesting.outer, nesting.middle
    queue_key = endpoint.api_field("queue_id")
    aliases = endpoint.aliases
    rows: list[dict[str, Any]] = []
    for i, item in enumerate(items):
        item = _respelled(item, aliases, lambda: f"agent #{i}")  # noqa: B023 (called at once)
        agent = item.get(agent_key)
        owner = f"agent {agent!r}"
        _gather(unknown, item, nesting.outer_known, "")
        intervals = item.get(INTERVALS_KEY)
        if not isinstance(intervals, list):
            raise _not_a_list(owner, INTERVALS_KEY, intervals, "intervals")
        for interval in intervals:
            if not isinstance(interval, Mapping):
                raise _not_a_list(owner, INTERVALS_KEY, intervals, "interval objects")
            interval = _respelled(interval, aliases, lambda: owner)  # noqa: B023
            _gather(unknown, interval, nesting.middle_known, f"{INTERVALS_KEY}.")
            start, end = interval.get(start_key), interval.get(end_key)
            queues = interval.get(QUEUES_KEY)
            if not isinstance(queues, list) or not all(isinstance(q, Mapping) for q in queues):
                where = f"{owner}, interval {start!r}"
                raise _not_a_list(where, QUEUES_KEY, queues, "queue objects")
            for queue in queues:
                queue = _respelled(queue, aliases, lambda: owner)  # noqa: B023
                _gather(unknown, queue, nesting.leaf_known, f"{INTERVALS_KEY}.{QUEUES_KEY}.")
                row = dict(queue)
                row[agent_key], row[start_key], row[end_key] = agent, start, end
                rows.append(row)

    def describe(i: int) -> str:
        row = rows[i]
        return (
            f"agent {row[agent_key]!r} (interval {row[start_key]!r}, queue {row.get(queue_key)!r})"
        )

    return Rows(rows, describe, unknown_gathered=True)


@per_endpoint
def _skill_nesting(endpoint: Endpoint) -> _Nesting:
    names = set(endpoint.column_names())
    record = tuple(endpoint.api_field(c) for c in _RECORD_IDENTITY if c in names)
    # A skill row's record is a call-volume record: its own measures are known fields.
    record_known = frozenset({*CALLVOLUME.api_fields, *record, SKILLS_KEY})
    leaf = frozenset(endpoint.api_fields) - set(record)
    return _Nesting(record, (), record_known, frozenset(), leaf)


def _has_contacts(count: Any) -> bool:
    """Whether a record's offered count says it had contacts (so skills to break down)."""
    return isinstance(count, int | float) and not isinstance(count, bool) and count > 0


def _skill_rows(
    items: Sequence[Mapping[str, Any]], endpoint: Endpoint, unknown: set[str] | None
) -> Rows:
    nesting = _skill_nesting(endpoint)
    id_field, skill_key = endpoint.id_field, endpoint.api_field("skill_id")
    aliases = endpoint.aliases
    offered = CALLVOLUME.api_field("offered_contacts")
    rows: list[dict[str, Any]] = []
    #: The first record with contacts sent without a breakdown, and whether one had it.
    bare: Mapping[str, Any] | None = None
    broken_down = False
    for i, item in enumerate(items):
        item = _respelled(item, aliases, lambda: f"record #{i}")  # noqa: B023 (called at once)
        _gather(unknown, item, nesting.outer_known, "")
        skills = item.get(SKILLS_KEY)
        if skills is None:
            # No skill rows for it; but a page of such records says the breakdown
            # was not sent at all (refused below).
            if bare is None and _has_contacts(item.get(offered)):
                bare = item
            continue
        broken_down = True
        if not isinstance(skills, list) or not all(isinstance(s, Mapping) for s in skills):
            raise _not_a_list(f"record {item.get(id_field)!r}", SKILLS_KEY, skills, "skill objects")
        identity = {key: item.get(key) for key in nesting.outer}
        for skill in skills:
            skill = _respelled(skill, aliases, lambda: f"record {item.get(id_field)!r}")  # noqa: B023
            _gather(unknown, skill, nesting.leaf_known, f"{SKILLS_KEY}.")
            row = dict(skill)
            row.update(identity)
            rows.append(row)

    if bare is not None and not broken_down:
        raise ResponseError(
            f"no record of the page holds {SKILLS_KEY!r}, though record "
            f"{bare.get(id_field)!r} has {bare.get(offered)!r} offered contacts: the "
            "server answered without the skill breakdown, which this deployment may not "
            f"support (the request asks for it with includeSkillBreakdown). Read "
            "cvframe.read_callvolume for the totals, or ask Kore.ai to enable the breakdown"
        )

    def describe(i: int) -> str:
        return f"record {rows[i].get(id_field)!r} (skill {rows[i].get(skill_key)!r})"

    return Rows(rows, describe, unknown_gathered=True)
