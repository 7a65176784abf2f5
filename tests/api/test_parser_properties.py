"""Property: whatever JSON a server sends, only CvframeErrors escape the parser."""

from __future__ import annotations

import warnings
from typing import Any

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cvframe
from cvframe._api._paging import parse_page
from cvframe._endpoints import CALLVOLUME
from cvframe._frame import records_to_table
from tests.frame.test_schema import SAMPLE

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["2023-06-01T09:45:00.000Z", "2023-06-01", "", "Z", "2023-13-45T99:99Z"]),
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)
field_names = st.one_of(st.sampled_from(list(cvframe.API_FIELDS)), st.text(max_size=12))
# Records near the real shape: the sample with some fields replaced by anything.
records = st.builds(
    lambda changes: {**SAMPLE, **changes},
    st.dictionaries(field_names, json_values, max_size=6),
)
pages = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {
            "hasMore": st.one_of(st.booleans(), json_values),
            "CallVolumeUpdate": st.one_of(st.lists(records, max_size=4), json_values),
            "totalCount": st.one_of(st.integers(min_value=-5, max_value=10), json_values),
        }
    ),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=pages)
def test_only_cvframe_errors_escape_the_parser(body: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cvframe.SchemaDriftWarning)
        try:
            page = parse_page(body, CALLVOLUME, skip=0)
            table = records_to_table(page.records)
            df = cvframe.records_to_frame(page.records)
            cvframe.validate(df)
        except cvframe.CvframeError:
            return
    # What got through is a well-formed contract frame.
    assert table.num_columns == len(cvframe.COLUMNS)
    assert isinstance(df, pd.DataFrame)
    assert list(df.columns) == [c.name for c in cvframe.COLUMNS]
