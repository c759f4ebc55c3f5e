"""The same batch on Dask distributed: a local cluster of worker processes, or an existing scheduler.

Needs the optional extra: ``pip install "upscalekit[distributed]"``. Each task is one file
(:func:`upscalekit.batch.run.run_job`); each worker process loads the model on its first task and
keeps it (:func:`upscalekit.batch.run._model` caches per process). When a worker process dies, the
scheduler hands its unfinished tasks to another worker; because a task writes its output and
sidecar atomically under a name fixed by the settings, a task run twice leaves one whole output,
never a duplicate or a torn file.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from typing import Any

from upscalekit.batch.plan import Job
from upscalekit.batch.run import JobResult, Settings, run_job

__all__ = ["dask_client", "run_jobs_dask"]


def _need_distributed() -> Any:
    try:
        import distributed
    except ImportError as err:  # an optional extra: say how to get it
        raise ImportError(
            "running on a cluster needs Dask distributed: pip install \"upscalekit[distributed]\" "
            "(or pip install distributed); without --workers/--scheduler the batch runs in this process"
        ) from err
    return distributed


@contextlib.contextmanager
def dask_client(*, workers: int | None = None, scheduler: str | None = None) -> Iterator[Any]:
    """A Dask ``Client``: on ``scheduler`` (``"tcp://HOST:PORT"``) or on a new ``LocalCluster``.

    The local cluster has ``workers`` processes with one task thread each; torch in each worker
    gets ``cores // workers`` threads, so the workers share the CPU instead of fighting over it.

    Examples
    --------
    >>> with dask_client(workers=2) as client:  # doctest: +SKIP
    ...     len(client.scheduler_info()["workers"])
    2
    """
    distributed = _need_distributed()
    if scheduler is not None:
        client = distributed.Client(scheduler, timeout="20s")
        try:
            yield client
        finally:
            client.close()
        return
    n = int(workers or 1)
    if n < 1:
        raise ValueError(f"workers must be at least 1, got {workers!r}")
    threads = str(max(1, (os.cpu_count() or 1) // n))
    env = {"OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads, "OPENBLAS_NUM_THREADS": threads}
    with distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                                  env=env, silence_logs=40) as cluster, distributed.Client(cluster) as client:
        yield client


def run_jobs_dask(jobs: Sequence[Job], settings: Settings, client: Any, *, force: bool = False,
                  progress: bool = True) -> list[JobResult]:
    """Run one task per job on the client's cluster; results in job order.

    A task that the scheduler gives up on (its workers kept dying) is reported as a failed job,
    like a bad file, and the rest still complete.

    Examples
    --------
    >>> with dask_client(workers=2) as client:  # doctest: +SKIP
    ...     results = run_jobs_dask(jobs, Settings("bicubic"), client)
    """
    distributed = _need_distributed()
    futures = client.map(run_job, list(jobs), settings=settings, force=force, progress=False, pure=False)
    if progress and futures:
        distributed.progress(futures, notebook=False)
    results: list[JobResult] = []
    for job, fut in zip(jobs, futures, strict=True):
        try:
            results.append(fut.result())
        except Exception as err:  # noqa: BLE001 - e.g. KilledWorker: report it as this file's failure
            results.append(JobResult(job, "failed", error=f"{type(err).__name__}: {err}"))
    return results
