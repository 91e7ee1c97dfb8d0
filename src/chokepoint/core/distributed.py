"""Blocks of work mapped over dask.distributed workers, their results returned in block order.

The distributed mode of :func:`~chokepoint.core.montecarlo.montecarlo` (blocks of samples) and
:func:`~chokepoint.core.scenarios.sweep` (blocks of scenarios). The caller hands over a task
function, the state every task shares (the compiled chain, sent once to each worker with
``Client.scatter(..., broadcast=True)``) and the number of blocks; :func:`map_blocks` submits a
bounded window of tasks (a few per worker, so that finished results do not pile up) and yields
their results in block order, so that the caller merges them exactly as a single process would.

dask is an optional extra (``pip install 'chokepoint-supply[dask]'``) and is imported only
here, only when workers are asked for. See docs/distributed.md for running on a cluster.

References
----------
.. [1] Dask Development Team (2016), "Dask: Library for dynamic task scheduling",
       https://dask.org; dask.distributed, https://distributed.dask.org.
"""

from __future__ import annotations

import contextlib
import logging
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

from ..errors import DistributedError

__all__ = ["CONNECT_TIMEOUT", "EXTRA", "NO_TRIM", "TASKS_PER_WORKER", "map_blocks"]

#: Seconds to wait for a scheduler given by address before giving up.
CONNECT_TIMEOUT = 10
#: Tasks kept in flight per worker.
TASKS_PER_WORKER = 2
#: How to install what the distributed mode needs.
EXTRA = "pip install 'chokepoint-supply[dask]'"
#: The variable that dask's nanny sets for its workers and a local cluster of chokepoint leaves
#: unset (see :func:`client`; docs/distributed.md for workers started by hand).
NO_TRIM = "MALLOC_TRIM_THRESHOLD_"


def _dask() -> Any:
    try:
        import distributed
    except ImportError:
        msg = (
            f"--workers and --scheduler need dask.distributed, which is not installed: {EXTRA} "
            "(or run without --workers and --scheduler, in one process)"
        )
        raise DistributedError(msg) from None
    return distributed


@contextlib.contextmanager
def client(workers: int | None = None, scheduler: str | None = None) -> Iterator[Any]:
    """A dask client: of a new local cluster of ``workers`` processes (one thread each), or of
    the running scheduler at ``scheduler``; closed on exit.

    Raises
    ------
    DistributedError
        When dask is not installed, ``workers`` is below 1, both or neither are given, or the
        scheduler cannot be reached, or has no worker, within :data:`CONNECT_TIMEOUT` seconds.
    """
    if (workers is None) == (scheduler is None):
        msg = "give workers=N (a local cluster) or scheduler='tcp://HOST:PORT', not both"
        raise DistributedError(msg)
    if workers is not None and (isinstance(workers, bool) or workers < 1):
        msg = f"workers must be a whole number >= 1, not {workers!r}"
        raise DistributedError(msg)
    distributed = _dask()
    if scheduler is not None:
        try:
            found = distributed.Client(scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as error:
            msg = (
                f"cannot reach the dask scheduler at {scheduler!r} within {CONNECT_TIMEOUT} s "
                f"({type(error).__name__}: {error}); check the address (e.g. "
                "tcp://10.0.0.5:8786, printed by `dask scheduler`) and that the scheduler is "
                "running, or use --workers N for a local cluster"
            )
            raise DistributedError(msg) from None
        with found:
            try:
                found.wait_for_workers(1, timeout=CONNECT_TIMEOUT)
            except TimeoutError:
                msg = (
                    f"the dask scheduler at {scheduler!r} has no worker after {CONNECT_TIMEOUT} "
                    f"s; start some with `dask worker {scheduler}` (docs/distributed.md)"
                )
                raise DistributedError(msg) from None
            yield found
        return
    import dask

    # dask starts its workers with MALLOC_TRIM_THRESHOLD_ set, which turns off glibc's adaptive
    # mmap threshold: every large numpy temporary is then mapped and unmapped afresh, and a
    # block of samples cost 1.3 s on a worker against 0.5 s in one process (10^5 links)
    unset = {f"distributed.nanny.pre-spawn-environ.{NO_TRIM}": None}
    with dask.config.set(unset):
        cluster = distributed.LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=logging.ERROR,
        )
    with cluster, distributed.Client(cluster, set_as_default=False) as local:
        yield local


def map_blocks(
    task: Callable[..., list[Any]],
    shared: Any,
    params: Any,
    blocks: int,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    per_task: int = 1,
) -> Iterator[Any]:
    """Yield the items of ``task(shared, params, first, stop)`` for consecutive runs of
    ``per_task`` blocks out of ``blocks``, in block order, computed on dask workers.

    ``shared`` is scattered to every worker once; ``task`` must be a module-level function (it
    is pickled by reference) returning a list.

    Raises
    ------
    DistributedError
        As for :func:`client`.
    """
    with client(workers, scheduler) as dask:
        width = max(1, len(dask.scheduler_info().get("workers", {})) * TASKS_PER_WORKER)
        # hash=False: a random key; the default names the data by dask's tokenize, a walk over
        # every object of the compiled chain (6 of 7 s at 10^5 links, for a 17 MB pickle)
        remote = dask.scatter(shared, broadcast=True, hash=False)
        starts = iter(range(0, blocks, per_task))
        pending: deque[Any] = deque()

        def submit() -> None:
            for first in starts:
                stop = min(blocks, first + per_task)
                pending.append(
                    dask.submit(_paused_call, task, remote, params, first, stop, pure=False)
                )
                return

        for _ in range(width):
            submit()
        while pending:
            done = pending.popleft().result()
            submit()
            yield from done


def _paused_call(task: Callable[..., list[Any]], *args: Any) -> list[Any]:
    """``task(*args)`` on a worker with the cyclic garbage collector paused, as in one process:
    the worker holds the compiled chain, millions of objects that each collection would walk
    again (a block at 10^5 links took 1.1 s with it running, 1.0 s without)."""
    from .._gc import paused

    with paused():
        return task(*args)
