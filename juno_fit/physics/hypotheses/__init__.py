"""Oscillation hypotheses: plug-ins of the survival-probability stage (``[oscillation] model``).

Each hypothesis is a module with one class and an entry in :data:`HYPOTHESES`. A hypothesis gives,
for antineutrino energies E_j [MeV] and baselines L_r [m],

- ``probability(enu, baselines, std, extra, matter, density, electron_fraction, numba=True)``: P_ee,
  shape (len(baselines), len(enu));
- ``contraction(enu, baselines, weights, std, extra, matter, density, electron_fraction, numba=True)``:
  Σ_rj w_rj ∂P_rj/∂x for x the standard inputs (sin²θ12, sin²θ13, Δm²21, Δm²31, ρ) and then its own
  parameters, in the order of ``parameters``: the contraction the likelihood's exact gradient needs;

with ``std = (sin²θ12, sin²θ13, Δm²21, Δm²31)`` and ``extra`` the values of its own parameters. Each
has a Numba path and its NumPy twin (``numba=False``). The three active states keep the matter
treatment of the standard model (vacuum or the Khan–Nunokawa–Parke effective parameters,
:func:`juno_fit.physics.oscillation.effective_jacobian`); a hypothesis acts on top of it.
"""

from __future__ import annotations

from .decoherence import Decoherence
from .scalar_nsi import ScalarNSI
from .standard import Standard
from .sterile import Sterile3p1

# ``[oscillation] model`` → its hypothesis (the parameter names match config/objects.py MODEL_PARAMETERS)
HYPOTHESES = {
    "standard": Standard(),
    "sterile_3p1": Sterile3p1(),
    "decoherence": Decoherence(),
    "scalar_nsi": ScalarNSI(),
}

__all__ = ["HYPOTHESES", "Decoherence", "ScalarNSI", "Standard", "Sterile3p1"]
