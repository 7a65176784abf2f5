"""The vcrpy setup shared by the cassette tests and the script that records them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import vcr

CASSETTES = Path(__file__).resolve().parent.parent / "cassettes"
#: The host recorded cassettes name, whatever port the emulator had while recording.
CANONICAL_BASE = "http://127.0.0.1:8765"
#: Response headers that change on every recording and mean nothing to a replay.
VOLATILE_HEADERS = ("Date", "Server")


def _drop_volatile(response: dict[str, Any]) -> dict[str, Any]:
    for name in VOLATILE_HEADERS:
        response["headers"].pop(name, None)
    return response


def make_vcr(record_mode: str = "none", base_url: str | None = None) -> vcr.VCR:
    """Replay only (``none``) in tests; the ``auth`` header never reaches a cassette."""

    def canonical(request: Any) -> Any:
        if base_url:
            request.uri = request.uri.replace(base_url, CANONICAL_BASE)
        return request

    return vcr.VCR(
        cassette_library_dir=str(CASSETTES),
        record_mode=record_mode,
        # Host and port differ between recording and replay; what was asked must not
        # (a GET asks in its query: offset and limit, the activity window).
        match_on=["method", "path", "query", "body"],
        filter_headers=["auth", "iId"],
        before_record_request=canonical,
        before_record_response=_drop_volatile,
    )
