"""Re-record the cassettes in cassettes/ (``make cassettes``).

- ``emulator_two_days.yaml``: a paged read of two days of the emulator, recorded
  over loopback (the ``auth`` header is filtered out before writing).
- ``api_page_sample.yaml``: the API page's own sample request and response,
  transcribed from the documentation (made valid JSON), not recorded.
- ``queues_sample.yaml``, ``agents_sample.yaml``, ``agent_activity_sample.yaml``,
  ``agent_performance_sample.yaml``, ``skill_volume_sample.yaml``: the other pages'
  samples, transcribed the same way (tests/_api_sample.py says what each changes:
  the directories' unquoted key quoted, agent performance's ``hasMore``/``totalCount``
  made those of one agent, the activity request's window moved to its event's day).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import cvframe
from cvframe.emulator import Emulator
from tests._api_sample import (
    ACTIVITY_SAMPLE_RESPONSE,
    ACTIVITY_SAMPLE_WINDOW,
    AGENTS_SAMPLE_LIMIT,
    AGENTS_SAMPLE_TEXT,
    PERFORMANCE_SAMPLE_REQUEST,
    PERFORMANCE_SAMPLE_RESPONSE,
    QUEUES_SAMPLE_TEXT,
    SAMPLE_BASE,
    SAMPLE_REQUEST,
    SAMPLE_RESPONSE,
    SAMPLE_URL,
    SKILL_SAMPLE_REQUEST,
    SKILL_SAMPLE_RESPONSE,
    quoted,
)
from tests._cassettes import CASSETTES, make_vcr

#: The window and page size of the recorded read; tests/test_cassettes.py uses the same.
EMULATOR_WINDOW = ("2023-01-02T00:00:00Z", "2023-01-04T00:00:00Z")
EMULATOR_PAGE_SIZE = 250


#: One transcribed exchange: method, URI, JSON request body (or None), response body.
Exchange = tuple[str, str, "dict[str, Any] | None", str]


def _interaction(method: str, uri: str, body: dict[str, Any] | None, response: str) -> dict:
    return {
        "request": {
            "body": None if body is None else json.dumps(body),
            "headers": {} if body is None else {"Content-Type": ["application/json"]},
            "method": method,
            "uri": uri,
        },
        "response": {
            "body": {"string": response},
            "headers": {"Content-Type": ["application/json"]},
            "status": {"code": 200, "message": "OK"},
        },
    }


def _write_transcribed(
    name: str,
    method: str,
    uri: str,
    request_body: dict[str, Any] | None,
    response: str,
    *,
    then: tuple[Exchange, ...] = (),
) -> Path:
    """Write transcribed exchanges (not recorded: no header but the content type).

    ``then`` are the exchanges that follow the first, in order.
    """
    path = CASSETTES / name
    exchanges = [(method, uri, request_body, response), *then]
    cassette = {"interactions": [_interaction(*e) for e in exchanges], "version": 1}
    header = "# The API page's sample request and response, transcribed (see record_cassettes.py)\n"
    path.write_text(header + yaml.safe_dump(cassette, sort_keys=False))
    return path


def write_sample() -> Path:
    return _write_transcribed(
        "api_page_sample.yaml",
        "POST",
        SAMPLE_URL,
        SAMPLE_REQUEST,
        json.dumps(SAMPLE_RESPONSE, indent=2),
    )


def write_other_samples() -> list[Path]:
    """The samples of queues, agents, agent activity, agent performance, the skill breakdown."""
    start, end = ACTIVITY_SAMPLE_WINDOW
    window = urlencode({"fromTimeStamp": start, "toTimeStamp": end}, quote_via=quote)
    return [
        _write_transcribed(
            "queues_sample.yaml", "GET", f"{SAMPLE_BASE}/queues", None, quoted(QUEUES_SAMPLE_TEXT)
        ),
        _write_transcribed(
            "agents_sample.yaml",
            "GET",
            f"{SAMPLE_BASE}/agents?offset=0&limit={AGENTS_SAMPLE_LIMIT}",
            None,
            quoted(AGENTS_SAMPLE_TEXT),
            # A short page may be a server's cap: the read asks once more from what it
            # has, and an empty page ends it (see cvframe/_api/_listing.py).
            then=(
                ("GET", f"{SAMPLE_BASE}/agents?offset=1&limit={AGENTS_SAMPLE_LIMIT}", None, "[]"),
            ),
        ),
        _write_transcribed(
            "agent_activity_sample.yaml",
            "GET",
            f"{SAMPLE_BASE}/agentactivity?{window}",
            None,
            json.dumps(ACTIVITY_SAMPLE_RESPONSE, indent=2),
        ),
        _write_transcribed(
            "agent_performance_sample.yaml",
            "POST",
            f"{SAMPLE_BASE}/agentperformance",
            PERFORMANCE_SAMPLE_REQUEST,
            json.dumps(PERFORMANCE_SAMPLE_RESPONSE, indent=2),
        ),
        _write_transcribed(
            "skill_volume_sample.yaml",
            "POST",
            f"{SAMPLE_BASE}/callvolume",
            SKILL_SAMPLE_REQUEST,
            json.dumps(SKILL_SAMPLE_RESPONSE, indent=2),
        ),
    ]


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
    for written in (write_sample(), *write_other_samples(), record_emulator()):
        print(f"wrote {written}")
