"""The one place for Numba settings (DESIGN.md §2): every kernel is compiled through :func:`kernel`.

Policy:

- float64 everywhere, ``cache=True``: compiled machine code is cached on disk, next to the modules
  (``juno_fit/**/__pycache__``) or, where that folder is not writable, in Numba's user cache
  directory; ``NUMBA_CACHE_DIR`` overrides both;
- ``fastmath=False``: kernels must agree with their NumPy twins to rounding; fast-math reassociation
  would break per-mille-exact sums;
- ``nogil=True``, no implicit parallelism (``parallel=False``): parallel work is spread over
  processes (one fit per process; Dask workers), never over threads inside a kernel;
- BLAS and OpenMP thread pools default to one thread (``juno_fit/__init__.py`` sets
  OMP_NUM_THREADS, OPENBLAS_NUM_THREADS, MKL_NUM_THREADS and NUMBA_NUM_THREADS to 1 unless the user
  set them): the arrays are a few thousand long, where threads cost more than they gain, and several
  worker processes on one machine would otherwise oversubscribe its cores.

Several processes starting at once: Numba writes each cache file to a temporary name and renames
it, so concurrent writers cannot corrupt the cache, but each would compile the kernels itself. The
command line and the ensemble workers therefore build their first model under
:func:`compile_lock`, an exclusive file lock per config: the first process of a config compiles
and writes the cache, the others of the same config wait and then load it, and a process building
another config (perhaps a slow one) never waits for it. Two different configs starting at the same
moment may both compile; Numba's atomic cache writes make that harmless.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numba

JIT_OPTIONS: dict[str, Any] = {"cache": True, "fastmath": False, "nogil": True, "error_model": "numpy"}

KERNELS: list[Any] = []  # every compiled kernel, for benchmarks and cache statistics


def kernel(func: Callable[..., Any]) -> Callable[..., Any]:
    """Compile ``func`` with the project's Numba options."""
    dispatcher = numba.njit(**JIT_OPTIONS)(func)
    KERNELS.append(dispatcher)
    return dispatcher


def cache_dir() -> Path:
    """Where the compile lock lives: NUMBA_CACHE_DIR if set, else the package's __pycache__ when
    writable, else a per-user folder in the temporary directory."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return Path(os.environ["NUMBA_CACHE_DIR"])
    here = Path(__file__).resolve().parent / "__pycache__"
    with contextlib.suppress(OSError):
        here.mkdir(exist_ok=True)
        if os.access(here, os.W_OK):
            return here
    return Path(tempfile.gettempdir()) / f"juno-fit-{os.getuid()}"


@contextlib.contextmanager
def compile_lock(key: str = "") -> Iterator[None]:
    """Hold an exclusive lock on ``<cache dir>/juno_fit_build.<key>.lock`` (see the module docstring);
    ``key`` names what is built (a config digest), so builds of different configs do not wait for
    each other."""
    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    name = f"juno_fit_build.{key[:16]}.lock" if key else "juno_fit_build.lock"
    with open(folder / name, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def cache_statistics() -> dict[str, tuple[int, int]]:
    """(cache hits, cache misses) per kernel that has been called in this process."""
    out = {}
    for k in KERNELS:
        stats = k.stats
        hits = sum(stats.cache_hits.values())
        misses = sum(stats.cache_misses.values())
        if hits or misses:
            out[f"{k.py_func.__module__}.{k.py_func.__name__}"] = (hits, misses)
    return out
