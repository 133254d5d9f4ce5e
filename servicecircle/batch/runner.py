"""County tasks on Dask distributed: an embedded LocalCluster, or an existing cluster.

Default: a ``LocalCluster`` on this machine (one single-threaded worker process per core, a
memory limit per worker, bound to 127.0.0.1, no dashboard), so a laptop needs no set-up.
``scheduler="tcp://HOST:8786"`` sends the same tasks to an existing cluster (its workers must
see the cache and output folders). Every task is retried (``retries``) and, because each one
writes its result atomically and reads only its own inputs, a worker killed mid-run costs
nothing but the re-run of its task: the scheduler hands it to another worker. A county that
still fails is reported with its error; the others complete.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import pandas as pd

from servicecircle.batch.progress import CountyProgress
from servicecircle.batch.task import CountyTask, result_is_current, run_county

#: default memory limit of each embedded worker
WORKER_MEMORY = "1.5GiB"


@dataclass(frozen=True)
class BatchOutcome:
    """What a batch run did: counties run, skipped (``--resume``) and failed."""

    done: tuple[str, ...]
    skipped: tuple[str, ...]
    failed: pd.DataFrame  # code, name, error
    summaries: tuple[dict, ...] = field(default=())
    where: str = ""

    @property
    def ok(self) -> bool:
        return self.failed.empty


@contextlib.contextmanager
def dask_client(
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    memory_limit: str = WORKER_MEMORY,
    processes: bool = True,
) -> Iterator:
    """A ``distributed.Client``: to ``scheduler`` when given, else to an embedded LocalCluster.

    The embedded cluster has ``workers`` processes (default: the machine's cores), one thread
    each, ``memory_limit`` per worker; it listens on 127.0.0.1 only and serves no dashboard.
    ``processes=False`` runs one in-process worker with ``workers`` threads instead (starts in
    a fraction of a second: for warm runs, whose county tasks take milliseconds).
    Both are closed when the block ends, also on error.
    """
    from distributed import Client, LocalCluster

    if scheduler:
        client = Client(scheduler)
        try:
            yield client
        finally:
            client.close()
        return
    n = workers or os.cpu_count() or 1
    cluster = LocalCluster(
        n_workers=n if processes else 1,
        threads_per_worker=1 if processes else n,
        processes=processes,
        protocol="tcp://",  # threads too: TCP on loopback (in-process comms would bind the LAN IP)
        memory_limit=memory_limit,
        host="127.0.0.1",
        dashboard_address=None,
        # workers import the engine while they boot, not in their first county
        preload=["servicecircle.batch.task"],
    )
    try:
        client = Client(cluster)
        try:
            yield client
        finally:
            client.close()
    finally:
        cluster.close()


@contextlib.contextmanager
def client_in_background(
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    memory_limit: str = WORKER_MEMORY,
    processes: bool = True,
) -> Iterator[Callable[[], object]]:
    """:func:`dask_client` started in a thread, so the workers boot while the caller reads the
    streets; yields a function that waits for the client and returns it. Closed on exit."""
    from concurrent.futures import ThreadPoolExecutor

    cm = dask_client(
        scheduler=scheduler, workers=workers, memory_limit=memory_limit, processes=processes
    )
    with ThreadPoolExecutor(1) as pool:
        started = pool.submit(cm.__enter__)
        try:
            yield started.result
        finally:
            if started.exception() is None:  # waits for the start; closes what started
                cm.__exit__(None, None, None)


class Clients:
    """The client of a run: given, or booted once (in the background) when first needed."""

    def __init__(self, stack: contextlib.ExitStack, *, client=None, scheduler=None, workers=None):
        self._stack = stack
        self._get = (lambda: client) if client is not None else None
        self.scheduler = scheduler
        self.workers = workers
        self.kind = "given" if client is not None else ""

    def boot(self, *, processes: bool = True) -> None:
        """Start the cluster now (a no-op once started or when a client was given)."""
        if self._get is None:
            self._get = self._stack.enter_context(
                client_in_background(
                    scheduler=self.scheduler, workers=self.workers, processes=processes
                )
            )
            self.kind = self.scheduler or ("processes" if processes else "threads")

    @property
    def given(self) -> bool:
        """True when the run must use a cluster it was given (a client or a scheduler)."""
        return self.kind == "given" or bool(self.scheduler)

    def get(self):
        self.boot()
        return self._get()


def _in_driver(
    todo: Sequence[CountyTask],
    skipped: tuple[str, ...],
    n_tasks: int,
    *,
    retries: int,
    progress: CountyProgress | None,
    task_fn: Callable[[CountyTask], dict],
    on_done: Callable[[dict], None] | None,
) -> BatchOutcome:
    """The tasks in this process, one county after the other, with no Dask client.

    For warm runs, whose every county is answered from its cached graph and snaps (or from its
    last distances) in milliseconds: booting even an in-process worker costs more than the work.
    The same guarantees: each result written atomically, ``resume``, ``retries``, a county that
    still fails reported by name with its error while the others complete.
    """
    if progress is not None:
        progress.start(total=n_tasks, already=len(skipped))
    done, failed, summaries = [], [], []
    for t in todo:
        error = None
        for _ in range(retries + 1):
            try:
                summary = task_fn(t)
            except Exception as exc:  # reported by name below, like a failed Dask task
                error = f"{type(exc).__name__}: {exc}"
            else:
                error = None
                break
        if error is None:
            done.append(t.code)
            summaries.append(summary)
            if on_done is not None:
                on_done(summary)
        else:
            failed.append({"code": t.code, "name": t.name, "error": error})
        if progress is not None:
            progress.advance(t.label, ok=error is None)
    if progress is not None:
        progress.stop()
    return BatchOutcome(
        done=tuple(done),
        skipped=skipped,
        failed=pd.DataFrame(failed, columns=["code", "name", "error"]),
        summaries=tuple(summaries),
        where="driver",
    )


def run_tasks(
    tasks: Sequence[CountyTask],
    client,
    *,
    resume: bool = False,
    retries: int = 2,
    progress: CountyProgress | None = None,
    task_fn: Callable[[CountyTask], dict] = run_county,
    on_done: Callable[[dict], None] | None = None,
) -> BatchOutcome:
    """Run the county tasks on ``client`` and wait for every one of them.

    Parameters
    ----------
    tasks
        One task per county.
    client
        A ``distributed.Client`` (see :func:`dask_client`); None runs them in this process,
        one after the other (warm runs: no client to start).
    resume
        Skip the counties whose result is already written for the very same task.
    retries
        Times a failed task is tried again before its county is reported as failed.
    progress
        Shown while the counties complete (a rich progress bar with ETA).
    task_fn
        The function run per county (``run_county``; tests wrap it).
    on_done
        Called in the driver with each finished county's summary.
    """
    todo = [t for t in tasks if not (resume and result_is_current(t))]
    todo_codes = {t.code for t in todo}
    skipped = tuple(t.code for t in tasks if t.code not in todo_codes)
    if client is None:
        return _in_driver(
            todo, skipped, len(tasks), retries=retries, progress=progress, task_fn=task_fn,
            on_done=on_done,
        )  # fmt: skip
    from distributed import as_completed

    by_key = {}
    futures = []
    # largest first, so the long tasks do not start last
    for t in sorted(todo, key=lambda t: -len(t.demand)):
        fut = client.submit(task_fn, t, key=f"county-{t.code}-{t.signature}", retries=retries)
        by_key[fut.key] = t
        futures.append(fut)
    if progress is not None:
        progress.start(total=len(tasks), already=len(skipped))
    done, failed, summaries = [], [], []
    for fut in as_completed(futures):
        t = by_key[fut.key]
        if fut.status == "finished":
            summary = fut.result()
            done.append(t.code)
            summaries.append(summary)
            if on_done is not None:
                on_done(summary)
        else:
            exc = fut.exception()
            failed.append({"code": t.code, "name": t.name, "error": f"{type(exc).__name__}: {exc}"})
        if progress is not None:
            progress.advance(t.label, ok=fut.status == "finished")
        fut.release()
    if progress is not None:
        progress.stop()
    where = getattr(client.scheduler, "address", "") or ""
    return BatchOutcome(
        done=tuple(done),
        skipped=skipped,
        failed=pd.DataFrame(failed, columns=["code", "name", "error"]),
        summaries=tuple(summaries),
        where=str(where),
    )
