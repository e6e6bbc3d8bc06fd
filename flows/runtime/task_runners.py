"""The Prefect task runner the CPU stages run on (``NEWSWIRE_TASK_RUNNER``).

The flows keep their own runner (threads) for fetching and the writer; only the batches
of parse/normalise, enrichment and near-duplicate profiles (flows/steps/prepare.py) go
to the runner made here, so choosing ``process`` or ``dask`` moves exactly the
CPU-bound work and nothing that touches the warehouse's state:

- ``thread``: a one-thread pool in the flow's process, today's single-core behaviour
  (the batches still run beside the writer, as the others do);
- ``process``: Prefect's ``ProcessPoolTaskRunner`` with ``NEWSWIRE_CPU_WORKERS``
  processes on this machine;
- ``dask``: prefect-dask's ``DaskTaskRunner`` on a ``distributed.LocalCluster`` of
  ``NEWSWIRE_CPU_WORKERS`` one-thread worker processes, or on the running scheduler at
  ``NEWSWIRE_DASK_ADDRESS``.
"""

from __future__ import annotations

from prefect.task_runners import ProcessPoolTaskRunner, TaskRunner, ThreadPoolTaskRunner

from newswire.tasks.settings import Settings


def cpu_task_runner(settings: Settings) -> TaskRunner:
    """A fresh (not yet started) runner for the run's CPU batches; enter it with ``with``."""
    if settings.task_runner == "process":
        return ProcessPoolTaskRunner(max_workers=settings.cpu_workers)
    if settings.task_runner == "dask":
        return dask_task_runner(settings)
    return ThreadPoolTaskRunner(max_workers=1)


def dask_task_runner(settings: Settings) -> TaskRunner:
    """prefect-dask's runner: the scheduler at ``dask_address``, else a local cluster
    of one-thread processes (the stages hold the GIL: threads in one worker would
    take turns)."""
    from prefect_dask import DaskTaskRunner

    if settings.dask_address:
        return DaskTaskRunner(address=settings.dask_address)
    return DaskTaskRunner(
        cluster_class="distributed.LocalCluster",
        cluster_kwargs={
            "n_workers": settings.cpu_workers,
            "threads_per_worker": 1,
            "processes": True,
            # The run's own cluster: no dashboard port to collide with another run's.
            "dashboard_address": None,
        },
    )


def in_flight_batches(settings: Settings) -> int:
    """Batches submitted ahead of the writer: one per worker plus one waiting, so no
    worker idles while the writer commits, yet the results waiting for the writer (and
    their memory) stay a fixed few whatever the run's size."""
    workers = 1 if settings.task_runner == "thread" else settings.cpu_workers
    return workers + 1
