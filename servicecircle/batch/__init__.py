"""Province and national runs: county partitions with a halo, tasks on Dask, a Parquet dataset.

Rooms
-----
* ``partition`` – the halo and the county pieces of a street table.
* ``plan`` – the street table read once, pieces found or cut, one task per county.
* ``task`` – one county: compile, snap, search, write its result atomically (cached for warm runs).
* ``runner`` – the Dask client (embedded LocalCluster or ``--scheduler``), retries, failures;
  warm runs in the driver with no client.
* ``progress`` – the progress bar over counties and the failure list.
* ``results`` – the county results as ``demand/townships/counties/rollup.parquet``.
* ``pipeline`` – the whole run, as ``servicecircle reach`` calls it.
* ``report`` – the console summary, the Excel workbook, the county map and its township maps.
"""

from __future__ import annotations

from servicecircle.batch.partition import Halo, halo_for
from servicecircle.batch.pipeline import BatchRun, batch_reach, place_demand
from servicecircle.batch.progress import CountyProgress
from servicecircle.batch.runner import BatchOutcome, dask_client, run_tasks
from servicecircle.batch.task import CountyTask, run_county

__all__ = [
    "BatchOutcome",
    "BatchRun",
    "CountyProgress",
    "CountyTask",
    "Halo",
    "batch_reach",
    "dask_client",
    "halo_for",
    "place_demand",
    "run_county",
    "run_tasks",
]
