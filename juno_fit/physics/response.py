"""Detector response: deposited prompt energy (fine bins) → reconstructed energy bins.

Chain, for each fine deposited-energy bin [d_k, d_k+1] holding n_k events:

1. nonlinearity and energy scale map its edges to visible energy, E_vis = s · E_dep · f(E_dep),
   f = f0 + Σ_i w_i (f_i − f0) (nominal LSNL curve plus pull curves with weights w_i ~ N(0, 1),
   "Daya Bay approach", PHYSICS.md §6.2), s the energy scale;
2. the events are spread uniformly over the visible interval [v_k, v_k+1] (the fine bins are narrow
   against the resolution) and smeared by a Gaussian of width σ(E) = E sqrt(a²/E + b² + c²/E²)
   evaluated at the interval's centre;
3. the fraction falling into each reconstructed bin is integrated exactly: for a uniform interval of
   width w convolved with a Gaussian, the fraction below an edge e is

       T(e) = σ/w [G((e − v_k)/σ) − G((e − v_k+1)/σ)],   G(x) = x Φ(x) + φ(x),

   with Φ, φ the standard normal distribution and density (G' = Φ), and a bin receives
   n_k [T(upper) − T(lower)].

Events leaving the binned range are lost, as in the detector. The response conserves counts: a fine
bin far inside the range puts exactly n_k into the reco bins (tested).

These fractions form a column-banded response matrix R (physics/banded.py) that depends only on the
detector parameters; the model rebuilds it when they move and otherwise applies it to each new
spectrum as a cheap matrix–vector product. Kernel :func:`response_matrix_kernel` (Numba, window of
±``nsigma`` σ) and its twin :func:`response_matrix_numpy` (dense, no window).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import ndtr

from .._numba import kernel
from ..config import Nonlinearity

_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_INV_SQRT2PI = 1.0 / math.sqrt(2.0 * math.pi)


def nonlinearity_at(edep: np.ndarray, nl: Nonlinearity) -> tuple[np.ndarray, np.ndarray]:
    """Nominal curve f0 and pull differences f_i − f0 at ``edep`` (linear interpolation, constant
    beyond the table ends). Returns (f0, dpulls) with shapes (N,) and (n_pulls, N); f0 = 1 for "none"."""
    edep = np.asarray(edep, dtype=float)
    if nl.model == "none":
        return np.ones_like(edep), np.zeros((0, len(edep)))
    f0 = np.interp(edep, nl.energy, nl.nominal)
    dpulls = np.array([np.interp(edep, nl.energy, p) for p in nl.pulls]).reshape(len(nl.pulls), len(edep)) - f0
    return f0, dpulls


def visible_edges(
    edep_edges: np.ndarray, f0: np.ndarray, dpulls: np.ndarray, weights: np.ndarray, escale: float
) -> np.ndarray:
    """E_vis = s · E_dep · (f0 + Σ w_i (f_i − f0)) at the fine-bin edges."""
    f = f0 + weights @ dpulls if len(weights) else f0
    return escale * edep_edges * f


def resolution_sigma(e_vis, a: float, b: float, c: float):
    """σ(E) = sqrt(a² E + b² E² + c²) [MeV] for σ/E = sqrt(a²/E + b² + c²/E²)."""
    return np.sqrt(a * a * e_vis + b * b * e_vis * e_vis + c * c)


def _g_numpy(x):
    return x * ndtr(x) + np.exp(-0.5 * x * x) * _INV_SQRT2PI


def response_matrix_numpy(v_edges, a, b, c, reco_edges):
    """Reference twin: the dense (n_reco × n_fine) matrix of fractions, all edges, no window."""
    vl, vh = v_edges[:-1], v_edges[1:]
    vc = 0.5 * (vl + vh)
    w = vh - vl
    sig = resolution_sigma(vc, a, b, c)[:, None]
    e = reco_edges[None, :]
    t = sig / w[:, None] * (_g_numpy((e - vl[:, None]) / sig) - _g_numpy((e - vh[:, None]) / sig))
    return np.diff(t, axis=1).T


@kernel
def _g(x):
    return x * 0.5 * math.erfc(-x * _INV_SQRT2) + math.exp(-0.5 * x * x) * _INV_SQRT2PI


@kernel
def _window(vl, vh, sig, reco_edges, nsigma):
    """Edges [i0, i1) within ±nsigma σ of a fine bin and the reco bins [first, last] it reaches."""
    n_edges = reco_edges.shape[0]
    i0 = np.searchsorted(reco_edges, vl - nsigma * sig)
    i1 = np.searchsorted(reco_edges, vh + nsigma * sig)
    first = max(i0, 1) - 1
    last = min(i1 - 1, n_edges - 2)
    return i0, i1, first, last


@kernel
def response_matrix_kernel(v_edges, a, b, c, reco_edges, nsigma):
    """Column-banded response matrix (row0, ptr, values) of :func:`response_matrix_numpy`: only reco
    edges within ±nsigma σ of each fine bin are evaluated (T = 0 below, 1 above; the neglected tail
    is Φ(−nsigma) of the fine bin's content)."""
    n_fine = v_edges.shape[0] - 1
    n_edges = reco_edges.shape[0]
    row0 = np.zeros(n_fine, dtype=np.int64)
    ptr = np.zeros(n_fine + 1, dtype=np.int64)
    sigs = np.empty(n_fine)
    for k in range(n_fine):
        vc = 0.5 * (v_edges[k] + v_edges[k + 1])
        sigs[k] = math.sqrt(a * a * vc + b * b * vc * vc + c * c)
        _i0, _i1, first, last = _window(v_edges[k], v_edges[k + 1], sigs[k], reco_edges, nsigma)
        row0[k] = first
        ptr[k + 1] = ptr[k] + max(last - first + 1, 0)
    values = np.zeros(ptr[n_fine])
    for k in range(n_fine):
        vl = v_edges[k]
        vh = v_edges[k + 1]
        sig = sigs[k]
        i0, i1, first, _last = _window(vl, vh, sig, reco_edges, nsigma)
        base = ptr[k] - first
        scale = sig / (vh - vl)
        t_prev = 0.0
        for i in range(i0, i1):
            e = reco_edges[i]
            t = scale * (_g((e - vl) / sig) - _g((e - vh) / sig))
            if i >= 1:
                values[base + i - 1] += t - t_prev
            t_prev = t
        if 1 <= i1 <= n_edges - 1:
            values[base + i1 - 1] += 1.0 - t_prev
    return row0, ptr, values
