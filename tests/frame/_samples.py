"""The documented sample answers of the WFM Integration pages, quoted as data.

From Kore.ai's docs-v2, ``ai-for-service/apis/contact-center/{agent-performance,
agent-activity,queues,agents,contact-volume}.mdx``. The queues and agents samples
are not valid JSON there (an unquoted ``accountId`` key); here the key is quoted and
nothing else changed. Variants the field tables imply (camelCase activity keys, a
lower-case ``description``) are built from these in the tests.
"""

from __future__ import annotations

from typing import Any

AGENT_PERFORMANCE_RESPONSE: dict[str, Any] = {
    "hasMore": True,
    "totalCount": 42,
    "AgentPerformance": [
        {
            "agentId": "a-xxxx-1",
            "intervals": [
                {
                    "intervalStartTimeStamp": "2023-01-07T09:45:00.000Z",
                    "intervalEndTimeStamp": "2023-01-07T10:00:00.000Z",
                    "queues": [
                        {
                            "queueId": "qu-xxxx-1",
                            "queueName": "General Information",
                            "offeredContacts": 3,
                            "answeredContacts": 3,
                            "abandonedContacts": 0,
                            "completedContacts": 2,
                            "transferredContacts": 1,
                            "conversationHandleTime": 95000,
                            "conversationTalkTime": 82000,
                            "acwDuration": 9000,
                            "holdDuration": 4000,
                            "csatScore": 4,
                        },
                        {
                            "queueId": "qu-xxxx-2",
                            "queueName": "Billing Support",
                            "offeredContacts": 1,
                            "answeredContacts": 1,
                            "abandonedContacts": 0,
                            "completedContacts": 1,
                            "transferredContacts": 0,
                            "conversationHandleTime": 30000,
                            "conversationTalkTime": 27000,
                            "acwDuration": 3000,
                            "holdDuration": 0,
                            "csatScore": 5,
                        },
                    ],
                }
            ],
        }
    ],
}

AGENT_ACTIVITY_RESPONSE: dict[str, Any] = {
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

QUEUES_RESPONSE: list[dict[str, Any]] = [
    {
        "accountId": "63fb9a0f90425b644d3exxxx",
        "collectionPointId": "qu-59bb17e-0cae-46b0-8d80-a8a8ac34xxxx",
        "Description": "Default Queue",
    }
]

AGENTS_RESPONSE: list[dict[str, Any]] = [
    {
        "accountId": "63fb9a0f90425b644d3exxxx",
        "agentId": "a-59bb17e-0cae-46b0-8d80-a8a8ac34xxxx",
        "firstName": "Tony",
        "lastName": "Stark",
    }
]

#: contact-volume.mdx's sample with ``includeSkillBreakdown: true``.
SKILL_BREAKDOWN_RESPONSE: dict[str, Any] = {
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
