"""The one place for Numba settings (DESIGN.md §2): every kernel is compiled through :func:`kernel`.

Policy: float64 everywhere, ``cache=True`` (compiled code is cached next to the modules, or in
NUMBA_CACHE_DIR when that is set), ``fastmath=False`` (kernels must agree with their NumPy twins to
rounding; fast-math reassociation would break per-mille-exact sums), ``nogil=True`` so threads can
share a process, no implicit parallelism (parallel work is spread over processes by the ensemble
layer).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numba

JIT_OPTIONS: dict[str, Any] = {"cache": True, "fastmath": False, "nogil": True, "error_model": "numpy"}


def kernel(func: Callable[..., Any]) -> Callable[..., Any]:
    """Compile ``func`` with the project's Numba options."""
    return numba.njit(**JIT_OPTIONS)(func)
