"""Work the benchmarks measure in a process of its own (for peak RSS and CPU seconds).

``python benchmarks/_children.py JOB JSON-ARGS`` runs one job and prints one JSON line.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def memory(records: int, page_size: int) -> dict[str, Any]:
    """Peak RSS of read_callvolume over ``records`` records served as page bytes."""
    import requests
    from _frames import page_bytes

    import cvframe

    class PageSession:
        """A session that answers each POST with the page asked for, built on demand."""

        def post(self, url: str, **kwargs: Any) -> requests.Response:
            body = json.loads(kwargs["data"])
            response = requests.Response()
            response.status_code = 200
            response._content = page_bytes(body["skip"], body["limit"], records)
            return response

        def close(self) -> None:
            pass

    page_bytes(0, page_size, records)  # warm the generator's caches before the baseline
    client = cvframe.CallVolumeClient(
        host="http://127.0.0.1:9",
        account_id="bench",
        token="bench",
        requests_per_minute=1e9,
        session=PageSession(),  # type: ignore[arg-type]
    )
    baseline = _rss_bytes()
    started = time.perf_counter()
    df = cvframe.read_callvolume(
        "2020-01-01", "2030-01-01", org_id="o-bench", client=client, page_size=page_size,
        progress=False, concurrency=1, validate=os.environ.get("BENCH_VALIDATE", "1") == "1",
    )  # fmt: skip
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    after = _rss_bytes()  # what the read leaves resident beside the frame
    return {
        "rows": len(df),
        "frame_bytes": int(df.memory_usage(deep=True).sum()),
        "baseline_rss": baseline,
        "peak_rss": peak,
        "after_rss": after,
        "seconds": seconds,
    }


def cvframe_sync(settings: dict[str, Any], start: str, end: str, out: str) -> dict[str, Any]:
    """cvframe.sync of the window into a fresh snapshot."""
    import cvframe

    cpu, wall = time.process_time(), time.perf_counter()
    report = cvframe.sync(out, start=start, end=end, page_size=1000, **settings)
    return {
        "rows": report.rows_fetched,
        "cpu": time.process_time() - cpu,
        "wall": time.perf_counter() - wall,
    }


def dlt_load(
    base_url: str, path: str, token: str, body: dict[str, Any], out: str, work: str
) -> dict[str, Any]:
    """dlt's rest_api source (offset paginator in the body, hasMore) to Parquet files."""
    import dlt
    from dlt.sources.rest_api import rest_api_source

    cpu, wall = time.process_time(), time.perf_counter()
    source = rest_api_source(
        {
            "client": {"base_url": base_url, "headers": {"auth": token}},
            "resources": [
                {
                    "name": "callvolume",
                    "write_disposition": "replace",
                    "endpoint": {
                        "path": path,
                        "method": "POST",
                        "json": body,
                        "data_selector": "CallVolumeUpdate",
                        "paginator": {
                            "type": "offset",
                            "limit": body["limit"],
                            "offset_body_path": "skip",
                            "limit_body_path": "limit",
                            "total_path": None,
                            "has_more_path": "hasMore",
                        },
                    },
                }
            ],
        }
    )
    pipeline = dlt.pipeline(
        pipeline_name="bench_callvolume",
        destination=dlt.destinations.filesystem(bucket_url=Path(out).as_uri()),
        dataset_name="callvolume",
        pipelines_dir=work,
    )
    info = pipeline.run(source, loader_file_format="parquet")
    rows = pipeline.last_trace.last_normalize_info.row_counts.get("callvolume")
    return {
        "rows": rows,
        "loads": len(info.loads_ids),
        "cpu": time.process_time() - cpu,
        "wall": time.perf_counter() - wall,
    }


JOBS = {"memory": memory, "cvframe_sync": cvframe_sync, "dlt_load": dlt_load}

if __name__ == "__main__":
    job, args = sys.argv[1], json.loads(sys.argv[2])
    print(json.dumps(JOBS[job](**args)))
