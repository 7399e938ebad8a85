"""What the hypotheses that act on the three active states' effective parameters share: the matter
treatment of the standard model (vacuum or KNP, :func:`juno_fit.physics.oscillation.effective_jacobian`)
gives the effective (s12, s13, Δm²21, Δm²31, Δm²32) per energy; a kernel and its NumPy twin turn them and
the hypothesis' own parameters into P_ee, an adjoint kernel and its twin into the contraction."""

from __future__ import annotations

import numpy as np

from .. import averaging as avg
from .. import oscillation as osc


class OnEffectiveParameters:
    """Base of a hypothesis computed from the effective parameters. A subclass sets ``name``,
    ``parameters``, the four functions ``kernel``, ``numpy``, ``adjoint_kernel``, ``adjoint_numpy``
    (signatures ``(enu, baselines, eff, *own)`` and ``(enu, baselines, weights, eff, *own)``, the adjoint
    returning rows for the five effective parameters and then its own) and ``own(extra)``, the kernels'
    arguments from the values of ``parameters``; ``own_rows`` maps ``parameters`` to adjoint rows.

    ``cells``, the E_ν cell of each node and the grid's blend (:class:`~juno_fit.physics.averaging.Cells`),
    reaches a hypothesis with ``averages = True`` as the kernels' last four arguments (the node values
    when none is given); the others ignore it."""

    name = ""
    parameters: tuple[str, ...] = ()
    own_rows: tuple[int, ...] = ()
    averages = False

    def own(self, extra) -> tuple[float, ...]:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def _own(self, enu, extra, cells) -> tuple:
        if not self.averages:
            return self.own(extra)
        if cells is None:
            return (*self.own(extra), enu, enu, 0.0, 0.0)
        lo, hi = (np.ascontiguousarray(c, dtype=float) for c in cells[:2])
        blend = tuple(cells[2]) if len(cells) > 2 else avg.INTERPOLATED
        return (*self.own(extra), lo, hi, float(blend[0]), float(blend[1]))

    def probability(self, enu, baselines, std, extra, matter, density, electron_fraction, *, numba=True, cells=None):
        eff = osc.effective_parameters(enu, *std, matter, density, electron_fraction)
        enu = np.ascontiguousarray(enu, dtype=float)
        baselines = np.ascontiguousarray(baselines, dtype=float)
        if numba:
            return type(self).kernel(enu, baselines, np.ascontiguousarray(eff), *self._own(enu, extra, cells))
        return type(self).numpy(enu, baselines, eff, *self._own(enu, extra, cells))

    def contraction(
        self, enu, baselines, weights, std, extra, matter, density, electron_fraction, *, numba=True, cells=None
    ):
        eff, jac = osc.effective_jacobian(enu, *std, matter, density, electron_fraction, numba=numba)
        args = (
            np.ascontiguousarray(enu, dtype=float),
            np.ascontiguousarray(baselines, dtype=float),
            np.ascontiguousarray(weights, dtype=float),
            np.ascontiguousarray(eff),
            *self._own(np.ascontiguousarray(enu, dtype=float), extra, cells),
        )
        g = type(self).adjoint_kernel(*args) if numba else type(self).adjoint_numpy(*args)
        return np.concatenate([np.einsum("oj,oij->i", g[:5], jac), [g[row].sum() for row in self.own_rows]])
