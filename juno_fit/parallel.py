"""Dask plumbing shared by every kind of many-fit work (scan walks, contour rows, exposure curves,
toy ensembles): the client of a local or existing cluster, a task map that keeps input order and
streams results, and the worker-side cache that builds a config's model once per process.

Each worker process builds the model of a config once (:func:`worker_model`, under the Numba compile
lock) and keeps it for the next task; the config travels to the workers as a pickled object, so
remote workers need juno-fit installed but not the config file. Nothing here knows what a fit is:
the inference modules hand their task functions to :func:`dask_map`.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from .config import Config
from .errors import Interrupted, JunoFitError

# --------------------------------------------------------------------------------------------------
# Dask
# --------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def dask_client(workers: int | None = None, scheduler: str | None = None) -> Iterator[Any]:
    """A ``dask.distributed.Client``: connected to ``scheduler`` (an address such as
    ``tcp://10.0.0.5:8786``) or to a new local cluster of ``workers`` processes (default: the number
    of cores), one thread each. The local cluster is shut down on exit."""
    from dask.distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise JunoFitError(f"--scheduler {scheduler}: cannot connect to a Dask scheduler there ({exc})") from None
        try:
            yield client
        finally:
            client.close()
        return
    n = int(workers or os.cpu_count() or 1)
    if n < 1:
        raise JunoFitError(f"--workers: need at least 1, got {n}")
    cluster = LocalCluster(
        n_workers=n,
        threads_per_worker=1,
        processes=True,
        # no fixed port: the scheduler's HTTP endpoint (and the dashboard, where Bokeh is installed)
        # takes a free one on the loopback interface, so several clusters can run side by side
        dashboard_address="127.0.0.1:0",
        silence_logs=logging.ERROR,
    )
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def n_workers(client) -> int:
    return max(1, len(client.scheduler_info(n_workers=-1).get("workers", {})))


def _thread_limited(fn: Callable, *args, **kwargs):
    """Run one task inside the run-time thread limit (juno_fit/threads.py): a worker may have
    imported NumPy before juno_fit."""
    from .threads import limited_threads

    with limited_threads():
        return fn(*args, **kwargs)


def dask_map(
    fn: Callable,
    items: Sequence[tuple],
    *,
    client,
    shared: dict[str, Any] | None = None,
    progress: Callable[[int, int], None] | None = None,
    on_result: Callable[[int, Any], None] | None = None,
) -> list:
    """``[fn(**shared, *item) for item in items]`` on the cluster, in input order. ``shared``
    values (configs, data) are scattered once to every worker. ``on_result(i, result)`` is called as
    each finishes (in completion order); Ctrl-C cancels what is left and raises :class:`Interrupted`."""
    from dask.distributed import as_completed

    shared_futures = {k: client.scatter(v, broadcast=True, hash=False) for k, v in (shared or {}).items()}
    futures = [client.submit(_thread_limited, fn, *item, **shared_futures, pure=False) for item in items]
    index = {f.key: i for i, f in enumerate(futures)}
    results: list = [None] * len(items)
    done = 0
    try:
        for fut in as_completed(futures):
            i = index[fut.key]
            results[i] = fut.result()
            done += 1
            if on_result:
                on_result(i, results[i])
            if progress:
                progress(done, len(items))
    except KeyboardInterrupt:
        client.cancel(futures)
        raise Interrupted(f"interrupted after {done} of {len(items)} tasks") from None
    return results


def stream_tasks(
    fn: Callable[..., list[dict[str, Any]]],
    keys: list[int],
    *,
    shared: dict[str, Any],
    records: dict[int, dict[str, Any]],
    save: Callable[[], Any],
    output,
    total: int,
    chunk: int | None,
    flush_seconds: float,
    show_progress: bool | Callable[..., Any],
    workers: int | None,
    scheduler: str | None,
    client,
) -> dict[str, Any]:
    """The streaming run shared by toy ensembles and Neyman constructions: ``fn(chunk_of_keys, **shared)``
    returns records (each with its key as ``"index"``), put into ``records`` as they arrive; ``save``
    rewrites ``output`` (atomically) every ``flush_seconds`` and at the end, also on Ctrl-C (then
    :class:`Interrupted` saying how many toys are saved). ``total`` counts the whole request
    (``len(keys)`` of it are missing); chunks of ``chunk`` keys (default ≤ 4, so that the last tasks
    leave no worker idle for long)."""
    from .progress import Progress

    state = {"last": time.monotonic(), "dirty": False}
    run: dict[str, Any] = {"done": 0, "workers": 0}

    def flush() -> None:
        if state["dirty"]:
            save()
            state["dirty"] = False
        state["last"] = time.monotonic()

    progress: Progress | None = None
    t0 = time.perf_counter()

    def take(_i: int, found: list[dict[str, Any]]) -> None:
        records.update((r["index"], r) for r in found)
        if not run["done"]:
            run["first_result_seconds"] = time.perf_counter() - t0
        run["done"] += len(found)
        state["dirty"] = True
        if progress:
            progress.update(len(found))
        if time.monotonic() - state["last"] >= flush_seconds:
            flush()

    try:
        with contextlib.ExitStack() as stack:
            if client is None:
                client = stack.enter_context(dask_client(workers, scheduler))
            k = n_workers(client)
            run["workers"] = k
            if show_progress:
                bar = Progress if show_progress is True else show_progress
                progress = bar(total, "toys", initial=total - len(keys))
            size = chunk or max(1, min(4, len(keys) // (8 * k)))
            chunks = [(keys[i : i + size],) for i in range(0, len(keys), size)]
            dask_map(fn, chunks, client=client, shared=shared, on_result=take)
    except Interrupted:
        flush()
        raise Interrupted(
            f"interrupted: {len(records)} toys saved in {output}; rerun the same command to fit the rest"
        ) from None
    finally:
        if progress:
            progress.close()
        flush()
    return run


def same_toy(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Equal results (every field but the fit time, bit for bit)."""
    for name in a:
        if name == "seconds":
            continue
        va, vb = np.asarray(a[name]), np.asarray(b[name])
        if va.shape != vb.shape or not np.array_equal(va, vb, equal_nan=True):
            return False
    return True


# --------------------------------------------------------------------------------------------------
# Worker side: one model (and likelihood) per config, kept between tasks
# --------------------------------------------------------------------------------------------------

_WORKER: dict[str, Any] = {}


def worker_model(config: Config):
    """The model of ``config`` in this process, built once (under the compile lock)."""
    from .likelihood import config_digest, warm_model

    key = config_digest(config)
    if _WORKER.get("model_key") != key:
        _WORKER.clear()
        _WORKER["model"] = warm_model(config)
        _WORKER["model_key"] = key
    return _WORKER["model"]


def worker_likelihood(config: Config, data: list[np.ndarray], statistic: str | None = None):
    """The likelihood of ``config`` on ``data`` in this process, built once per (config, data)."""
    from .likelihood import Likelihood

    model = worker_model(config)
    digest = hashlib.sha256(b"".join(np.ascontiguousarray(d, dtype=float).tobytes() for d in data)).hexdigest()
    key = (digest, statistic)
    if _WORKER.get("lik_key") != key:
        _WORKER["lik"] = Likelihood(model, [np.asarray(d, dtype=float) for d in data], statistic)
        _WORKER["lik_key"] = key
    return _WORKER["lik"]
