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
