"""A local emulator of the Contact Volume API, for demos, notebooks and tests.

It never imports the client: it is a server, on 127.0.0.1 only.

Examples
--------
>>> from cvframe.emulator import Emulator
>>> with Emulator(days=1) as emu:
...     emu.base_url.startswith("http://127.0.0.1:")
True
"""

from __future__ import annotations

from ._data import QueueSpec
from ._server import Emulator, Fault, RequestRecord

__all__ = ["Emulator", "Fault", "QueueSpec", "RequestRecord"]
