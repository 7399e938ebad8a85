"""Numba kernels of the Daya Bay model, each with its NumPy twin: the vacuum survival probability with its
derivatives, and the integration of the deposited-energy spectra with its adjoint."""

from __future__ import annotations

import numpy as np

from ..._numba import kernel

# --------------------------------------------------------------------------------------------------
# Kernels (each with its NumPy twin)
# --------------------------------------------------------------------------------------------------


def pee_numpy(enu, baselines, s2t13, dm32, s2t12, dm21, factor):
    """Vacuum P_ee at every (detector, reactor, point) and its derivatives with respect to
    (sin²2θ13, Δm²32, sin²2θ12, Δm²21); baselines in m, E_ν in MeV; phase Δ = Δm² L[km] factor/(4E).

    P = 1 − sin²2θ13 (sin²θ12 sin²Δ32 + cos²θ12 sin²Δ31) − sin²2θ12 cos⁴θ13 sin²Δ21, Δm²31 = Δm²32 + Δm²21.
    Returns (P (n_d, n_r, n), dP (4, n_d, n_r, n))."""
    root12 = np.sqrt(1.0 - s2t12)
    s12 = 0.5 * (1.0 - root12)
    c12 = 1.0 - s12
    root13 = np.sqrt(1.0 - s2t13)
    c13sq = 0.5 * (1.0 + root13)
    c13q = c13sq * c13sq
    ph = np.asarray(baselines, dtype=float)[:, :, None] * 1e-3 * factor / (4.0 * np.asarray(enu, dtype=float))
    a32, a31, a21 = dm32 * ph, (dm32 + dm21) * ph, dm21 * ph
    s32, s31, s21 = np.sin(a32) ** 2, np.sin(a31) ** 2, np.sin(a21) ** 2
    p = 1.0 - s2t13 * (s12 * s32 + c12 * s31) - s2t12 * c13q * s21
    ds12 = 0.25 / root12
    dp = np.empty((4, *p.shape))
    dp[0] = -(s12 * s32 + c12 * s31) + s2t12 * s21 * c13sq / (2.0 * root13)
    dp[1] = -s2t13 * ph * (s12 * np.sin(2.0 * a32) + c12 * np.sin(2.0 * a31))
    dp[2] = -s2t13 * ds12 * (s32 - s31) - c13q * s21
    dp[3] = -s2t13 * c12 * ph * np.sin(2.0 * a31) - s2t12 * c13q * ph * np.sin(2.0 * a21)
    return p, dp


@kernel
def solar_phase_kernel(enu, baselines, dm21, factor):
    """sin and cos of the solar phase Δ21 at every (detector, reactor, point): (2, n_d, n_r, n)."""
    n_d, n_r = baselines.shape
    n = enu.shape[0]
    out = np.empty((2, n_d, n_r, n))
    for d in range(n_d):
        for r in range(n_r):
            scale = baselines[d, r] * 1e-3 * factor / 4.0
            for i in range(n):
                a = dm21 * scale / enu[i]
                out[0, d, r, i] = np.sin(a)
                out[1, d, r, i] = np.cos(a)
    return out


@kernel
def pee_kernel(enu, baselines, s2t13, dm32, s2t12, dm21, factor, want_derivatives, solar):
    """Numba twin of :func:`pee_numpy` (derivatives only when ``want_derivatives``), given the solar
    phase's sin and cos (:func:`solar_phase_kernel`, computed once per Δm²21): Δ31 = Δ32 + Δ21 by angle
    addition, so a move of sin²2θ13 or Δm²32 costs one sin and one cos per point."""
    n_d, n_r = baselines.shape
    n = enu.shape[0]
    root12 = np.sqrt(1.0 - s2t12)
    s12 = 0.5 * (1.0 - root12)
    c12 = 1.0 - s12
    root13 = np.sqrt(1.0 - s2t13)
    c13sq = 0.5 * (1.0 + root13)
    c13q = c13sq * c13sq
    ds12 = 0.25 / root12
    p = np.empty((n_d, n_r, n))
    dp = np.empty((4, n_d, n_r, n)) if want_derivatives else np.empty((4, 0, 0, 0))
    for d in range(n_d):
        for r in range(n_r):
            scale = baselines[d, r] * 1e-3 * factor / 4.0
            for i in range(n):
                ph = scale / enu[i]
                x32 = np.sin(dm32 * ph)
                c32 = np.cos(dm32 * ph)
                x21 = solar[0, d, r, i]
                c21 = solar[1, d, r, i]
                x31 = x32 * c21 + c32 * x21
                c31 = c32 * c21 - x32 * x21
                s32 = x32 * x32
                s31 = x31 * x31
                s21 = x21 * x21
                p[d, r, i] = 1.0 - s2t13 * (s12 * s32 + c12 * s31) - s2t12 * c13q * s21
                if want_derivatives:
                    dp[0, d, r, i] = -(s12 * s32 + c12 * s31) + s2t12 * s21 * c13sq / (2.0 * root13)
                    dp[1, d, r, i] = -s2t13 * ph * 2.0 * (s12 * x32 * c32 + c12 * x31 * c31)
                    dp[2, d, r, i] = -s2t13 * ds12 * (s32 - s31) - c13q * s21
                    dp[3, d, r, i] = -s2t13 * c12 * ph * 2.0 * x31 * c31 - s2t12 * c13q * ph * 2.0 * x21 * c21
    return p, dp


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
