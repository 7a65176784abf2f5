"""The files ``cvframe fetch`` writes (the formats are :mod:`cvframe._frame._files`')."""

from __future__ import annotations

from typing import IO

import pandas as pd

from .._frame import CSV_DURATION_SUFFIX, with_duration_units, write_csv

__all__ = ["CSV_DURATION_SUFFIX", "write_csv", "write_parquet"]


def write_parquet(df: pd.DataFrame, fh: IO[bytes]) -> None:
    """Write ``df`` as Parquet, each duration field naming its unit in its metadata."""
    import pyarrow as pa

    schema = with_duration_units(pa.Schema.from_pandas(df, preserve_index=False))
    df.to_parquet(fh, index=False, schema=schema)
