"""The emulator's data and ids are fixed by its seed: cassettes, notebooks and README
numbers recorded from it stay true (these values were taken before the emulator's split)."""

from __future__ import annotations

import hashlib
import json

from cvframe.emulator import Emulator


def test_seed_0_serves_the_same_records_and_ids_as_ever() -> None:
    emu = Emulator(days=2)
    records = emu.records()
    digest = hashlib.sha256(json.dumps(records, sort_keys=True).encode()).hexdigest()
    assert len(records) == 569
    assert digest == "ab89be9d749264b660db478fdc303cc36cc452c01403f47dd01a23a3bcdb2e69"
    assert (emu.account_id, emu.org_id, emu.client_id, emu.instance_id) == (
        "60b8b8ef640069cc7b38808a",
        "o-47f12495-3ea1",
        "cs-89f8626a-emulator",
        "st-c3cd4e34-emulator",
    )
    first = records[0]
    assert (first["_id"], first["intervalStartTimeStamp"], first["queueName"]) == (
        "e98d523f0ad9d2157c36c414",
        "2023-01-02T00:00:00.000Z",
        "Sales",
    )
