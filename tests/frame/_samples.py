"""The documented sample answers of the WFM Integration pages, as the frame tests use them.

The samples themselves are quoted once, in :mod:`tests._api_sample` (from Kore.ai's
docs-v2, ``ai-for-service/apis/contact-center/{agent-performance,agent-activity,
queues,agents,contact-volume}.mdx``), which the cassettes are built from too. Here
they are as printed: agent performance keeps the page's ``hasMore: true`` and
``totalCount: 42``; the queues and agents samples, not valid JSON there (an unquoted
``accountId`` key), are parsed with that key quoted and nothing else changed.
Variants the field tables imply (camelCase activity keys, a lower-case
``description``) are built from these in the tests.
"""

from __future__ import annotations

import json
from typing import Any

from tests._api_sample import (
    ACTIVITY_SAMPLE_RESPONSE,
    AGENTS_SAMPLE_TEXT,
    PERFORMANCE_SAMPLE_RESPONSE,
    QUEUES_SAMPLE_TEXT,
    SKILL_SAMPLE_RESPONSE,
    quoted,
)

AGENT_PERFORMANCE_RESPONSE: dict[str, Any] = {
    **PERFORMANCE_SAMPLE_RESPONSE,
    "hasMore": True,
    "totalCount": 42,
}
AGENT_ACTIVITY_RESPONSE: dict[str, Any] = ACTIVITY_SAMPLE_RESPONSE
QUEUES_RESPONSE: list[dict[str, Any]] = json.loads(quoted(QUEUES_SAMPLE_TEXT))
AGENTS_RESPONSE: list[dict[str, Any]] = json.loads(quoted(AGENTS_SAMPLE_TEXT))
SKILL_BREAKDOWN_RESPONSE: dict[str, Any] = SKILL_SAMPLE_RESPONSE
