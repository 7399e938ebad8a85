"""Detector response: deposited prompt energy (fine bins) → reconstructed energy bins.

Chain, for each fine deposited-energy bin [d_k, d_k+1] holding n_k events:

1. nonlinearity and energy scale map its edges to visible energy, E_vis = s · E_dep · f(E_dep),
   f = f0 + Σ_i w_i (f_i − f0) (nominal LSNL curve plus pull curves with weights w_i ~ N(0, 1),
   "Daya Bay approach", PHYSICS.md §6.2), s the energy scale;
2. the events, spread uniformly over the visible interval [v_k, v_k+1] of width w_k, are smeared by
   a Gaussian of width σ(E) = E sqrt(a²/E + b² + c²/E²) at the interval's centre c_k. The uniform
   block convolved with the Gaussian is replaced by the Gaussian of equal mean and variance,
   s_k² = σ(c_k)² + w_k²/12: the two differ only in the fourth cumulant, −w⁴/120, which changes bin
   contents by about 1e-7 for 5 keV fine bins and σ ≥ 30 keV (benchmarks/accuracy_study.py);
3. the fraction falling into each reconstructed bin [e_b, e_b+1] is Φ((e_b+1 − c_k)/s_k) −
   Φ((e_b − c_k)/s_k), Φ the standard normal distribution.

Events leaving the binned range are lost, as in the detector. The response conserves counts: a fine
bin far inside the range puts exactly n_k into the reco bins (tested).

These fractions form a column-banded response matrix R (physics/banded.py) that depends only on the
detector parameters; the model rebuilds it when they move and otherwise applies it to each new
spectrum as a cheap matrix–vector product. The argument of Φ is clamped to ±``nsigma``: edges beyond
the window get Φ(∓nsigma), which keeps the response continuous in every parameter and drops the
fraction 2Φ(−nsigma) of each fine bin beyond the window (5.7e-7 at 5σ). Φ comes from a Hermite table
(exact to 5e-12). Kernel :func:`response_matrix_kernel` (Numba, loops over the window only) and its
twin :func:`response_matrix_numpy` (dense).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import ndtr

from .._numba import kernel
from ..config.objects import Nonlinearity

_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_INV_SQRT2PI = 1.0 / math.sqrt(2.0 * math.pi)

# Φ(x) by cubic Hermite interpolation between nodes 1/128 apart on [−9, 9], using Φ and its exact
# derivative φ at the nodes: the interpolation error is at most h⁴ max|Φ⁗|/384 ≈ 5e-12 (Φ⁗ = (3x − x³)φ,
# |Φ⁗| ≤ 0.55), with no transcendental function call. Beyond ±9, Φ is 0 or 1 to 1e-19.
_PHI_STEP = 1.0 / 128.0
_PHI_X0 = -9.0
_PHI_NODES = _PHI_X0 + _PHI_STEP * np.arange(round(18.0 / _PHI_STEP) + 1)
_PHI_VALUES = ndtr(_PHI_NODES)
_PHI_SLOPES = np.exp(-0.5 * _PHI_NODES**2) * _INV_SQRT2PI * _PHI_STEP  # φ × step (Hermite form)


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


def smearing_width(v_lo, v_hi, a, b, c):
    """s = sqrt(σ(c)² + w²/12) of a fine bin with visible edges v_lo, v_hi (see module docstring)."""
    vc = 0.5 * (v_lo + v_hi)
    w = v_hi - v_lo
    return np.sqrt(a * a * vc + b * b * vc * vc + c * c + w * w / 12.0)


def response_matrix_numpy(v_edges, a, b, c, reco_edges, nsigma):
    """Reference twin: the dense (n_reco × n_fine) matrix of fractions, T = Φ(clip(x, −n, n))."""
    vc = 0.5 * (v_edges[:-1] + v_edges[1:])
    s = smearing_width(v_edges[:-1], v_edges[1:], a, b, c)
    t = ndtr(np.clip((reco_edges[None, :] - vc[:, None]) / s[:, None], -nsigma, nsigma))
    return np.diff(t, axis=1).T


@kernel
def _phi_table(x, values, slopes):
    """Φ(x) from the Hermite table (see _PHI_STEP)."""
    u = (x - _PHI_X0) / _PHI_STEP
    if u <= 0.0:
        return 0.0
    j = int(u)
    if j >= values.shape[0] - 1:
        return 1.0
    t = u - j
    t2 = t * t
    t3 = t2 * t
    return (
        (2.0 * t3 - 3.0 * t2 + 1.0) * values[j]
        + (t3 - 2.0 * t2 + t) * slopes[j]
        + (-2.0 * t3 + 3.0 * t2) * values[j + 1]
        + (t3 - t2) * slopes[j + 1]
    )


@kernel
def _phi_table_slope(x, values, slopes):
    """dΦ/dx of the Hermite table interpolant (the exact derivative of what _phi_table returns)."""
    u = (x - _PHI_X0) / _PHI_STEP
    if u <= 0.0:
        return 0.0
    j = int(u)
    if j >= values.shape[0] - 1:
        return 0.0
    t = u - j
    t2 = t * t
    return (
        (6.0 * t2 - 6.0 * t) * (values[j] - values[j + 1])
        + (3.0 * t2 - 4.0 * t + 1.0) * slopes[j]
        + (3.0 * t2 - 2.0 * t) * slopes[j + 1]
    ) / _PHI_STEP


def normal_pdf_table(x):
    """Vectorised dΦ/dx of the Hermite table interpolant (NumPy twin of _phi_table_slope)."""
    x = np.asarray(x, dtype=float)
    u = (x - _PHI_X0) / _PHI_STEP
    j = np.clip(np.floor(u).astype(np.int64), 0, len(_PHI_VALUES) - 2)
    t = u - j
    t2 = t * t
    slope = (
        (6.0 * t2 - 6.0 * t) * (_PHI_VALUES[j] - _PHI_VALUES[j + 1])
        + (3.0 * t2 - 4.0 * t + 1.0) * _PHI_SLOPES[j]
        + (3.0 * t2 - 2.0 * t) * _PHI_SLOPES[j + 1]
    ) / _PHI_STEP
    return np.where((u <= 0.0) | (u >= len(_PHI_VALUES) - 1), 0.0, slope)


def normal_cdf(x):
    """Φ(x) as the response kernel evaluates it (Hermite table; exact to 5e-12)."""
    return np.array([_phi_table(float(v), _PHI_VALUES, _PHI_SLOPES) for v in np.atleast_1d(x)])


@kernel
def _window(vc, s, reco_edges, nsigma):
    """Edges [i0, i1) within ±nsigma s of a fine bin and the reco bins [first, last] it reaches."""
    n_edges = reco_edges.shape[0]
    i0 = np.searchsorted(reco_edges, vc - nsigma * s)
    i1 = np.searchsorted(reco_edges, vc + nsigma * s)
    first = max(i0, 1) - 1
    last = min(i1 - 1, n_edges - 2)
    return i0, i1, first, last


def response_matrix_kernel(v_edges, a, b, c, reco_edges, nsigma):
    """Column-banded response matrix (row0, ptr, values) of :func:`response_matrix_numpy`; Φ from
    the Hermite table (5e-12)."""
    return _response_matrix(v_edges, a, b, c, reco_edges, nsigma, _PHI_VALUES, _PHI_SLOPES)


@kernel
def _response_matrix(v_edges, a, b, c, reco_edges, nsigma, phi_values, phi_slopes):
    n_fine = v_edges.shape[0] - 1
    n_edges = reco_edges.shape[0]
    row0 = np.zeros(n_fine, dtype=np.int64)
    ptr = np.zeros(n_fine + 1, dtype=np.int64)
    centres = np.empty(n_fine)
    widths = np.empty(n_fine)
    for k in range(n_fine):
        vc = 0.5 * (v_edges[k] + v_edges[k + 1])
        w = v_edges[k + 1] - v_edges[k]
        centres[k] = vc
        widths[k] = math.sqrt(a * a * vc + b * b * vc * vc + c * c + w * w / 12.0)
        _i0, _i1, first, last = _window(vc, widths[k], reco_edges, nsigma)
        row0[k] = first
        ptr[k + 1] = ptr[k] + max(last - first + 1, 0)
    values = np.zeros(ptr[n_fine])
    t_low = _phi_table(-nsigma, phi_values, phi_slopes)
    t_high = _phi_table(nsigma, phi_values, phi_slopes)
    for k in range(n_fine):
        vc = centres[k]
        inv = 1.0 / widths[k]
        i0, i1, first, _last = _window(vc, widths[k], reco_edges, nsigma)
        base = ptr[k] - first
        t_prev = t_low  # Φ(−nsigma) at every edge below the window
        for i in range(i0, i1):
            t = _phi_table((reco_edges[i] - vc) * inv, phi_values, phi_slopes)
            if i >= 1:
                values[base + i - 1] += t - t_prev
            t_prev = t
        if 1 <= i1 <= n_edges - 1:
            values[base + i1 - 1] += t_high - t_prev  # Φ(+nsigma) at every edge above it
    return row0, ptr, values


# --------------------------------------------------------------------------------------------------
# Derivatives (for the exact gradient of the likelihood)
# --------------------------------------------------------------------------------------------------


def response_adjoint_numpy(v_edges, a, b, c, reco_edges, nsigma, alpha, h):
    """(D_c, D_s): for each fine bin k, Σ_b α_kb ∂R_bk/∂c_k and Σ_b α_kb ∂R_bk/∂s_k, where c_k and s_k
    are the centre and smearing width of fine bin k and α_kb = Σ_m alpha[m, b] h[m, k] (several
    spectra h with their reco-bin adjoints alpha). Twin of :func:`response_adjoint_kernel`.

    With x = (e − c)/s and T = Φ(x): ∂T/∂c = −φ(x)/s, ∂T/∂s = −φ(x) x/s; R_bk = T(e_b+1) − T(e_b).
    """
    vc = 0.5 * (v_edges[:-1] + v_edges[1:])
    s = smearing_width(v_edges[:-1], v_edges[1:], a, b, c)
    x = (reco_edges[None, :] - vc[:, None]) / s[:, None]
    phi = np.where(np.abs(x) < nsigma, normal_pdf_table(x), 0.0)  # derivative of the Φ the kernels use
    dt_dc = -phi / s[:, None]
    dt_ds = -phi * x / s[:, None]
    coef = np.einsum("mb,mk->kb", alpha, h)  # (n_fine, n_bins)
    padded = np.concatenate([np.zeros((coef.shape[0], 1)), coef, np.zeros((coef.shape[0], 1))], axis=1)
    edge_weight = padded[:, :-1] - padded[:, 1:]  # α_{below} − α_{above} at each edge
    return np.sum(edge_weight * dt_dc, axis=1), np.sum(edge_weight * dt_ds, axis=1)


def response_adjoint_kernel(v_edges, a, b, c, reco_edges, nsigma, alpha, h):
    """Numba twin of :func:`response_adjoint_numpy`, with the same ±nsigma window and the same Φ
    table as :func:`response_matrix_kernel` (edges outside the window have T = 0 or 1 and zero
    derivative; φ is the derivative of the table interpolant, so the gradient is exact for the
    computed response)."""
    return _response_adjoint(v_edges, a, b, c, reco_edges, nsigma, alpha, h, _PHI_VALUES, _PHI_SLOPES)


@kernel
def _response_adjoint(v_edges, a, b, c, reco_edges, nsigma, alpha, h, phi_values, phi_slopes):
    n_fine = v_edges.shape[0] - 1
    n_edges = reco_edges.shape[0]
    n_bins = n_edges - 1
    n_spec = h.shape[0]
    d_c = np.zeros(n_fine)
    d_s = np.zeros(n_fine)
    for k in range(n_fine):
        active = False
        for m in range(n_spec):
            if h[m, k] != 0.0:
                active = True
        if not active:
            continue
        vc = 0.5 * (v_edges[k] + v_edges[k + 1])
        w = v_edges[k + 1] - v_edges[k]
        s = math.sqrt(a * a * vc + b * b * vc * vc + c * c + w * w / 12.0)
        i0, i1, _first, _last = _window(vc, s, reco_edges, nsigma)
        acc_c = 0.0
        acc_s = 0.0
        for i in range(i0, i1):
            below = 0.0
            above = 0.0
            for m in range(n_spec):
                if i >= 1:
                    below += alpha[m, i - 1] * h[m, k]
                if i <= n_bins - 1:
                    above += alpha[m, i] * h[m, k]
            x = (reco_edges[i] - vc) / s
            phi = _phi_table_slope(x, phi_values, phi_slopes)
            weight = below - above
            acc_c -= weight * phi / s
            acc_s -= weight * phi * x / s
        d_c[k] = acc_c
        d_s[k] = acc_s
    return d_c, d_s


def detector_parameter_gradient(edep_edges, f0, dpulls, weights, escale, a, b, c, d_c, d_s):
    """Chain (D_c, D_s) per fine bin to (∂/∂escale, ∂/∂pull_p..., ∂/∂a, ∂/∂b, ∂/∂c).

    v_n = escale E_n f(E_n) at fine edge n; c_k = (v_k + v_k+1)/2, w_k = v_k+1 − v_k,
    s_k² = a² c_k + b² c_k² + c² + w_k²/12.
    """
    v = visible_edges(edep_edges, f0, dpulls, weights, escale)
    vc = 0.5 * (v[:-1] + v[1:])
    w = v[1:] - v[:-1]
    s = np.sqrt(a * a * vc + b * b * vc * vc + c * c + w * w / 12.0)
    e_c = d_c + d_s * (a * a + 2.0 * b * b * vc) / (2.0 * s)
    e_w = d_s * w / (12.0 * s)
    dv = np.zeros(len(v))  # ∂S/∂v_n
    dv[1:] += 0.5 * e_c + e_w
    dv[:-1] += 0.5 * e_c - e_w
    grad_escale = float(np.dot(dv, edep_edges * (f0 + (weights @ dpulls if len(weights) else 0.0))))
    grad_pulls = escale * (dpulls * edep_edges[None, :]) @ dv if len(weights) else np.zeros(0)
    grad_abc = np.array([np.dot(d_s, a * vc / s), np.dot(d_s, b * vc * vc / s), np.dot(d_s, c / s)])
    return grad_escale, grad_pulls, grad_abc
