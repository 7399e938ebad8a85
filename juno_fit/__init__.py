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

# The public API (juno_fit/api.py, juno_fit/results.py), imported when first used so that
# ``import juno_fit`` stays light: name → module that defines it.
_PUBLIC = {
    "input_path": "api",
    "load_config": "api",
    "build_model": "api",
    "asimov": "api",
    "pseudo_experiment": "api",
    "read_data": "api",
    "Likelihood": "api",
    "fit": "api",
    "scan": "api",
    "contour": "api",
    "exclusion": "studies",
    "nmo": "studies",
    "precision": "studies",
    "toys": "studies",
    "feldman_cousins": "studies",
    "FitResult": "results",
    "ScanResult": "results",
    "ContourResult": "results",
    "ExclusionResult": "study_results",
    "NmoResult": "study_results",
    "PrecisionResult": "study_results",
    "ToysResult": "study_results",
    "FeldmanCousinsResult": "study_results",
    "Dataset": "datasets",
    "JointConfig": "joint",
    "JunoFitError": "errors",
    "ConfigError": "errors",
    "DataError": "errors",
}

__all__ = ["__version__", *_PUBLIC, "plots"]


def __getattr__(name: str):
    import importlib

    if name in _PUBLIC:
        value = getattr(importlib.import_module(f".{_PUBLIC[name]}", __name__), name)
        globals()[name] = value
        return value
    if name == "plots":
        return importlib.import_module(".plots", __name__)
    raise AttributeError(f"module 'juno_fit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
