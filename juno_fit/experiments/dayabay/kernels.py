"""Numba kernels of the Daya Bay model, each with its NumPy twin: the integration of the deposited-energy
spectra and its adjoint. The survival probability in Daya Bay's parametrisation (sin²2θ13, Δm²32,
sin²2θ12, Δm²21) with its derivatives is the shared one of :mod:`juno_fit.physics.oscillation`."""

from __future__ import annotations

import numpy as np

from ..._numba import kernel
from ...physics.oscillation import pee_s2t_kernel as pee_kernel
from ...physics.oscillation import pee_s2t_numpy as pee_numpy
from ...physics.oscillation import solar_phase_kernel

__all__ = [
    "pee_kernel",
    "pee_numpy",
    "raw_adjoint_kernel",
    "raw_adjoint_numpy",
    "raw_kernel",
    "raw_numpy",
    "solar_phase_kernel",
]

# --------------------------------------------------------------------------------------------------
# Kernels (each with its NumPy twin)
# --------------------------------------------------------------------------------------------------


def raw_numpy(p, f, a, b, bins, det_of_pair, n_bins):
    """Counts per fine deposited-energy bin: raw[k, bin] = Σ_r Σ_points∈bin P (F A + B)."""
    vals = np.einsum("krp,krp->kp", p[det_of_pair], f[None, None, :] * a + b)
    out = np.zeros((a.shape[0], n_bins))
    for k in range(a.shape[0]):
        out[k] = np.bincount(bins, weights=vals[k], minlength=n_bins)
    return out


@kernel
def raw_kernel(p, f, a, b, bins, det_of_pair, n_bins):
    """Numba twin of :func:`raw_numpy`."""
    n_pairs, n_r, n = a.shape
    out = np.zeros((n_pairs, n_bins))
    for k in range(n_pairs):
        d = det_of_pair[k]
        for r in range(n_r):
            for i in range(n):
                out[k, bins[i]] += p[d, r, i] * (f[i] * a[k, r, i] + b[k, r, i])
    return out


def raw_adjoint_numpy(p, dp, f, a, b, bins, det_of_pair, adj):
    """Given adj = ∂χ²/∂raw (pairs × bins): (∂χ²/∂(sin²2θ13, Δm²32, sin²2θ12, Δm²21), ∂χ²/∂F per point)."""
    g_pt = adj[:, bins]  # (pairs, points)
    common = f[None, None, :] * a + b
    pk = p[det_of_pair]
    g = np.array([np.sum(g_pt[:, None, :] * dp[q][det_of_pair] * common) for q in range(4)])
    g_f = np.sum(g_pt[:, None, :] * pk * a, axis=(0, 1))
    return g, g_f


@kernel
def raw_adjoint_kernel(p, dp, f, a, b, bins, det_of_pair, adj):
    """Numba twin of :func:`raw_adjoint_numpy`."""
    n_pairs, n_r, n = a.shape
    g = np.zeros(4)
    g_f = np.zeros(n)
    for k in range(n_pairs):
        d = det_of_pair[k]
        for r in range(n_r):
            for i in range(n):
                w = adj[k, bins[i]]
                if w == 0.0:
                    continue
                common = f[i] * a[k, r, i] + b[k, r, i]
                for q in range(4):
                    g[q] += w * dp[q, d, r, i] * common
                g_f[i] += w * p[d, r, i] * a[k, r, i]
    return g, g_f
