"""What a user's own code sees of an installed cvframe wheel (run by `make package`).

mypy checks this file against the wheel installed in a fresh venv: an ``import-not-found``
or a missing ``py.typed`` fails it. Run, it reads a day from the emulator.
"""

from __future__ import annotations

import cvframe
from cvframe.emulator import Emulator


def first_queue(frame_rows: int, version: str) -> str:
    return f"{frame_rows} rows from cvframe {version}"


with Emulator(days=1) as emu:
    df = cvframe.read_callvolume("2023-01-02", "2023-01-03", **emu.settings())
print(first_queue(len(df), cvframe.__version__))
