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
from ...physics.averaging import SUMMED, Cells
from ...physics.oscillation import s2t_to_standard


def standard_inputs(s2t13: float, dm32: float, s2t12: float, dm21: float) -> tuple[tuple, np.ndarray]:
    """(s12, s13, Δm²21, Δm²31) (:func:`~juno_fit.physics.oscillation.s2t_to_standard`) and the matrix J
    with ∂(standard)/∂(Daya Bay) (rows: s12, s13, Δm²21, Δm²31; columns: sin²2θ13, Δm²32, sin²2θ12,
    Δm²21)."""
    std = tuple(float(x) for x in s2t_to_standard((s2t13, dm32, s2t12, dm21)))
    jac = np.zeros((4, 4))
    # d sin²θ / d sin²2θ = 1/(4 √(1 − sin²2θ)); at sin²2θ = 1 (θ = 45°, the parameters' upper limit,
    # which a fit may touch) it is infinite and capped
    jac[0, 2] = 0.25 / max(math.sqrt(max(1.0 - s2t12, 0.0)), 1e-12)
    jac[1, 0] = 0.25 / max(math.sqrt(max(1.0 - s2t13, 0.0)), 1e-12)
    jac[2, 3] = 1.0
    jac[3, 1] = 1.0
    jac[3, 3] = 1.0
    return std, jac


def scaled_baselines(baselines: np.ndarray, factor: float) -> np.ndarray:
    """Baselines [m] (detectors × reactors, flattened) rescaled so that juno-fit's phase constant gives
    the release's: OSC_PHASE L' = factor L / 4000."""
    return np.ascontiguousarray(np.ravel(baselines) * factor / (4000.0 * OSC_PHASE))


def _arguments(model, theta: np.ndarray) -> tuple[dict, np.ndarray]:
    """The hypothesis' arguments for the model at θ (keywords for ``probability``/``contraction``,
    without the weights) and J of :func:`standard_inputs`."""
    osc = model.config.oscillation
    std, jac = standard_inputs(*(float(x) for x in theta[model.i_osc]))
    args = {
        "enu": model.inputs.mesh.enu,
        "baselines": scaled_baselines(model.inputs.baselines, model.factor),
        "std": std,
        "extra": theta[model.i_extra],
        "matter": osc.matter,
        "density": osc.density,
        "electron_fraction": osc.electron_fraction,
        "numba": model.backend == "numba",
        "cells": Cells(model.inputs.mesh.enu_lo, model.inputs.mesh.enu_hi, SUMMED),  # a summed quadrature
    }
    return args, jac


def probability(model, theta: np.ndarray) -> np.ndarray:
    """P_ee of the model's hypothesis, shape (detectors, reactors, mesh points)."""
    args, _ = _arguments(model, theta)
    return model.hypothesis.probability(**args).reshape((*model.inputs.baselines.shape, len(args["enu"])))


def gradient(model, theta, p, f, a, b, raw_adj) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(∂χ²/∂(Daya Bay oscillation parameters), ∂χ²/∂(the hypothesis' own), ∂χ²/∂F per point) given
    ∂χ²/∂raw (spectra × fine bins), through W = ∂χ²/∂P (detectors × reactors × points)."""
    bins, det_of_pair = model.inputs.mesh.bin, model.det_of_pair
    g_pt = raw_adj[:, bins]  # (spectra, points)
    common = f[None, None, :] * a + b
    w = np.zeros(p.shape)
    np.add.at(w, det_of_pair, g_pt[:, None, :] * common)
    g_f = np.sum(g_pt[:, None, :] * p[det_of_pair] * a, axis=(0, 1))
    args, jac = _arguments(model, theta)
    g = model.hypothesis.contraction(weights=w.reshape(-1, w.shape[-1]), **args)
    return g[:4] @ jac, g[5:], g_f
