"""agent_kpis: per-agent totals and KPIs from agent performance, as ratios of sums."""

from __future__ import annotations

import pandas as pd
import pytest

from cvframe._analytics import agent_kpis
from cvframe._analytics._agent_kpis import AGENT_AVERAGES
from cvframe._analytics._kpis import AVERAGES
from tests._analytics_helpers import BACKENDS, performance

MINUTE = pd.Timedelta(minutes=1)


def _perf(backend: str = "numpy_nullable") -> pd.DataFrame:
    """a1: two queues, two intervals; a2: one row with nothing completed."""
    return performance(
        [
            {
                "agent": "a1",
                "start": "09:00",
                "queue": "q1",
                "offered_contacts": 5,
                "answered_contacts": 4,
                "completed_contacts": 4,
                "transferred_contacts": 1,
                "handle": 8,  # 2 minutes each
                "talk": 6,
                "acw": 2,
                "csat_score": 5.0,
            },
            {
                "agent": "a1",
                "start": "09:15",
                "queue": "q2",
                "offered_contacts": 1,
                "answered_contacts": 1,
                "completed_contacts": 1,
                "handle": 12,  # one long contact
                "talk": 10,
                "hold": 1,
                "acw": 1,
                "csat_score": 2.0,
            },
            {
                "agent": "a2",
                "start": "09:00",
                "queue": "q1",
                "offered_contacts": 2,
                "answered_contacts": 0,
                "abandoned_contacts": 2,
            },
        ],
        backend=backend,
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_kpis_per_agent_are_ratios_of_sums(backend: str) -> None:
    out = agent_kpis(_perf(backend)).set_index("agent_id")
    a1 = out.loc["a1"]
    assert a1["completed_contacts"] == 5
    assert a1["conversation_handle_time"] == 20 * MINUTE
    # 20 minutes over 5 contacts: 4 minutes, not the mean of the rows' AHTs (7 minutes).
    assert a1["aht"] == 4 * MINUTE
    assert a1["avg_talk_time"] == pd.Timedelta(minutes=16 / 5)
    assert a1["transfer_rate"] == pytest.approx(1 / 5)
    assert a1["answer_rate"] == pytest.approx(5 / 6)
    assert a1["acw_share"] == pytest.approx(3 / 20)
    # CSAT weighted by completed contacts: (5 * 4 + 2 * 1) / 5.
    assert a1["csat_average"] == pytest.approx(22 / 5)
    assert str(out["aht"].dtype) == "timedelta64[ms]"
    assert str(out["transfer_rate"].dtype) == "Float64"
    assert str(out["completed_contacts"].dtype) == "Int64"


def test_nothing_completed_or_answered_gives_na_never_inf() -> None:
    a2 = agent_kpis(_perf()).set_index("agent_id").loc["a2"]
    assert a2["aht"] is pd.NaT
    assert a2["transfer_rate"] is pd.NA
    assert a2["acw_share"] is pd.NA
    assert a2["csat_average"] is pd.NA
    assert a2["answer_rate"] == 0


def test_a_missing_value_makes_its_groups_total_and_kpi_na() -> None:
    perf = _perf()
    perf.loc[1, "completed_contacts"] = pd.NA
    a1 = agent_kpis(perf).set_index("agent_id").loc["a1"]
    assert a1["completed_contacts"] is pd.NA
    assert a1["aht"] is pd.NaT
    # The score of a row with an unknown count does not weigh in.
    assert a1["csat_average"] == pytest.approx(5.0)


def test_the_averages_are_the_kpis_definitions() -> None:
    assert {k: AVERAGES[k] for k in AGENT_AVERAGES} == AGENT_AVERAGES
    assert set(AGENT_AVERAGES) == {"aht", "avg_talk_time", "avg_hold_time", "avg_acw_time"}


def test_by_queue_with_names_from_the_queue_directory() -> None:
    queues = pd.DataFrame(
        {"account_id": ["acc", "acc"], "queue_id": ["q1", "q3"], "description": ["Sales", "Care"]}
    ).astype("string")
    out = agent_kpis(_perf(), by="queue_id", queues=queues)
    assert list(out["queue_id"]) == ["q1", "q2"]
    assert list(out["queue_name"]) == ["Queue q1", "Queue q2"]
    assert out["queue_description"].tolist() == ["Sales", pd.NA]  # q2 is not listed
    assert list(out.columns[:3]) == ["queue_id", "queue_name", "queue_description"]
    q1 = out.iloc[0]
    assert q1["completed_contacts"] == 4
    assert q1["offered_contacts"] == 7


def test_by_agent_and_interval_and_all_together() -> None:
    perf = _perf()
    both = agent_kpis(perf, by=["agent_id", "interval_start"])
    assert len(both) == 3
    assert str(both["interval_start"].dtype) == "datetime64[ms, UTC]"
    everything = agent_kpis(perf, by=None)
    assert len(everything) == 1
    assert everything.loc[0, "completed_contacts"] == 5
    assert everything.loc[0, "aht"] == 4 * MINUTE


def test_queues_need_queue_id_in_by_and_one_row_per_queue() -> None:
    queues = pd.DataFrame({"queue_id": ["q1", "q1"], "description": ["a", "b"]}).astype("string")
    with pytest.raises(ValueError, match="add 'queue_id' to by"):
        agent_kpis(_perf(), queues=queues)
    with pytest.raises(ValueError, match=r"lists the queue\(s\) \['q1'\] more than once"):
        agent_kpis(_perf(), by="queue_id", queues=queues)
    with pytest.raises(ValueError, match=r"queues contract columns \['description'\]"):
        agent_kpis(_perf(), by="queue_id", queues=queues.drop(columns="description"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda df: df.drop(columns="transferred_contacts"), r"\['transferred_contacts'\]"),
        (lambda df: pd.concat([df, df.iloc[[0]]]), r"repeat a \(agent_id, interval_start"),
        (lambda df: df.assign(completed_contacts=-df["completed_contacts"]), "is negative"),
        (lambda df: df.assign(acw_duration=5), "acw_duration must hold durations"),
    ],
)
def test_bad_input_is_refused_naming_the_column(change: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        agent_kpis(change(_perf()))  # type: ignore[operator]


def test_by_naming_another_column_is_refused() -> None:
    with pytest.raises(ValueError, match="by must name distinct columns"):
        agent_kpis(_perf(), by="skill_id")
