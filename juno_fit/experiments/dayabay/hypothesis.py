"""The oscillation hypotheses beyond three flavours (:mod:`juno_fit.physics.hypotheses`) in the Daya Bay
model: P_ee on the release's mesh for every detector and reactor, and the gradient through the
hypothesis' contraction.

The hypotheses work in the standard parametrisation (sin²θ12, sin²θ13, Δm²21, Δm²31) with the phase
constant of juno-fit; the Daya Bay model's parameters map to it through sin²θ = (1 − √(1 − sin²2θ))/2
(θ < 45°) and Δm²31 = Δm²32 + Δm²21, and its phase constant (the release's
``survival_probability_argument_factor``) enters through rescaled baselines, so the standard
hypothesis gives the model's own P_ee. The standard model keeps the model's own kernels.
"""

from __future__ import annotations

import math

import numpy as np

from ...constants import OSC_PHASE


def standard_inputs(s2t13: float, dm32: float, s2t12: float, dm21: float) -> tuple[tuple, np.ndarray]:
    """(s12, s13, Δm²21, Δm²31) and the matrix J with ∂(standard)/∂(Daya Bay) (rows: s12, s13, Δm²21,
    Δm²31; columns: sin²2θ13, Δm²32, sin²2θ12, Δm²21)."""
    r13, r12 = math.sqrt(max(1.0 - s2t13, 0.0)), math.sqrt(max(1.0 - s2t12, 0.0))
    std = (0.5 * (1.0 - r12), 0.5 * (1.0 - r13), dm21, dm32 + dm21)
    jac = np.zeros((4, 4))
    # at sin²2θ = 1 (θ = 45°, the parameters' upper limit, which a fit may touch) the derivative of
    # sin²θ is infinite: it is capped there
    jac[0, 2] = 0.25 / max(r12, 1e-12)
    jac[1, 0] = 0.25 / max(r13, 1e-12)
    jac[2, 3] = 1.0
    jac[3, 1] = 1.0
    jac[3, 3] = 1.0
    return std, jac


def scaled_baselines(baselines: np.ndarray, factor: float) -> np.ndarray:
    """Baselines [m] (detectors × reactors, flattened) rescaled so that juno-fit's phase constant gives
    the release's: OSC_PHASE L' = factor L / 4000."""
    return np.ascontiguousarray(np.ravel(baselines) * factor / (4000.0 * OSC_PHASE))


def probability(model, theta: np.ndarray) -> np.ndarray:
    """P_ee of the model's hypothesis, shape (detectors, reactors, mesh points)."""
    osc = model.config.oscillation
    std, _ = standard_inputs(*(float(x) for x in theta[model.i_osc]))
    enu, base = model.inputs.mesh.enu, model.inputs.baselines
    p = model.hypothesis.probability(
        enu,
        scaled_baselines(base, model.factor),
        std,
        theta[model.i_extra],
        osc.matter,
        osc.density,
        osc.electron_fraction,
        numba=model.backend == "numba",
    )
    return p.reshape((*base.shape, len(enu)))


def gradient(model, theta, p, f, a, b, raw_adj) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(∂χ²/∂(Daya Bay oscillation parameters), ∂χ²/∂(the hypothesis' own), ∂χ²/∂F per point) given
    ∂χ²/∂raw (spectra × fine bins), through W = ∂χ²/∂P (detectors × reactors × points)."""
    bins, det_of_pair = model.inputs.mesh.bin, model.det_of_pair
    g_pt = raw_adj[:, bins]  # (spectra, points)
    common = f[None, None, :] * a + b
    w = np.zeros(p.shape)
    np.add.at(w, det_of_pair, g_pt[:, None, :] * common)
    g_f = np.sum(g_pt[:, None, :] * p[det_of_pair] * a, axis=(0, 1))
    osc = model.config.oscillation
    std, jac = standard_inputs(*(float(x) for x in theta[model.i_osc]))
    g = model.hypothesis.contraction(
        model.inputs.mesh.enu,
        scaled_baselines(model.inputs.baselines, model.factor),
        w.reshape(-1, w.shape[-1]),
        std,
        theta[model.i_extra],
        osc.matter,
        osc.density,
        osc.electron_fraction,
        numba=model.backend == "numba",
    )
    return g[:4] @ jac, g[5:], g_f
