"""Re-record the cassettes in cassettes/ (``make cassettes``).

- ``emulator_two_days.yaml``: a paged read of two days of the emulator, recorded
  over loopback (the ``auth`` header is filtered out before writing).
- ``api_page_sample.yaml``: the API page's own sample request and response,
  transcribed from the documentation (made valid JSON), not recorded.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import cvframe
from cvframe.emulator import Emulator
from tests._api_sample import SAMPLE_REQUEST, SAMPLE_RESPONSE, SAMPLE_URL
from tests._cassettes import CASSETTES, make_vcr

#: The window and page size of the recorded read; tests/test_cassettes.py uses the same.
EMULATOR_WINDOW = ("2023-01-02T00:00:00Z", "2023-01-04T00:00:00Z")
EMULATOR_PAGE_SIZE = 250


def write_sample() -> Path:
    path = CASSETTES / "api_page_sample.yaml"
    cassette = {
        "interactions": [
            {
                "request": {
                    "body": json.dumps(SAMPLE_REQUEST),
                    "headers": {"Content-Type": ["application/json"]},
                    "method": "POST",
                    "uri": SAMPLE_URL,
                },
                "response": {
                    "body": {"string": json.dumps(SAMPLE_RESPONSE, indent=2)},
                    "headers": {"Content-Type": ["application/json"]},
                    "status": {"code": 200, "message": "OK"},
                },
            }
        ],
        "version": 1,
    }
    header = "# The API page's sample request and response, transcribed (see record_cassettes.py)\n"
    path.write_text(header + yaml.safe_dump(cassette, sort_keys=False))
    return path


def record_emulator() -> Path:
    name = "emulator_two_days.yaml"
    (CASSETTES / name).unlink(missing_ok=True)
    with (
        Emulator(days=3, queues=2) as emu,
        make_vcr("all", base_url=emu.base_url).use_cassette(name),
    ):
        cvframe.read_callvolume(
            *EMULATOR_WINDOW, page_size=EMULATOR_PAGE_SIZE, progress=False, **emu.settings()
        )
    return CASSETTES / name


if __name__ == "__main__":
    CASSETTES.mkdir(exist_ok=True)
    for written in (write_sample(), record_emulator()):
        print(f"wrote {written}")
