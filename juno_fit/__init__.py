"""juno-fit: reactor antineutrino oscillation fits for JUNO-like experiments.

The chain is config → model (reactor flux × IBD cross section × survival probability, folded through
the detector response, plus backgrounds) → expected counts per prompt-energy bin. See README.md,
section "Architecture".
"""

from __future__ import annotations

import os as _os

# One BLAS/OpenMP/Numba thread per process unless the user chose otherwise (juno_fit/threads.py):
# set before NumPy is first imported through this package; juno_fit.threads also applies the limit
# at run time, for when NumPy was imported first.
_USER_THREADS = {}
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    _USER_THREADS[_var] = _os.environ.get(_var)
    _os.environ.setdefault(_var, "1")

from .threads import USER_CHOICE as _USER_CHOICE  # noqa: E402  (threadpoolctl imports no NumPy)

_USER_CHOICE.update(_USER_THREADS)

__version__ = "0.1.0"

__all__ = ["__version__"]
