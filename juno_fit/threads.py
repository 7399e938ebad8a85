"""How many threads the BLAS and OpenMP pools of this process use while juno-fit works.

The kernels and fits run on arrays of a few thousand numbers, where threads cost more than they
gain, and parallel work is spread over processes (DESIGN.md §2). Importing juno_fit sets
OMP_NUM_THREADS, OPENBLAS_NUM_THREADS, MKL_NUM_THREADS and NUMBA_NUM_THREADS to 1 unless the user
set them, but that only works when NumPy is imported after juno_fit. :func:`limited_threads`
therefore also limits the pools at run time (threadpoolctl), whatever was imported first: to the
number the user chose in those variables before juno_fit was imported, else to one thread.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from threadpoolctl import threadpool_limits

F = TypeVar("F", bound=Callable[..., Any])

# Filled by juno_fit/__init__.py before it sets its defaults: the user's own choice, if any.
USER_CHOICE: dict[str, str | None] = {}


def thread_count() -> int:
    """The user's OMP_NUM_THREADS (or OPENBLAS_/MKL_NUM_THREADS) when set to a positive integer, else 1."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        value = USER_CHOICE.get(var)
        if value and value.strip().isdigit() and int(value) > 0:
            return int(value)
    return 1


@contextlib.contextmanager
def limited_threads() -> Iterator[int]:
    """Limit the BLAS/OpenMP pools to :func:`thread_count` threads inside the block; yields the count."""
    n = thread_count()
    with threadpool_limits(limits=n):
        yield n


def thread_limited(fn: F) -> F:
    """Decorator: run ``fn`` inside :func:`limited_threads` (costs about 0.5 ms a call)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with limited_threads():
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
