"""Named service-level definitions: each bounds the truth of simulated queues, contact by contact.

The contacts come from ``tests/_queue_sim.py`` (an exact M/M/N+M queue: answered and
abandoned waits per contact), cut into quarter hours by arrival and aggregated as the
API does (counts, whole-millisecond total and longest wait of the answered and of the
abandoned contacts).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import cvframe
from cvframe import kpis
from cvframe._analytics._service_level import SL_DENOMINATORS
from cvframe._cli import main
from tests._analytics_helpers import QUARTER, frame, record
from tests._queue_sim import simulate_queue

THRESHOLD_MS = 20_000
LEVELS = ["service_level_low", "service_level", "service_level_high"]
PRESETS = ["genesys", "amazon_connect", "cisco_negative", "cisco_ignore_abandons", "cisco_positive"]

#: (load in Erlangs, agents, patience s): calm, busy and understaffed queues.
QUEUES = [(3.0, 5, 120.0), (10.0, 11, 60.0), (10.0, 9, 90.0), (30.0, 31, 45.0), (30.0, 27, 120.0)]
AHT_S = 240.0
QUARTERS = 96  # per queue: one day


@dataclass
class Simulated:
    """Quarter-hour records and, per record, the true counts within T."""

    records: pd.DataFrame
    offered: np.ndarray
    answered: np.ndarray
    abandoned: np.ndarray
    answered_within: np.ndarray
    abandoned_within: np.ndarray

    def truth(self, name: str) -> np.ndarray:
        """The definition's true value per record (NaN where its denominator is 0)."""
        o, a, b = self.offered, self.answered, self.abandoned
        aw, bw = self.answered_within, self.abandoned_within
        numerator, denominator = {
            "offered": (aw, o),
            "answered": (aw, a),
            "answered+abandoned": (aw, a + b),
            "genesys": (aw, a + b),
            "amazon_connect": (aw + bw, o),
            "cisco_negative": (aw, o),
            "cisco_ignore_abandons": (aw, o - bw),
            "cisco_positive": (aw + bw, o),
        }[name]
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(
                denominator > 0, numerator / np.where(denominator > 0, denominator, 1), np.nan
            )


@pytest.fixture(scope="module")
def simulated() -> Simulated:
    rows: list[dict[str, object]] = []
    truths: list[tuple[object, ...]] = []
    start = pd.Timestamp("2024-05-06", tz="UTC")
    for q, (load, agents, patience) in enumerate(QUEUES):
        rate = load / AHT_S
        warmup = 3_600.0
        n = int((QUARTERS * 900.0 + warmup) * rate * 1.1) + 50
        contacts = simulate_queue(
            arrival_rate=rate,
            aht=AHT_S,
            patience=patience,
            servers=agents,
            contacts=n,
            seed=140 + q,
        ).measured(warmup)
        quarter = ((contacts.arrival - warmup) // 900.0).astype(np.int64)
        wait_ms = np.rint(contacts.wait * 1000.0).astype(np.int64)
        for k in range(QUARTERS):
            here = quarter == k
            ans = wait_ms[here & contacts.answered]
            ab = wait_ms[here & ~contacts.answered]
            if len(ans) + len(ab) == 0:
                continue
            rows.append(
                record(
                    start + k * QUARTER,
                    queue=f"q{q}",
                    offered_contacts=len(ans) + len(ab),
                    answered_contacts=len(ans),
                    abandoned_contacts=len(ab),
                    queue_hold_time_answered=int(ans.sum()),
                    max_queue_hold_time_answered=int(ans.max()) if len(ans) else 0,
                    queue_hold_time_abandoned=int(ab.sum()),
                    max_queue_hold_time_abandoned=int(ab.max()) if len(ab) else 0,
                )
            )
            truths.append(
                (
                    f"q{q}",
                    start + k * QUARTER,
                    len(ans) + len(ab),
                    len(ans),
                    len(ab),
                    int((ans <= THRESHOLD_MS).sum()),
                    int((ab <= THRESHOLD_MS).sum()),
                )
            )
    df = frame(rows)
    # frame() orders the rows its own way: line the truths up by queue and interval.
    table = pd.DataFrame(truths, columns=["queue_id", "interval_start", "o", "a", "b", "aw", "bw"])
    keys = df[["queue_id", "interval_start"]].astype({"queue_id": str})
    keys["interval_start"] = keys["interval_start"].dt.tz_convert("UTC")
    table["interval_start"] = table["interval_start"].astype(keys["interval_start"].dtype)
    lined = keys.merge(table, on=["queue_id", "interval_start"], how="left", validate="1:1")
    assert lined["o"].notna().all()
    return Simulated(df, *(lined[c].to_numpy(dtype=np.int64) for c in ("o", "a", "b", "aw", "bw")))


def test_the_simulated_queues_abandon_and_wait(simulated: Simulated) -> None:
    # The data are worth testing on: abandons within and over T, waits over T.
    assert len(simulated.records) == len(QUEUES) * QUARTERS
    assert simulated.abandoned.sum() > 500
    assert 0 < simulated.abandoned_within.sum() < simulated.abandoned.sum()
    assert 0 < simulated.answered_within.sum() < simulated.answered.sum()


@pytest.mark.parametrize("name", list(SL_DENOMINATORS))
def test_every_definition_bounds_the_truth_and_equals_it_where_exact(
    simulated: Simulated, name: str
) -> None:
    out = kpis(simulated.records, sl_threshold="20s", sl_denominator=name)  # type: ignore[arg-type]
    truth = simulated.truth(name)
    low, estimate, high = (out[c].to_numpy(dtype=float, na_value=np.nan) for c in LEVELS)
    defined = ~np.isnan(truth)
    assert defined.sum() > 0.9 * len(truth)
    # Where the true denominator is 0 there is no number to give; NA elsewhere only
    # where the smallest possible denominator is 0 (few rows, asserted next).
    assert np.all(np.isnan(low[~defined]) & np.isnan(high[~defined]))
    assert np.array_equal(np.isnan(low), np.isnan(high))
    known = ~np.isnan(low)
    assert known.sum() >= 0.9 * defined.sum()
    eps = 1e-12
    assert np.all(low[known] <= truth[known] + eps), name
    assert np.all(truth[known] <= high[known] + eps), name
    assert np.all((low[known] <= estimate[known] + eps) & (estimate[known] <= high[known] + eps))
    exact = out["service_level_exact"].to_numpy(dtype=bool)
    assert 0 < exact.sum() < known.sum()  # both kinds of record occur
    np.testing.assert_allclose(low[exact], truth[exact], rtol=0, atol=eps)
    np.testing.assert_allclose(high[exact], truth[exact], rtol=0, atol=eps)


@pytest.mark.parametrize(
    ("preset", "same_as"), [("genesys", "answered+abandoned"), ("cisco_negative", "offered")]
)
def test_presets_equal_to_a_denominator_agree_exactly(
    simulated: Simulated, preset: str, same_as: str
) -> None:
    ours = kpis(simulated.records, sl_denominator=preset)  # type: ignore[arg-type]
    theirs = kpis(simulated.records, sl_denominator=same_as)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(ours, theirs)


def sl_row(**fields: Any) -> pd.DataFrame:
    return frame([record("2024-01-01T09:00:00Z", **fields)])


def test_the_ends_of_a_ratio_are_its_counts_ends() -> None:
    # Answered: A = 4, S = 150 s, M = 60 s: 0 to 2 within 20 s (test_kpis derives it).
    # Abandoned: B = 3, S = 50 s, M = 30 s: the longest missed; had only it, the other
    # two waited 20 s, each at most 20 s: 1 or 2 missed, so 1 or 2 within T. O = 7.
    row = sl_row(
        offered_contacts=7,
        answered_contacts=4,
        abandoned_contacts=3,
        queue_hold_time_answered=150_000,
        max_queue_hold_time_answered=60_000,
        queue_hold_time_abandoned=50_000,
        max_queue_hold_time_abandoned=30_000,
    )
    expected = {
        # AW / (O - BW): lowest at AW = 0, BW = 1; highest at AW = 2, BW = 2 (2/5, not
        # the 2/6 of taking BW's other end).
        "cisco_ignore_abandons": (0 / 6, 2 / 5),
        "cisco_positive": (1 / 7, 4 / 7),
        "amazon_connect": (1 / 7, 4 / 7),
        "cisco_negative": (0 / 7, 2 / 7),
        "genesys": (0 / 7, 2 / 7),
    }
    for name, (low, high) in expected.items():
        out = kpis(row, sl_denominator=name).iloc[0]  # type: ignore[arg-type]
        assert out["service_level_low"] == pytest.approx(low), name
        assert out["service_level_high"] == pytest.approx(high), name
        assert low <= out["service_level"] <= high
        assert not out["service_level_exact"]


def test_exact_only_when_both_counts_are() -> None:
    # Every answered wait under T (M = 10 s) and every abandoned one too: exact.
    fields = dict(
        offered_contacts=5,
        answered_contacts=3,
        abandoned_contacts=2,
        queue_hold_time_answered=12_000,
        max_queue_hold_time_answered=10_000,
        queue_hold_time_abandoned=9_000,
    )
    out = kpis(
        sl_row(**fields, max_queue_hold_time_abandoned=5_000),
        sl_denominator="cisco_ignore_abandons",
    )
    assert out.loc[0, "service_level_exact"]
    assert out.loc[0, "service_level"] == pytest.approx(3 / (5 - 2))
    # Three abandoned, 60 s in all, the longest 40 s: the other two waited 20 s
    # together, so one or both within T (BW = 1 or 2); AW = 3 is still exact, the
    # ratio is not: AW / (O - BW) from 3 / 5 to 3 / 4.
    fields.update(offered_contacts=6, abandoned_contacts=3, queue_hold_time_abandoned=60_000)
    out = kpis(
        sl_row(**fields, max_queue_hold_time_abandoned=40_000),
        sl_denominator="cisco_ignore_abandons",
    )
    assert not out.loc[0, "service_level_exact"]
    assert out.loc[0, "service_level_low"] == pytest.approx(3 / 5)
    assert out.loc[0, "service_level_high"] == pytest.approx(3 / 4)
    # The same row with "offered" needs no BW: exact, 3 / 6.
    offered = kpis(sl_row(**fields, max_queue_hold_time_abandoned=40_000))
    assert offered.loc[0, "service_level_exact"]
    assert offered.loc[0, "service_level"] == pytest.approx(0.5)


def test_an_unknown_name_is_refused_listing_every_accepted_one() -> None:
    row = sl_row(offered_contacts=1)
    with pytest.raises(ValueError, match="sl_denominator must be one of") as caught:
        kpis(row, sl_denominator="cisco")  # type: ignore[arg-type]
    for name in SL_DENOMINATORS:
        assert repr(name) in str(caught.value)
    assert "'cisco'" in str(caught.value)


def test_a_definition_that_needs_abandoned_waits_names_the_missing_column() -> None:
    row = sl_row(offered_contacts=2, answered_contacts=1, abandoned_contacts=1)
    with pytest.raises(ValueError, match="max_queue_hold_time_abandoned"):
        kpis(row.drop(columns=["max_queue_hold_time_abandoned"]), sl_denominator="cisco_positive")
    # "offered" does not read it.
    kpis(row.drop(columns=["max_queue_hold_time_abandoned"]), sl_denominator="offered")


def test_every_definition_states_its_formula_and_source() -> None:
    assert set(PRESETS) < set(SL_DENOMINATORS)
    for name, definition in SL_DENOMINATORS.items():
        assert definition.formula and definition.source, name
    # What the aggregates cannot give is said, not applied.
    assert "short-abandon" in SL_DENOMINATORS["genesys"].source
    assert "flow-outs" in SL_DENOMINATORS["genesys"].source
    for name in ("cisco_negative", "cisco_ignore_abandons", "cisco_positive"):
        assert "no count of short abandons" in SL_DENOMINATORS[name].source


def test_cli_export_takes_a_preset(simulated: Simulated, tmp_path: Path) -> None:
    snap = tmp_path / "snap"
    cvframe.write_snapshot(simulated.records, snap)
    out = tmp_path / "generic.csv"
    args = ["export", str(snap), str(out), "--target", "generic"]
    assert main([*args, "--sl-denominator", "cisco_ignore_abandons"]) == 0
    written = pd.read_csv(out)
    expected = cvframe.to_wfm(simulated.records, "generic", sl_denominator="cisco_ignore_abandons")
    assert len(written) == len(expected)
    np.testing.assert_allclose(
        written["service_level"].to_numpy(dtype=float),
        expected["service_level"].to_numpy(dtype=float, na_value=np.nan),
        rtol=1e-6,
    )
    plain = cvframe.to_wfm(simulated.records, "generic")
    assert not np.allclose(
        plain["service_level"].to_numpy(dtype=float, na_value=np.nan),
        expected["service_level"].to_numpy(dtype=float, na_value=np.nan),
        equal_nan=True,
    )


# ------------------------------------------- abandoned within T, carried through resampling

ABANDONED_COUNTS = [
    "abandoned_within_sl_low",
    "abandoned_within_sl_estimate",
    "abandoned_within_sl_high",
]
SL_COLUMNS = [
    "answered_within_sl_low",
    "answered_within_sl_estimate",
    "answered_within_sl_high",
    "sl_threshold",
]
WITH_BW = ["amazon_connect", "cisco_ignore_abandons", "cisco_positive"]


def daily_truth(simulated: Simulated, name: str) -> np.ndarray:
    """The definition's true daily value per queue (the records hold one UTC day each)."""
    queue = simulated.records["queue_id"].astype(str).to_numpy()
    order = sorted(set(queue))
    sums = {
        field: np.array([getattr(simulated, field)[queue == q].sum() for q in order])
        for field in ("offered", "answered", "abandoned", "answered_within", "abandoned_within")
    }
    day = Simulated(simulated.records.iloc[:0], *(sums[f] for f in sums))
    return day.truth(name)


@pytest.mark.parametrize("name", WITH_BW)
def test_carried_abandoned_counts_bound_the_daily_truth_tighter_than_the_days_totals(
    simulated: Simulated, name: str
) -> None:
    day = cvframe.resample_intervals(simulated.records, "D", sl_threshold="20s")
    assert day["queue_id"].astype(str).tolist() == sorted(set(day["queue_id"].astype(str)))
    assert set(ABANDONED_COUNTS) <= set(day.columns)
    new = kpis(day, sl_threshold="20s", sl_denominator=name)  # type: ignore[arg-type]
    # A frame of an older version carries only the answered counts: BW from its totals.
    old = kpis(day.drop(columns=ABANDONED_COUNTS), sl_denominator=name)  # type: ignore[arg-type]
    truth = daily_truth(simulated, name)
    low, estimate, high = (new[c].to_numpy(dtype=float) for c in LEVELS)
    old_low, old_high = (old[c].to_numpy(dtype=float) for c in ("service_level_low", LEVELS[2]))
    eps = 1e-12
    assert np.all((low <= truth + eps) & (truth <= high + eps)), name
    assert np.all((low <= estimate + eps) & (estimate <= high + eps))
    assert np.all((old_low <= low + eps) & (high <= old_high + eps)), name
    assert np.any(high - low < old_high - old_low - 1e-9), name


def test_abandoned_counts_are_summed_so_resampling_is_associative(simulated: Simulated) -> None:
    direct = cvframe.resample_intervals(simulated.records, "D", sl_threshold="20s")
    hourly = cvframe.resample_intervals(simulated.records, "1h", sl_threshold="20s")
    via_hours = cvframe.resample_intervals(hourly, "D")
    assert list(direct.columns[-7:]) == [
        "answered_within_sl_low",
        "answered_within_sl_estimate",
        "answered_within_sl_high",
        *ABANDONED_COUNTS,
        "sl_threshold",
    ]
    assert [str(direct[c].dtype) for c in ABANDONED_COUNTS] == ["Int64", "Float64", "Int64"]
    pd.testing.assert_frame_equal(via_hours, direct, check_exact=False, rtol=1e-12)
    for name in WITH_BW:
        pd.testing.assert_frame_equal(
            kpis(via_hours, sl_denominator=name),  # type: ignore[arg-type]
            kpis(direct, sl_denominator=name),  # type: ignore[arg-type]
            check_exact=False,
            rtol=1e-12,
        )
    # The day's counts are the sums of its quarter hours' bounds.
    quarters = cvframe.resample_intervals(simulated.records, "15min", sl_threshold="20s")
    assert int(direct["abandoned_within_sl_low"].sum()) == int(
        quarters["abandoned_within_sl_low"].sum()
    )
    assert int(direct["abandoned_within_sl_high"].sum()) == int(
        quarters["abandoned_within_sl_high"].sum()
    )
    bw = simulated.abandoned_within.sum()
    assert direct["abandoned_within_sl_low"].sum() <= bw <= direct["abandoned_within_sl_high"].sum()
    assert (direct["abandoned_within_sl_high"] <= direct["abandoned_contacts"]).all()


def test_a_frame_with_only_the_answered_counts_still_works(simulated: Simulated) -> None:
    # Written by an older version (a snapshot, or by hand): the answered counts and
    # the threshold, no abandoned counts. kpis takes BW from each row's own totals,
    # as before; resampling it works the abandoned counts out per row it has.
    hourly = cvframe.resample_intervals(simulated.records, "1h", sl_threshold="20s")
    old_hourly = hourly.drop(columns=ABANDONED_COUNTS)
    cvframe.IntervalSchema.validate(old_hourly)
    bare = hourly.drop(columns=[*ABANDONED_COUNTS, *SL_COLUMNS])
    # BW's bounds of the old frame are those of its rows' own abandoned totals: the
    # same as on the frame without any carried count (the AW part taken away).
    for name in ("amazon_connect", "cisco_positive"):
        with_old = kpis(old_hourly, sl_denominator=name)  # type: ignore[arg-type]
        offered_old = kpis(old_hourly)
        with_bare = kpis(bare, sl_denominator=name)  # type: ignore[arg-type]
        offered_bare = kpis(bare)
        offered = hourly["offered_contacts"].to_numpy(dtype=float)
        for column in ("service_level_low", "service_level_high"):
            bw_old = (with_old[column] - offered_old[column]).to_numpy(float) * offered
            bw_bare = (with_bare[column] - offered_bare[column]).to_numpy(float) * offered
            np.testing.assert_allclose(bw_old, bw_bare, rtol=0, atol=1e-9)
    # Resampled again, the old frame gains the abandoned counts of its own rows: they
    # bound the day's truth, no wider than the day's own totals.
    day = cvframe.resample_intervals(old_hourly, "D")
    assert set(ABANDONED_COUNTS) <= set(day.columns)
    bw = simulated.abandoned_within.sum()
    assert day["abandoned_within_sl_low"].sum() <= bw <= day["abandoned_within_sl_high"].sum()
    for name in WITH_BW:
        out = kpis(day, sl_denominator=name)  # type: ignore[arg-type]
        truth = daily_truth(simulated, name)
        assert np.all(out["service_level_low"].to_numpy(float) <= truth + 1e-12)
        assert np.all(truth <= out["service_level_high"].to_numpy(float) + 1e-12)


def test_abandoned_counts_go_together_with_the_answered_ones_and_in_order(
    simulated: Simulated,
) -> None:
    hourly = cvframe.resample_intervals(simulated.records.iloc[:40], "1h", sl_threshold="20s")
    with pytest.raises(ValueError, match="abandoned_within_sl_high"):
        cvframe.resample_intervals(hourly.drop(columns=["abandoned_within_sl_high"]), "D")
    with pytest.raises(ValueError, match="abandoned_within_sl_low"):
        kpis(hourly.drop(columns=["abandoned_within_sl_low"]), sl_denominator="cisco_positive")
    answered_only = ["answered_within_sl_low", "answered_within_sl_estimate"]
    with pytest.raises(ValueError, match="answered_within_sl_high"):
        cvframe.resample_intervals(
            hourly.drop(columns=[*answered_only, "answered_within_sl_high", "sl_threshold"]), "D"
        )
    bad = hourly.copy()
    bad.loc[bad.index[0], "abandoned_within_sl_high"] = int(bad["abandoned_contacts"].iloc[0]) + 1
    with pytest.raises(ValueError, match="abandoned_within_sl_high <= abandoned_contacts"):
        cvframe.resample_intervals(bad, "D")
    with pytest.raises(Exception, match="abandoned_within_sl_low <= _estimate <= _high"):
        cvframe.IntervalSchema.validate(bad)
    with pytest.raises(Exception, match="only with them"):
        cvframe.IntervalSchema.validate(hourly.drop(columns=["sl_threshold"]))


@pytest.mark.parametrize("name", ["amazon_connect", "cisco_positive", "cisco_ignore_abandons"])
def test_no_abandons_make_bw_exactly_zero_whatever_the_abandoned_totals(name: str) -> None:
    # Review finding 6: a record with 0 abandoned and no abandoned wait totals got NA
    # for every definition that uses BW, although BW is exactly 0 there.
    def rec(**extra: int) -> dict[str, object]:
        return {
            "_id": "r",
            "queueId": "q1",
            "intervalStartTimeStamp": "2024-01-01T09:00:00Z",
            "intervalEndTimeStamp": "2024-01-01T09:15:00Z",
            "offeredContacts": 10,
            "answeredContacts": 10,
            "abandonedContacts": 0,
            "queueHoldTimeAnswered": 100_000,
            "maxQueueHoldTimeAnswered": 30_000,
            **extra,
        }

    without = cvframe.kpis(cvframe.records_to_frame([rec()]), sl_denominator=name)
    timed = cvframe.kpis(
        cvframe.records_to_frame([rec(queueHoldTimeAbandoned=0, maxqueueHoldTimeAbandoned=0)]),
        sl_denominator=name,
    )
    columns = ["service_level_low", "service_level", "service_level_high", "service_level_exact"]
    assert timed[columns].notna().all(axis=None)
    pd.testing.assert_frame_equal(without[columns], timed[columns])
