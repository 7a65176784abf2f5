"""The API page's own sample request, record and response (made valid JSON).

One copy, shared by the schema tests and the script that writes the sample cassette.
"""

from __future__ import annotations

from typing import Any

SAMPLE_RECORD: dict[str, Any] = {
    "_id": "647868bfc0cf4c7b7671xxxx",
    "intervalStartTimeStamp": "2023-06-01T09:45:00.000Z",
    "orgId": "o-8aa0607b-1d81-504a-9eb2-5a39f133xxxx",
    "queueId": "qu-6c47543-19ca-49ac-a085-2292bba5xxxx",
    "source": "rtm",
    "__v": 0,
    "intervalEndTimeStamp": "2023-06-01T10:00:00.000Z",
    "offeredContacts": 1,
    "answeredContacts": 1,
    "maxQueueHoldTimeAnswered": 34035,
    "queueHoldTimeAnswered": 34035,
    "acwDuration": 3949,
    "completedContacts": 1,
    "conversationHandleTime": 68043,
    "conversationTalkTime": 64094,
    "holdDuration": 0,
    "messageCount": 0,
    "savedMessageCount": 0,
    "csatResponses": 1,
    "csatScore": 1,
    "abandonedContacts": 1,
    "maxqueueHoldTimeAbandoned": 180150,
    "queueHoldTimeAbandoned": 180150,
    "iId": "st-b6ff0557-e54b-5ac1-946f-2b003d9exxxx",
    "queueName": "custom day",
}

SAMPLE_REQUEST: dict[str, Any] = {
    "orgId": "o-01aedac2-26fb-5bdb-bb0f-f71292caxxxx",
    "fromTimeStamp": "2023-01-07T09:45:00Z",
    "toTimeStamp": "2023-01-08T10:00:00Z",
    "skip": 0,
    "limit": 2,
}
SAMPLE_RESPONSE: dict[str, Any] = {
    "hasMore": False,
    "CallVolumeUpdate": [SAMPLE_RECORD],
    "totalCount": 1,
}
SAMPLE_URL = (
    "https://platform.kore.ai/agentassist/api/public/analytics/account/"
    "636f5b36bcf8a8c7101exxxx/callvolume"
)

# --- the samples of the other pages of the WFM scope (docs-v2, contact-center/) ----------

#: The account of every sample request.
SAMPLE_ACCOUNT = "636f5b36bcf8a8c7101exxxx"
SAMPLE_BASE = f"https://platform.kore.ai/agentassist/api/public/analytics/account/{SAMPLE_ACCOUNT}"

#: queues.mdx's sample response, exactly as printed: its ``accountId`` key is unquoted,
#: so it is not JSON (and it spells ``Description`` with a capital D).
QUEUES_SAMPLE_TEXT = """ [
\t{
\t\taccountId: "63fb9a0f90425b644d3exxxx",
\t\t"collectionPointId":"qu-59bb17e-0cae-46b0-8d80-a8a8ac34xxxx",
\t\t"Description": "Default Queue"
\t}
]"""
#: agents.mdx's sample response, exactly as printed (the same unquoted key).
AGENTS_SAMPLE_TEXT = """[
\t{
\t\taccountId: "63fb9a0f90425b644d3exxxx",
\t\t"agentId":"a-59bb17e-0cae-46b0-8d80-a8a8ac34xxxx",
\t\t"firstName": "Tony",
\t\t"lastName": "Stark"
\t}
]"""


def quoted(text: str) -> str:
    """A directory sample made JSON: its one unquoted key quoted, nothing else changed."""
    return text.replace("accountId:", '"accountId":')


#: agents.mdx's sample request: ``?offset=0&limit=5``.
AGENTS_SAMPLE_LIMIT = 5

#: agent-activity.mdx's sample response (valid JSON: PascalCase keys, a zone-less time
#: with an unpadded hour).
ACTIVITY_SAMPLE_RESPONSE: dict[str, Any] = {
    "accountId": "63fb9a0f90425b644d3exxxx",
    "AgentUpdates": [
        {
            "AgentId": "a-59bb17e-0cae-46b0-8d80-a8a8ac34xxxx",
            "EventTime": "10/20/2020 2:13:12",
            "Activity": "notready",
            "ReasonCode": "1",
        }
    ],
}
#: The page's sample request asks for 2023-04-02T09:45Z to 2023-04-06T10:00Z, which
#: does not hold its sample event; the cassette asks for the event's day instead.
ACTIVITY_SAMPLE_WINDOW = ("2020-10-20T00:00:00Z", "2020-10-21T00:00:00Z")

#: agent-performance.mdx's sample request.
PERFORMANCE_SAMPLE_REQUEST: dict[str, Any] = {
    "fromTimeStamp": "2023-01-07T09:45:00Z",
    "toTimeStamp": "2023-01-08T10:00:00Z",
    "skip": 0,
    "limit": 10,
}


def _performance_queue(number: int, name: str, counts: tuple[int, ...]) -> dict[str, Any]:
    offered, answered, abandoned, completed, transferred, handle, talk, acw, hold, csat = counts
    return {
        "queueId": f"qu-xxxx-{number}",
        "queueName": name,
        "offeredContacts": offered,
        "answeredContacts": answered,
        "abandonedContacts": abandoned,
        "completedContacts": completed,
        "transferredContacts": transferred,
        "conversationHandleTime": handle,
        "conversationTalkTime": talk,
        "acwDuration": acw,
        "holdDuration": hold,
        "csatScore": csat,
    }


#: agent-performance.mdx's sample response; only ``hasMore`` (true) and ``totalCount``
#: (42) are changed, to false and 1, since the sample shows one agent of 42.
PERFORMANCE_SAMPLE_RESPONSE: dict[str, Any] = {
    "hasMore": False,
    "totalCount": 1,
    "AgentPerformance": [
        {
            "agentId": "a-xxxx-1",
            "intervals": [
                {
                    "intervalStartTimeStamp": "2023-01-07T09:45:00.000Z",
                    "intervalEndTimeStamp": "2023-01-07T10:00:00.000Z",
                    "queues": [
                        _performance_queue(
                            1,
                            "General Information",
                            (3, 3, 0, 2, 1, 95000, 82000, 9000, 4000, 4),
                        ),
                        _performance_queue(
                            2, "Billing Support", (1, 1, 0, 1, 0, 30000, 27000, 3000, 0, 5)
                        ),
                    ],
                }
            ],
        }
    ],
}

#: contact-volume.mdx's sample request with the skill breakdown asked for.
SKILL_SAMPLE_REQUEST: dict[str, Any] = {**SAMPLE_REQUEST, "includeSkillBreakdown": True}
#: contact-volume.mdx's sample response with ``skillBreakdown`` (as printed).
SKILL_SAMPLE_RESPONSE: dict[str, Any] = {
    "hasMore": False,
    "CallVolumeUpdate": [
        {
            "_id": "647868bfc0cf4c7b7671xxxx",
            "intervalStartTimeStamp": "2023-06-01T09:45:00.000Z",
            "intervalEndTimeStamp": "2023-06-01T10:00:00.000Z",
            "queueId": "qu-xxxx",
            "queueName": "General Information",
            "offeredContacts": 10,
            "answeredContacts": 8,
            "abandonedContacts": 2,
            "skillBreakdown": [
                {
                    "skillId": "sk-xxxx-1",
                    "skillName": "Italian Market",
                    "skillGroupId": "sg-xxxx",
                    "skillGroupName": "Languages",
                    "offeredContacts": 6,
                    "answeredContacts": 5,
                    "abandonedContacts": 1,
                    "completedContacts": 5,
                    "conversationHandleTime": 190000,
                    "conversationTalkTime": 170000,
                    "acwDuration": 11000,
                    "holdDuration": 2000,
                    "queueHoldTimeAnswered": 30000,
                    "maxQueueHoldTimeAnswered": 8000,
                    "queueHoldTimeAbandoned": 15000,
                    "maxqueueHoldTimeAbandoned": 15000,
                    "csatResponses": 3,
                    "csatScore": 4,
                }
            ],
        }
    ],
    "totalCount": 1,
}
