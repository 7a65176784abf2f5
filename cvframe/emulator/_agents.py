"""The emulated account's agents: a fixed pool per queue, some serving a second queue.

The pool depends only on the seed and the queues, never on a window, so the
``agents`` directory is the same whatever is asked and holds every agent the other
endpoints name. Each queue's pool is large enough to staff its busiest interval
with one shift per agent per day (see :mod:`._workforce`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ._data import QueueSpec, stable_hex, uuidish

__all__ = [
    "AGENT_CAPACITY_MS",
    "PRIMARY_SLOT_MS",
    "SECONDARY_SLOT_MS",
    "SOLE_SLOT_MS",
    "AgentSpec",
    "agent_pool",
    "pool_size",
]

#: The most handle time an agent carries in one 15-minute interval: 90% of it.
AGENT_CAPACITY_MS = 810_000
#: Of that, what its own (primary) queue may use, and what its second queue may use;
#: a few milliseconds are kept back for the rounding of the exact splits.
PRIMARY_SLOT_MS = 720_000 - 10
SECONDARY_SLOT_MS = AGENT_CAPACITY_MS - 720_000 - 10
#: What the one queue of an agent who takes no other may use: all of it.
SOLE_SLOT_MS = AGENT_CAPACITY_MS - 10
#: The share of agents who also take contacts from the next queue.
_TWO_QUEUE_SHARE = 0.25

_FIRST_NAMES = (
    "Ada", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas",
    "Kofi", "Lena", "Mateo", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sam", "Tariq",
    "Uma", "Victor", "Wen", "Yara", "Zoe",
)  # fmt: skip
_LAST_NAMES = (
    "Adeyemi", "Berg", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad",
    "Ivanova", "Jensen", "Kim", "Lopez", "Mensah", "Novak", "Okafor", "Patel", "Rossi",
    "Silva", "Tanaka", "Weber",
)  # fmt: skip


@dataclass(frozen=True)
class AgentSpec:
    """One synthetic agent: its id and name, its own queue and maybe a second one."""

    agent_id: str
    first_name: str
    last_name: str
    #: Index of its own queue (its shifts staff this one).
    queue: int
    #: Its place in that queue's pool (its parity picks the shifts at midnight).
    place: int
    #: Index of the second queue it also takes contacts from, if any.
    second_queue: int | None = None

    def queues(self) -> tuple[int, ...]:
        """The queues it takes contacts from, its own first."""
        return (self.queue,) if self.second_queue is None else (self.queue, self.second_queue)

    def slot(self, queue: int) -> int:
        """The most handle time (ms) ``queue`` may give it in one interval."""
        if self.second_queue is None:
            return SOLE_SLOT_MS if queue == self.queue else 0
        if queue == self.queue:
            return PRIMARY_SLOT_MS
        return SECONDARY_SLOT_MS if queue == self.second_queue else 0


def pool_size(spec: QueueSpec) -> int:
    """Agents in a queue's pool: three times its busiest interval's need, and 16 more.

    Measured over four seeds and 28 days of six queues, a day's shifts use at most
    half of it, and the shifts touching midnight (which take agents of one parity)
    at most about half of that half.
    """
    # The busiest interval: peak contacts (a busy Monday, +30%) at the mean handle time
    # (talk + about 40 s of hold and after-call work), half again for the variance.
    peak_ms = spec.peak * 1.3 * (spec.mean_talk_s + 40.0) * 1000.0 * 1.5
    return 3 * math.ceil(peak_ms / PRIMARY_SLOT_MS) + 16


def agent_pool(seed: int, queues: tuple[QueueSpec, ...]) -> tuple[AgentSpec, ...]:
    """Every agent of the account, queue by queue (the directory sorts them by id)."""
    agents = []
    for q, spec in enumerate(queues):
        for place in range(pool_size(spec)):
            draw = int(stable_hex(seed, "agent", spec.queue_id, place, length=8), 16)
            second = None
            if len(queues) > 1 and (draw % 1000) < _TWO_QUEUE_SHARE * 1000:
                second = (q + 1) % len(queues)
            agents.append(
                AgentSpec(
                    agent_id=uuidish("a", seed, spec.queue_id, place),
                    first_name=_FIRST_NAMES[(draw >> 10) % len(_FIRST_NAMES)],
                    last_name=_LAST_NAMES[(draw >> 16) % len(_LAST_NAMES)],
                    queue=q,
                    place=place,
                    second_queue=second,
                )
            )
    return tuple(agents)
