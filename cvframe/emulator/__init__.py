"""A local emulator of the WFM Integration API, for demos, notebooks and tests.

It serves every endpoint declared in ``cvframe._endpoints`` (call volume and its skill
breakdown, agent performance, agent activity, queues, agents), consistent with each
other. It never imports the client: it is a server, on 127.0.0.1 only. Its modules,
one job each: ``_data`` makes the synthetic records, ``_records`` holds what the
account serves, ``_agents`` the agent pool, ``_workforce`` the shifts, agent
performance and activity that follow from the records (its docstring states the
rules), ``_skills`` the skill breakdown, ``_split`` the exact integer splits they
use, ``_faults`` and ``_rate_limit`` the scripted misbehaviour and the 429s,
``_endpoint`` answers a request (no sockets), ``_server`` is the sockets,
``_emulator`` the :class:`Emulator` that ties them together.

An :class:`Emulator` starts with a fixed history (``days`` from ``start``);
:meth:`Emulator.advance` lets time pass, serving later days too, so a scheduled job
(an incremental :func:`cvframe.sync`) can be shown or tested run after run.

Examples
--------
>>> from cvframe.emulator import Emulator
>>> with Emulator(days=1) as emu:
...     emu.base_url.startswith("http://127.0.0.1:")
True
"""

from __future__ import annotations

from ._data import QueueSpec
from ._emulator import Emulator
from ._endpoint import RequestRecord
from ._faults import Fault

__all__ = ["Emulator", "Fault", "QueueSpec", "RequestRecord"]
