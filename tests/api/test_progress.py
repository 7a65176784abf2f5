"""progress=True as a user sees it: in a log (pipe, file, CI) and in a terminal.

Each case runs a read in a fresh interpreter, as a script would, against the emulator
on 127.0.0.1, then prints; the test reads what landed on stderr.
"""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
import textwrap

import pytest

#: A read with progress=True (three pages of call volume, so the bar moves), then the
#: script's next line on the same stream.
_SCRIPT = textwrap.dedent(
    """
    import sys

    import cvframe
    from cvframe.emulator import Emulator

    with Emulator(days=1, queues=2) as emu:
        df = cvframe.read_callvolume(
            "2023-01-02", "2023-01-03", progress=True, page_size=80, **emu.settings()
        )
    print(f"NEXT: {len(df)} records", file=sys.stderr, flush=True)
    """
)
_TIMEOUT = 60


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CVFRAME_")}
    env.pop("COLUMNS", None)
    return env


def test_progress_in_a_log_leaves_whole_lines_and_the_next_print_on_its_own() -> None:
    run = subprocess.run(
        [sys.executable, "-c", _SCRIPT],
        stdin=subprocess.DEVNULL,
        capture_output=True,  # bytes: text mode would turn each \r into \n
        timeout=_TIMEOUT,
        env=_env(),
        check=False,
    )
    err = run.stderr.decode()
    assert run.returncode == 0, err
    # No carriage return: a log shows every character, so a bar redrawn in place (or
    # wiped with spaces) would leave its fragments on the line the next print joins.
    assert "\r" not in err, repr(err)
    assert err.endswith("\n")
    lines = err.splitlines()
    assert lines[-1].startswith("NEXT: "), repr(err)
    records = int(lines[-1].split()[1])
    bars = lines[:-1]
    assert bars, "progress=True showed nothing"
    # Every other line is one whole bar line, and the last one says the read finished.
    for line in bars:
        assert line.startswith("cvframe: "), repr(line)
        assert line.count("|") == 2 and "record" in line, repr(line)
        assert line == line.rstrip(), repr(line)
    assert f" {records}/{records} " in bars[-1], repr(bars[-1])
    assert bars[-1].startswith("cvframe: 100%"), repr(bars[-1])


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_progress_in_a_terminal_is_redrawn_in_place_and_wiped() -> None:
    primary, secondary = pty.openpty()
    # A terminal of 24 x 100 (a new pseudo-terminal has no size, and tqdm draws
    # nothing into zero columns).
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    try:
        proc = subprocess.Popen(
            [sys.executable, "-c", _SCRIPT],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=secondary,
            env=_env(),
        )
        os.close(secondary)
        chunks: list[bytes] = []
        while True:  # bounded: the child exits (or the read below fails) within the timeout
            try:
                chunk = os.read(primary, 4096)
            except OSError:  # EIO: the child closed its end
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert proc.wait(timeout=_TIMEOUT) == 0
    finally:
        os.close(primary)
    out = b"".join(chunks).decode()
    # A terminal keeps tqdm's bar drawn in place; leave=False wipes it, so the next
    # print starts at the beginning of a clean line.
    assert "\rcvframe: " in out, repr(out)
    before, _, after = out.rpartition("NEXT: ")
    assert after.split()[1] == "records", repr(out)
    wiped = before.rsplit("\r", 2)
    assert len(wiped) == 3 and wiped[1].strip() == "" and wiped[2] == "", repr(before[-200:])
