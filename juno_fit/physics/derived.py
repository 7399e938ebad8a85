"""Quantities derived from the standard oscillation parameters, with their gradients, for external
constraints on them (``[fit] constraints``, e.g. an accelerator measurement of Δm²μμ).

With s12 = sin²θ12, s13 = sin²θ13 and the signed splittings:

- Δm²32 = Δm²31 − Δm²21;
- Δm²ee = cos²θ12 Δm²31 + sin²θ12 Δm²32 = Δm²31 − s12 Δm²21 (Nunokawa, Parke, Zukanovich Funchal,
  PRD 72 (2005) 013009, hep-ph/0503283; Daya Bay's effective splitting);
- Δm²μμ = sin²θ12 Δm²31 + cos²θ12 Δm²32 + cos δ sin θ13 sin 2θ12 tan θ23 Δm²21 (the same paper, eq. 6:
  the splitting a ν_μ disappearance experiment measures at first order);
- sin²2θ13 = 4 s13 (1 − s13).

Δm²μμ needs sin²θ23 and δ_CP, which P_ee does not contain: they are inputs (``[fit.derived]``), not
parameters. A constraint is on the magnitude, |q| = mean ± σ, so one measurement (accelerator
experiments measure |Δm²μμ| nearly equally in both orderings) applies to either ordering.
"""

from __future__ import annotations

import math

import numpy as np

DERIVED = ("dm2_32", "dm2_ee", "dm2_mumu", "sin2_2theta13")


def derived_value(name: str, s12, s13, dm21, dm31, *, sin2_theta23=0.5, delta_cp_deg=0.0):
    """(value, gradient with respect to (s12, s13, Δm²21, Δm²31)) of one derived quantity."""
    if name == "dm2_32":
        return dm31 - dm21, np.array([0.0, 0.0, -1.0, 1.0])
    if name == "dm2_ee":
        return dm31 - s12 * dm21, np.array([-dm21, 0.0, -s12, 1.0])
    if name == "sin2_2theta13":
        return 4.0 * s13 * (1.0 - s13), np.array([0.0, 4.0 - 8.0 * s13, 0.0, 0.0])
    if name == "dm2_mumu":
        k = math.cos(math.radians(delta_cp_deg)) * math.sqrt(sin2_theta23 / (1.0 - sin2_theta23))
        r13, r12 = math.sqrt(s13), math.sqrt(s12 * (1.0 - s12))  # sin θ13, sin 2θ12 / 2
        value = dm31 - (1.0 - s12) * dm21 + k * r13 * 2.0 * r12 * dm21
        grad = np.array(
            [
                dm21 + k * r13 * dm21 * (1.0 - 2.0 * s12) / r12,
                k * 2.0 * r12 * dm21 / (2.0 * r13),
                -(1.0 - s12) + k * r13 * 2.0 * r12,
                1.0,
            ]
        )
        return value, grad
    raise ValueError(f"unknown derived quantity {name!r} (accepted: {', '.join(DERIVED)})")


STANDARD = ("sin2_theta12", "sin2_theta13", "dm2_21", "dm2_31")


def derived_priors(theta, index, constraints, inputs, grad=None) -> float:
    """Σ ((|q(θ)| − mean)/σ)² over those of the constraints ``{name: (mean, σ)}`` that are on derived
    quantities; ``index`` holds the positions of :data:`STANDARD` in θ; ``inputs`` are ``sin2_theta23``
    and ``delta_cp`` (degrees). Adds the gradient into ``grad`` when given."""
    total = 0.0
    x = [float(theta[i]) for i in index]
    settings = {"sin2_theta23": inputs["sin2_theta23"], "delta_cp_deg": inputs["delta_cp"]}
    for name, (mean, sigma) in constraints.items():
        if name not in DERIVED:
            continue
        value, g = derived_value(name, *x, **settings)
        pull = (abs(value) - mean) / sigma
        total += pull * pull
        if grad is not None:
            grad[index] += 2.0 * pull / sigma * math.copysign(1.0, value) * g
    return total
