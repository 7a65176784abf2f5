"""The public pandera model of a call-volume frame, :class:`CallVolumeSchema`.

Its own module, so that pandera is imported only when the model is first used
(``cvframe.CallVolumeSchema`` resolves it on first access), not with ``import cvframe``.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

__all__ = ["CallVolumeSchema"]


class CallVolumeSchema(pa.DataFrameModel):
    """The pandera model of a call-volume frame (``dtype_backend="numpy_nullable"``).

    Checks the dtypes, non-negative counts and durations, a unique non-null ``id``
    and ``interval_end > interval_start``. Use :func:`cvframe.validate` rather than
    calling ``validate`` on the model directly: it also checks duration units,
    which pandera does not distinguish, and accepts the ``pyarrow`` backend.

    Examples
    --------
    >>> import cvframe
    >>> cvframe.CallVolumeSchema.to_schema().columns["offered_contacts"].dtype
    DataType(Int64)
    """

    id: Series[pd.StringDtype] = pa.Field(nullable=False, unique=True)
    org_id: Series[pd.StringDtype] = pa.Field(nullable=True)
    queue_id: Series[pd.StringDtype] = pa.Field(nullable=True)
    queue_name: Series[pd.StringDtype] = pa.Field(nullable=True)
    instance_id: Series[pd.StringDtype] = pa.Field(nullable=True)
    source: Series[pd.StringDtype] = pa.Field(nullable=True)
    version: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    interval_start: Series[pd.DatetimeTZDtype] = pa.Field(
        nullable=False, dtype_kwargs={"unit": "ms", "tz": "UTC"}
    )
    interval_end: Series[pd.DatetimeTZDtype] = pa.Field(
        nullable=False, dtype_kwargs={"unit": "ms", "tz": "UTC"}
    )
    offered_contacts: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    answered_contacts: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    completed_contacts: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    abandoned_contacts: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    message_count: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    saved_message_count: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    csat_responses: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    csat_score: Series[pd.Float64Dtype] = pa.Field(nullable=True, ge=0)
    queue_hold_time_answered: Series[pd.Timedelta] = pa.Field(nullable=True, ge=pd.Timedelta(0))
    max_queue_hold_time_answered: Series[pd.Timedelta] = pa.Field(nullable=True, ge=pd.Timedelta(0))
    queue_hold_time_abandoned: Series[pd.Timedelta] = pa.Field(nullable=True, ge=pd.Timedelta(0))
    max_queue_hold_time_abandoned: Series[pd.Timedelta] = pa.Field(
        nullable=True, ge=pd.Timedelta(0)
    )
    conversation_handle_time: Series[pd.Timedelta] = pa.Field(nullable=True, ge=pd.Timedelta(0))
    conversation_talk_time: Series[pd.Timedelta] = pa.Field(nullable=True, ge=pd.Timedelta(0))
    hold_duration: Series[pd.Timedelta] = pa.Field(nullable=True, ge=pd.Timedelta(0))
    acw_duration: Series[pd.Timedelta] = pa.Field(nullable=True, ge=pd.Timedelta(0))

    @pa.dataframe_check(name="interval_end > interval_start")
    def _interval_end_after_start(cls, df: pd.DataFrame) -> pd.Series:  # noqa: N805
        return (df["interval_end"] > df["interval_start"]).fillna(False).astype(bool)

    class Config:
        strict = True
        ordered = True
        coerce = False
