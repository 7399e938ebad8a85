"""juno-fit: reactor antineutrino oscillation fits for JUNO-like experiments.

The chain is config → model (reactor flux × IBD cross section × survival probability, folded through
the detector response, plus backgrounds) → expected counts per prompt-energy bin. See README.md,
section "Architecture".
"""

from __future__ import annotations

import os as _os

# One BLAS/OpenMP/Numba thread per process unless the user chose otherwise (juno_fit/_numba.py):
# set before NumPy is first imported through this package.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    _os.environ.setdefault(_var, "1")

__version__ = "0.1.0"

__all__ = ["__version__"]
