"""Every analytics and export function x every kind of bad input: a right number or an error.

The table below feeds each public analytics and export function (and its Dask
version) each kind of input that once gave a wrong number without a word, and
requires, for every pair, either the correct number (asserted) or a ``ValueError``
(or ``CvframeError``) whose message names the column: never a silent wrong number,
never a raw ``TypeError`` or ``KeyError``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import cvframe
from cvframe._analytics import _checks
from cvframe._cli._main import main
from tests.frame.test_bad_input import SETTINGS

QUARTER = pd.Timedelta(minutes=15)


def _record(start: str, offered: int, answered: int, ident: str) -> dict[str, Any]:
    begin = pd.Timestamp(start, tz="UTC")
    return {
        "_id": ident,
        "queueId": "q1",
        "queueName": "Billing",
        "__v": 0,
        "intervalStartTimeStamp": begin.isoformat(),
        "intervalEndTimeStamp": (begin + QUARTER).isoformat(),
        "offeredContacts": offered,
        "answeredContacts": answered,
        "abandonedContacts": offered - answered,
        "completedContacts": answered,
        "messageCount": 0,
        "savedMessageCount": 0,
        "csatResponses": 4,
        "csatScore": 18,
        "queueHoldTimeAnswered": 10_000 * answered,
        "maxQueueHoldTimeAnswered": 15_000,
        "queueHoldTimeAbandoned": 30_000,
        "maxqueueHoldTimeAbandoned": 30_000,
        "conversationHandleTime": 180_000 * answered,
        "conversationTalkTime": 150_000 * answered,
        "holdDuration": 10_000 * answered,
        "acwDuration": 20_000 * answered,
    }


def base() -> pd.DataFrame:
    """Two quarter hours of one queue, 10 offered each: 20 in the half hour."""
    return cvframe.validate(
        cvframe.records_to_frame(
            [
                _record("2024-01-01T09:00:00Z", 10, 8, "a"),
                _record("2024-01-01T09:15:00Z", 10, 9, "b"),
            ]
        )
    )


# --------------------------------------------------------------------------- bad inputs


def _set(df: pd.DataFrame, column: str, values: list[Any], dtype: Any) -> pd.DataFrame:
    out = df.copy()
    out[column] = pd.Series(values, dtype=dtype, index=out.index)
    return out


def duplicate_id(df: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([df, df.iloc[[0]]], ignore_index=True)


def negative(df: pd.DataFrame) -> pd.DataFrame:
    return _set(df, "offered_contacts", [-3, 10], "Int64")


def fractional(df: pd.DataFrame) -> pd.DataFrame:
    return _set(df, "offered_contacts", [2.5, 10.0], "float64")


def na(df: pd.DataFrame) -> pd.DataFrame:
    return _set(df, "offered_contacts", [pd.NA, 10], "Int64")


def nan_numpy(df: pd.DataFrame) -> pd.DataFrame:
    # In a numpy float64 column NaN is pandas' missing value: read as NA.
    return _set(df, "offered_contacts", [np.nan, 10.0], "float64")


def nan_nullable(df: pd.DataFrame) -> pd.DataFrame:
    # A nullable Float64 can hold NaN apart from NA (pandas 2.2 makes one of 0/0): not a
    # number, refused.
    out = df.copy()
    values = np.array([np.nan, 18.0])
    out["csat_score"] = pd.Series(
        pd.arrays.FloatingArray(values, np.zeros(2, dtype=bool)), index=out.index
    )
    assert not out["csat_score"].isna().iloc[0]
    return out


def infinite(df: pd.DataFrame) -> pd.DataFrame:
    return _set(df, "offered_contacts", [np.inf, 10.0], "float64")


def end_not_after_start(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    first = out.index == out.index[0]
    out["interval_end"] = out["interval_end"].mask(first, out["interval_start"])
    return out


def tz_naive(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for name in ("interval_start", "interval_end"):
        out[name] = out[name].dt.tz_localize(None)
    return out


def object_dtype(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out["offered_contacts"] = out["offered_contacts"].astype(object)
    return out


def missing_column(df: pd.DataFrame) -> pd.DataFrame:
    return df.drop(columns=["offered_contacts"])


#: Bad input kind -> (frame change, extra keyword arguments).
KINDS: dict[str, tuple[Callable[[pd.DataFrame], pd.DataFrame], dict[str, Any]]] = {
    "duplicate id": (duplicate_id, {}),
    "negative": (negative, {}),
    "fractional": (fractional, {}),
    "NA": (na, {}),
    "NaN (numpy float64)": (nan_numpy, {}),
    "NaN (nullable Float64)": (nan_nullable, {}),
    "inf": (infinite, {}),
    "end <= start": (end_not_after_start, {}),
    "tz-naive": (tz_naive, {}),
    "object dtype": (object_dtype, {}),
    "missing column": (missing_column, {}),
    "unitless duration": (lambda df: df, {"sl_threshold": "20"}),
}

#: The column (or argument) each kind's error must name.
NAMES = {
    "duplicate id": "id",
    "negative": "offered_contacts",
    "fractional": "offered_contacts",
    "NA": "offered_contacts",
    "NaN (numpy float64)": "offered_contacts",
    "NaN (nullable Float64)": "csat_score",
    "inf": "offered_contacts",
    "end <= start": "interval_end",
    "tz-naive": "interval_start",
    "object dtype": "offered_contacts",
    "missing column": "offered_contacts",
    "unitless duration": "sl_threshold",
}


# --------------------------------------------------------------------------- functions


def _required(offered: int) -> int:
    return int(cvframe.required_agents(offered, "3min", "15min", sl_target=0.8))


def _na_list(values: Any) -> list[Any]:
    return [None if pd.isna(v) else v for v in list(values)]


def _dask(df: pd.DataFrame) -> Any:
    import dask.dataframe as dd

    return dd.from_pandas(df, npartitions=1)


def _dask_resample(df: pd.DataFrame, **kw: Any) -> Any:
    import cvframe.dask

    return cvframe.dask.resample_intervals(_dask(df), "30min", **kw).compute()


def _dask_kpis(df: pd.DataFrame, **kw: Any) -> Any:
    import cvframe.dask

    return cvframe.dask.kpis(_dask(df), **kw).compute()


def _dask_series(df: pd.DataFrame, **kw: Any) -> Any:
    import cvframe.dask

    return cvframe.dask.to_series(_dask(df), "offered_contacts", "30min", **kw)


def _write_genesys(df: pd.DataFrame, tmp: Path, **kw: Any) -> pd.DataFrame:
    files = cvframe.write_wfm(df, tmp / "out", "genesys", **kw)
    return pd.concat([pd.read_csv(f) for f in files], ignore_index=True)


def _write_generic(df: pd.DataFrame, tmp: Path, **kw: Any) -> pd.DataFrame:
    (path,) = cvframe.write_wfm(df, tmp / "out.csv", "generic", **kw)
    return pd.read_csv(path)


@dataclass(frozen=True)
class Fn:
    """A public function, how to read its headline number, and what a good frame gives."""

    call: Callable[..., Any]
    value: Callable[[Any], list[Any]]
    clean: list[Any]
    #: Kind -> the value it must give instead of an error (a correct number).
    values: dict[str, list[Any]] = field(default_factory=dict)
    #: Kinds that do not apply (no such argument).
    skip: tuple[str, ...] = ()
    needs_tmp: bool = False


_NA_HALF_HOUR: dict[str, list[Any]] = {"NA": [None], "NaN (numpy float64)": [None]}
_KPIS_VALUES: dict[str, list[Any]] = {
    "NA": [None, 0.1],
    "NaN (numpy float64)": [None, 0.1],
    # kpis reads no timestamps: naive ones do not change a row's KPIs.
    "tz-naive": [0.2, 0.1],
}
_NO_DURATION = ("unitless duration",)

FUNCTIONS: dict[str, Fn] = {
    "resample_intervals": Fn(
        lambda df, **kw: cvframe.resample_intervals(df, "30min", **kw),
        lambda out: _na_list(out["offered_contacts"]),
        [20],
        values=_NA_HALF_HOUR,
    ),
    "kpis": Fn(
        cvframe.kpis,
        lambda out: _na_list(out["abandon_rate"]),
        [0.2, 0.1],
        values=_KPIS_VALUES,
    ),
    "staffing": Fn(
        cvframe.staffing,
        lambda out: _na_list(out["required_agents"]),
        [_required(10), _required(10)],
        values={
            "NA": [None, _required(10)],
            "NaN (numpy float64)": [None, _required(10)],
            # staffing reads no csat_score.
            "NaN (nullable Float64)": [_required(10), _required(10)],
        },
    ),
    "to_series": Fn(
        lambda df, **kw: cvframe.to_series(df, "offered_contacts", "30min", **kw),
        lambda out: _na_list(out.iloc[:, 0]),
        [20],
        values=_NA_HALF_HOUR,
        skip=_NO_DURATION,
    ),
    "to_wfm genesys": Fn(
        lambda df, **kw: cvframe.to_wfm(df, "genesys", **kw),
        lambda out: _na_list(out["Offered"]),
        [10, 10],
        values={"NaN (nullable Float64)": [10, 10]},
    ),
    "to_wfm generic": Fn(
        lambda df, **kw: cvframe.to_wfm(df, "generic", **kw),
        lambda out: _na_list(out["offered"]),
        [10, 10],
        values={
            "NA": [None, 10],
            "NaN (numpy float64)": [None, 10],
            "NaN (nullable Float64)": [10, 10],
        },
    ),
    "write_wfm genesys": Fn(
        _write_genesys,
        lambda out: _na_list(out["Offered"]),
        [10, 10],
        values={"NaN (nullable Float64)": [10, 10]},
        needs_tmp=True,
    ),
    "write_wfm generic": Fn(
        _write_generic,
        lambda out: _na_list(out["offered"]),
        [10, 10],
        values={
            "NA": [None, 10],
            "NaN (numpy float64)": [None, 10],
            "NaN (nullable Float64)": [10, 10],
        },
        needs_tmp=True,
    ),
    "dask.resample_intervals": Fn(
        _dask_resample,
        lambda out: _na_list(out["offered_contacts"]),
        [20],
        values=_NA_HALF_HOUR,
        skip=_NO_DURATION,
    ),
    "dask.kpis": Fn(
        _dask_kpis, lambda out: _na_list(out["abandon_rate"]), [0.2, 0.1], values=_KPIS_VALUES
    ),
    "dask.to_series": Fn(
        _dask_series,
        lambda out: _na_list(out.iloc[:, 0]),
        [20],
        values=_NA_HALF_HOUR,
        skip=_NO_DURATION,
    ),
}


def _run(fn: Fn, df: pd.DataFrame, tmp_path: Path, **kw: Any) -> Any:
    return fn.call(df, tmp_path, **kw) if fn.needs_tmp else fn.call(df, **kw)


@pytest.mark.parametrize("function", list(FUNCTIONS))
def test_a_good_frame_gives_the_expected_numbers(function: str, tmp_path: Path) -> None:
    fn = FUNCTIONS[function]
    assert fn.value(_run(fn, base(), tmp_path)) == fn.clean


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("function", list(FUNCTIONS))
def test_bad_input_gives_the_right_number_or_an_error_naming_the_column(
    function: str, kind: str, tmp_path: Path
) -> None:
    fn = FUNCTIONS[function]
    if kind in fn.skip:
        pytest.skip(f"{function} takes no duration argument")
    change, kwargs = KINDS[kind]
    df = change(base())
    if kind in fn.values:
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            assert fn.value(_run(fn, df, tmp_path, **kwargs)) == fn.values[kind]
        return
    with pytest.raises((ValueError, cvframe.CvframeError)) as info:
        _run(fn, df, tmp_path, **kwargs)
    assert not isinstance(info.value, TypeError | KeyError)
    assert NAMES[kind] in str(info.value)


# --------------------------------------------------------------------------- the issue's cases


def test_a_duplicated_record_is_refused_not_counted_twice() -> None:
    df = base()
    with pytest.raises(ValueError, match=r"1 id\(s\) appear more than once.*drop_duplicates"):
        cvframe.resample_intervals(pd.concat([df, df.iloc[[0]]]), "30min")


def test_a_frame_without_ids_is_taken_as_it_is() -> None:
    out = cvframe.resample_intervals(base().drop(columns=["id"]), "30min")
    assert out["offered_contacts"].tolist() == [20]


def test_a_negative_count_is_refused_naming_column_rows_and_values() -> None:
    df = negative(base())
    with pytest.raises(ValueError, match=r"offered_contacts is negative in 1 row\(s\).*0: -3"):
        cvframe.kpis(df)
    with pytest.raises(ValueError, match="offered_contacts is negative"):
        cvframe.staffing(df)


def test_a_negative_duration_is_refused() -> None:
    df = base()
    handle = df["conversation_handle_time"]
    df["conversation_handle_time"] = handle.mask(df.index == 1, -pd.Timedelta(seconds=5))
    with pytest.raises(ValueError, match=r"conversation_handle_time is negative in 1 row.*1: "):
        cvframe.kpis(df)


def test_an_interval_that_ends_before_it_starts_is_refused_by_staffing_and_genesys() -> None:
    df = base()
    early = df["interval_start"] - QUARTER
    df["interval_end"] = df["interval_end"].mask(df.index == 0, early)
    for call in (cvframe.staffing, lambda d: cvframe.to_wfm(d, "genesys")):
        with pytest.raises(ValueError, match=r"interval_end is not after interval_start in 1"):
            call(df)


def test_a_fractional_count_names_the_column_not_a_raw_type_error() -> None:
    with pytest.raises(ValueError, match=r"offered_contacts is not a whole number.*0: 2\.5"):
        cvframe.resample_intervals(fractional(base()), "30min")


def test_bad_rows_are_shown_a_few_at_a_time() -> None:
    df = pd.concat([base()] * 3, ignore_index=True).drop(columns=["id"])
    df["offered_contacts"] = pd.array([-1] * 6, dtype="Int64")
    with pytest.raises(ValueError, match=r"in 6 row\(s\) .*\{0: -1, 1: -1, 2: -1, \.\.\.\}"):
        cvframe.kpis(df)


def test_genesys_refuses_missing_counts_naming_the_intervals() -> None:
    df = na(base())
    with pytest.raises(ValueError, match=r"offered_contacts is missing.*Billing.*09:00:00Z"):
        cvframe.to_wfm(df, "genesys")
    # Zeros are the user's explicit choice:
    filled = df.fillna({"offered_contacts": 0})
    assert cvframe.to_wfm(filled, "genesys")["Offered"].tolist() == [0, 10]


def test_genesys_refuses_records_that_straddle_two_quarter_hours() -> None:
    df = base()
    df["interval_start"] += pd.Timedelta(minutes=5)
    df["interval_end"] += pd.Timedelta(minutes=5)
    with pytest.raises(ValueError, match=r"straddle.*09:05:00"):
        cvframe.to_wfm(df, "genesys")
    # resample_intervals refuses the same data:
    with pytest.raises(ValueError, match="straddles"):
        cvframe.resample_intervals(df, "15min")


# --------------------------------------------------------------------------- durations


@pytest.mark.parametrize(
    "call",
    [
        lambda: cvframe.kpis(base(), sl_threshold="20"),
        lambda: cvframe.kpis(base(), sl_threshold=" 20 "),
        lambda: cvframe.kpis(base(), sl_threshold="2e1"),
        lambda: cvframe.resample_intervals(base(), "30min", sl_threshold="20"),
        lambda: cvframe.required_agents(100, "3min", "30min", sl_threshold="20"),
        lambda: cvframe.erlang_c.service_level(14, 10.0, "3min", sl_threshold="20"),
        lambda: cvframe.staffing(base(), sl_threshold="20"),
        lambda: cvframe.to_wfm(base(), "genesys", sl_threshold="20"),
    ],
)
def test_a_threshold_without_a_unit_is_refused_with_the_fix(call: Callable[[], Any]) -> None:
    with pytest.raises(ValueError, match=r"sl_threshold=.*has no unit.*'20s'"):
        call()


@pytest.mark.parametrize("value", [20, 20.0, np.int64(20), True])
def test_a_bare_number_threshold_is_refused(value: Any) -> None:
    with pytest.raises(ValueError, match="bare number"):
        cvframe.kpis(base(), sl_threshold=value)


@pytest.mark.parametrize(
    "value", ["20s", "20 seconds", "00:00:20", pd.Timedelta(seconds=20), np.timedelta64(20, "s")]
)
def test_durations_with_units_are_taken(value: Any) -> None:
    import datetime as dt

    for given in (value, dt.timedelta(seconds=20)):
        level = cvframe.kpis(base(), sl_threshold=given)["service_level"].tolist()
        assert level == cvframe.kpis(base(), sl_threshold="20s")["service_level"].tolist()


def test_unitless_aht_and_interval_are_refused() -> None:
    with pytest.raises(ValueError, match=r"aht=.*has no unit"):
        cvframe.required_agents(100, "180", "30min")
    with pytest.raises(ValueError, match=r"aht=.*has no unit"):
        cvframe.staffing(base(), aht="180")
    with pytest.raises(ValueError, match=r"interval=.*has no unit"):
        cvframe.erlang_c.offered_load(100, "3min", "1800")


def test_sync_refuses_a_lookback_without_a_unit(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"lookback='2' has no unit.*'2h'"):
        cvframe.sync(tmp_path / "snap", lookback="2", **SETTINGS)
    with pytest.raises(ValueError, match=r"lookback=2 is a bare number.*'2h'"):
        cvframe.sync(tmp_path / "snap", lookback=2, **SETTINGS)  # type: ignore[arg-type]


def test_cli_refuses_unitless_lookback_and_sl_threshold_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CVFRAME_HOST", "http://127.0.0.1:9")
    monkeypatch.setenv("CVFRAME_ACCOUNT_ID", "a")
    monkeypatch.setenv("CVFRAME_TOKEN", "t")
    monkeypatch.setenv("CVFRAME_ORG_ID", "o")
    assert main(["sync", str(tmp_path / "snap"), "--lookback", "2"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("cvframe: error: --lookback='2' has no unit")
    assert len(err.strip().splitlines()) == 1

    snapshot = tmp_path / "snapshot"
    cvframe.write_snapshot(base(), snapshot)
    for target in ("genesys", "generic"):
        args = ["export", str(snapshot), str(tmp_path / "out"), "--target", target]
        assert main([*args, "--sl-threshold", "20"]) == 1
        err = capsys.readouterr().err
        assert err.startswith("cvframe: error: --sl-threshold='20' has no unit")
        assert len(err.strip().splitlines()) == 1


# --------------------------------------------------------------------------- sl_threshold


def test_threshold_is_a_deprecated_alias_of_sl_threshold() -> None:
    df = base()
    expected = cvframe.staffing(df, sl_threshold="30s")["required_agents"].tolist()
    with pytest.warns(FutureWarning, match="threshold is deprecated; use sl_threshold"):
        old = cvframe.staffing(df, threshold="30s")
    assert old["required_agents"].tolist() == expected
    with pytest.warns(FutureWarning, match="sl_threshold"):
        assert cvframe.required_agents(100, "3min", "30min", threshold="20s") == 14
    with pytest.warns(FutureWarning, match="sl_threshold"):
        level = cvframe.erlang_c.service_level(14, 10.0, "3min", threshold="20s")
    assert level == cvframe.erlang_c.service_level(14, 10.0, "3min", sl_threshold="20s")


def test_threshold_and_sl_threshold_together_are_refused() -> None:
    # The alias still says it is deprecated, then the clash is refused.
    with (
        pytest.warns(FutureWarning, match="threshold is deprecated"),
        pytest.raises(ValueError, match="give sl_threshold only"),
    ):
        cvframe.required_agents(100, "3min", "30min", sl_threshold="30s", threshold="20s")


@pytest.mark.parametrize(
    "call",
    [
        lambda **kw: cvframe.required_agents(100, "3min", "30min", **kw),
        lambda **kw: cvframe.erlang_c.service_level(14, 10.0, "3min", **kw),
        lambda **kw: cvframe.staffing(base(), **kw),
    ],
    ids=["required_agents", "service_level", "staffing"],
)
def test_an_explicit_default_sl_threshold_with_the_alias_is_refused_too(call: Any) -> None:
    # "20s" is also the default, yet the caller wrote it: the alias must not win silently.
    with (
        pytest.warns(FutureWarning, match="threshold is deprecated"),
        pytest.raises(ValueError, match="give sl_threshold only"),
    ):
        call(sl_threshold="20s", threshold="30s")
    with (
        pytest.warns(FutureWarning, match="threshold is deprecated"),
        pytest.raises(ValueError, match="give sl_threshold only"),
    ):
        call(sl_threshold=pd.Timedelta("20s"), threshold="30s")


# --------------------------------------------------------------------------- cost


def test_a_frame_is_checked_once_per_call(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    original = _checks._check_ids

    def counting(df: pd.DataFrame, what: str) -> None:
        calls.append(what)
        original(df, what)

    monkeypatch.setattr(_checks, "_check_ids", counting)
    cvframe.to_wfm(base(), "generic")
    assert calls == ["to_wfm"]
    calls.clear()
    cvframe.to_series(base(), "offered_contacts", "30min")
    assert calls == ["resample_intervals"]


def test_a_mapped_service_level_checks_the_denominator_kpis_divides_by() -> None:
    df = base()
    df["abandoned_contacts"] = pd.array([-2, 1], dtype="Int64")
    target = {"Start": "interval_start", "SL": "service_level"}
    with pytest.raises(ValueError, match="to_wfm: abandoned_contacts is negative"):
        cvframe.to_wfm(df, target, sl_denominator="answered+abandoned")


@pytest.mark.parametrize("function", list(FUNCTIONS))
def test_a_pyarrow_backed_frame_gives_the_same_numbers(function: str, tmp_path: Path) -> None:
    clean = base()
    dtypes = cvframe.contract_dtypes("pyarrow")
    arrow = clean.astype({name: dtypes[name] for name in clean.columns})
    fn = FUNCTIONS[function]
    assert fn.value(_run(fn, arrow, tmp_path)) == fn.clean


def test_required_agents_refuses_infinite_and_takes_missing_volumes() -> None:
    with pytest.raises(ValueError, match="volume must be finite"):
        cvframe.required_agents(np.inf, "3min", "30min")
    out = cvframe.required_agents(pd.Series([100.0, np.nan]), "3min", "30min")
    assert _na_list(out) == [14, None]


#: required_agents takes volumes, not a frame: its bad inputs, and what each must give.
#: (Frame kinds, such as duplicate ids or naive timestamps, do not apply to it.)
REQUIRED_AGENTS_CASES: list[tuple[str, dict[str, Any], Any]] = [
    ("negative", {"volume": -1}, "volume"),
    # A forecast volume may be fractional: 2.5 in 30 minutes is the load of 5 in an hour.
    ("fractional", {"volume": 2.5}, lambda: cvframe.required_agents(5, "3min", "60min")),
    ("NA", {"volume": pd.Series([pd.NA, 100], dtype="Int64")}, [None, 14]),
    ("NaN", {"volume": pd.Series([np.nan, 100.0])}, [None, 14]),
    ("inf", {"volume": np.inf}, "volume"),
    ("object dtype", {"volume": pd.Series([100, 0], dtype=object)}, [14, 0]),
    ("negative aht", {"aht": -pd.Timedelta(minutes=3)}, "aht"),
    ("unitless aht", {"aht": "180"}, "aht"),
    ("unitless interval", {"interval": "1800"}, "interval"),
    ("unitless sl_threshold", {"sl_threshold": "20"}, "sl_threshold"),
    ("bare number sl_threshold", {"sl_threshold": 20}, "sl_threshold"),
]


@pytest.mark.parametrize(
    ("change", "expected"),
    [(change, expected) for _, change, expected in REQUIRED_AGENTS_CASES],
    ids=[kind for kind, _, _ in REQUIRED_AGENTS_CASES],
)
def test_required_agents_gives_the_right_number_or_an_error_naming_the_argument(
    change: dict[str, Any], expected: Any
) -> None:
    arguments: dict[str, Any] = {"volume": 100, "aht": "3min", "interval": "30min", **change}

    def call() -> Any:
        return cvframe.required_agents(**arguments)

    if isinstance(expected, str):
        with pytest.raises(ValueError, match=expected):
            call()
    elif callable(expected):
        assert call() == expected()
    else:
        assert _na_list(call()) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("20", r"sl_threshold='20' has no unit .*'20s'"),
        ("2.5", r"has no unit .*'2\.5s'"),
        ("-20", r"has no unit"),
        ("nan", r"must be a duration, got 'nan'"),
        ("NaT", r"must be a duration, got 'NaT'"),
        ("soon", r"sl_threshold='soon' is not a duration"),
        (np.timedelta64(20), r"without a unit"),
        ("-20s", r"must be a positive duration"),
        ("0s", r"must be a positive duration"),
        (None, r"must be a duration such as '20s'"),
        ([20], r"must be a duration such as '20s'"),
    ],
)
def test_the_duration_parser_refuses_what_is_not_a_duration_with_a_unit(
    value: Any, message: str
) -> None:
    from cvframe._durations import parse_duration

    with pytest.raises(ValueError, match=message):
        parse_duration(value, name="sl_threshold")


def test_a_zero_lookback_is_a_duration_a_zero_threshold_is_not() -> None:
    from cvframe._durations import parse_duration

    assert parse_duration("0s", name="lookback", allow_zero=True) == pd.Timedelta(0)
    with pytest.raises(ValueError, match="positive"):
        parse_duration("0s", name="sl_threshold")
