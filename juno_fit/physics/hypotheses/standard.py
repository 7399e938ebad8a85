"""The standard three-flavour hypothesis: P_ee of :mod:`juno_fit.physics.oscillation`."""

from __future__ import annotations

import numpy as np

from .. import oscillation as osc


class Standard:
    """Three-flavour oscillation (vacuum, KNP matter or exact 3×3 diagonalisation); no parameters of
    its own."""

    name = "standard"
    parameters: tuple[str, ...] = ()

    def probability(self, enu, baselines, std, extra, matter, density, electron_fraction, *, numba=True, cells=None):
        s12, s13, dm21, dm31 = std
        if numba or matter == "exact":
            return osc.survival(enu, baselines, s12, s13, dm21, dm31, matter, density, electron_fraction)
        if matter == "vacuum" or density == 0.0:
            return osc.pee_vacuum_numpy(enu, baselines, s12, s13, dm21, dm31)
        return osc.pee_knp_numpy(enu, baselines, s12, s13, dm21, dm31, density, electron_fraction)

    def contraction(
        self, enu, baselines, weights, std, extra, matter, density, electron_fraction, *, numba=True, cells=None
    ):
        eff, jac = osc.effective_jacobian(enu, *std, matter, density, electron_fraction, numba=numba)
        if numba:
            g = osc.pee_adjoint_kernel(enu, baselines, np.ascontiguousarray(weights), eff)
        else:
            g = osc.pee_adjoint_numpy(enu, baselines, weights, eff)
        return np.einsum("oj,oij->i", g, jac)
