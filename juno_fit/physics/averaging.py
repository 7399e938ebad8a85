"""Exact averages of a fast oscillation over an energy cell: cos(c/E) averaged over E ∈ [a, b].

An oscillation faster than the energy grid resolves (a sterile Δm²41 well above ``[numerics] dm2_max``)
must not be sampled at the grid's nodes: the samples alias into slow spurious wiggles. Each node j of a
quadrature rule stands for a cell [a_j, b_j] of the axis (its share of the rule's weight: for Gauss–
Legendre the cumulative weights cut the panel into cells that each hold their node); replacing the
node value of the oscillating term by its average over the cell makes the integral of the term exact
over every cell when the smooth factors (flux, cross section) are constant across it, and sends the
term to zero as the oscillation becomes fast, which is what the detector's resolution does.

With x = c/E (c = 2 OSC_PHASE Δm² L, either sign; cos is even), ∫ cos(c/E) dE = E cos(c/E) + c Si(c/E)
(differentiate: cos(c/E) + (c/E) sin(c/E) − (c/E) sin(c/E)), so with G(x) = cos x + x (Si(x) − π/2)
(x ≥ 0; the constant c π/2 cancels between the limits)

    A(c) = [E G(|c|/E)]_a^b / (b − a),     dA/dc = [Si(c/E)]_a^b / (b − a),

both exact. The sine integral comes from its power series for x < 2 and from the continued fraction of
the exponential integral E1(ix) = −Ci(x) + i (Si(x) − π/2) = e^{−ix} h(x),
h = 1/(ix + 1 − 1²/(ix + 3 − 2²/(ix + 5 − …))), for x ≥ 2 (modified Lentz), which gives
Si(x) − π/2 = h_i cos x − h_r sin x and G(x) = cos x (1 + x h_i) − x h_r sin x without cancelling the
large terms c π/2 against each other. Where the phase changes by less than 0.1 rad across the cell the
average is a 3-point Gauss–Legendre rule instead (error below 1e-13, and no cancellation between the
limits). A cell of zero width gives the point value: A = cos(c/E), dA/dc = −sin(c/E)/E.

Where the grid resolves the oscillation its node values are the better input of the quadrature (the
grid's own interpolation is exact to higher order; a cell average there acts as a slight extra energy
smearing: 5e-4 of JUNO's spectrum at its grid's dm2_max). For such a grid :func:`cell_cos` takes the node
value while the phase changes by less than 0.9 rad across the cell, the cell average above 1.8 rad,
and blends the two in between with a smooth step w(δ) = t²(3 − 2t), t = (δ − 0.9)/0.9, of the phase δ
across the cell, so that the result and its derivative are continuous in Δm² (a fit may move Δm²41
across). The JUNO-like grid's widest cell (the middle one of three Gauss–Legendre nodes, 4/9 of a
panel) sees 0.89 rad at ``dm2_max`` (``panel_phase`` = 2 rad per panel), so up to ``dm2_max`` every
node keeps its value. A quadrature that sums node values (Daya Bay's mesh) takes the cell averages
throughout (:class:`Cells`).

The NumPy twin takes h from :func:`scipy.special.exp1` of the imaginary argument (an independent
implementation).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy.special import exp1

from .._numba import kernel

HALF_PI = 0.5 * math.pi
_SERIES_MAX = 2.0  # power series of Si below, continued fraction above
_SMALL_PHASE = 0.1  # rad across the cell: a 3-point Gauss–Legendre rule instead of the closed form
_GL3_X = (-math.sqrt(0.6), 0.0, math.sqrt(0.6))
_GL3_W = (5.0 / 9.0, 8.0 / 9.0, 5.0 / 9.0)


@kernel
def si_g(x):
    """(Si(x) − π/2, G(x) = cos x + x (Si(x) − π/2)) for x ≥ 0."""
    if x < _SERIES_MAX:
        term = x
        total = x
        n = 0
        while abs(term) > 1e-17 * abs(total):
            n += 1
            term *= -x * x / ((2.0 * n) * (2.0 * n + 1.0))
            total += term / (2.0 * n + 1.0)
        s = total - HALF_PI
        return s, math.cos(x) + x * s
    # modified Lentz for h = 1/(b0 + a1/(b1 + a2/(b2 + ...))), b_k = ix + 2k + 1, a_k = −k²
    tiny = 1e-300
    b = complex(1.0, x)
    d = 1.0 / b
    f = d
    cc = 1.0 / tiny
    for k in range(1, 200):
        a = -float(k * k)
        b += 2.0
        d = 1.0 / (a * d + b)
        cc = b + a / cc
        delta = cc * d
        f *= delta
        if abs(delta - 1.0) < 1e-16:
            break
    cx, sx = math.cos(x), math.sin(x)
    s = f.imag * cx - f.real * sx
    g = cx * (1.0 + x * f.imag) - x * f.real * sx
    return s, g


@kernel
def average_cos(c, lo, hi, e):
    """(A, dA/dc): the average of cos(c/E) over E ∈ [lo, hi] and its derivative; the point value at
    E = e when lo == hi."""
    width = hi - lo
    if width <= 0.0:
        return math.cos(c / e), -math.sin(c / e) / e
    if abs(c) * width / (lo * hi) < _SMALL_PHASE:
        mid, half = 0.5 * (lo + hi), 0.5 * width
        a = 0.0
        da = 0.0
        for k in range(3):
            ek = mid + half * _GL3_X[k]
            a += _GL3_W[k] * math.cos(c / ek)
            da -= _GL3_W[k] * math.sin(c / ek) / ek
        return 0.5 * a, 0.5 * da
    ac = abs(c)
    s_hi, g_hi = si_g(ac / hi)
    s_lo, g_lo = si_g(ac / lo)
    a = (hi * g_hi - lo * g_lo) / width
    da = (s_hi - s_lo) / width  # Si(c/E) − π/2 at both limits: the π/2 cancels
    return a, da if c >= 0.0 else -da


def _si_g_numpy(x):
    """NumPy twin of :func:`si_g` (x > 0) through scipy's E1 of an imaginary argument."""
    h = np.exp(1j * x) * exp1(1j * x)
    cx, sx = np.cos(x), np.sin(x)
    return h.imag * cx - h.real * sx, cx * (1.0 + x * h.imag) - x * h.real * sx


INTERPOLATED = (0.9, 1.8)  # blend of a grid whose node values are interpolated (rad across the cell)
SUMMED = (0.0, 0.0)  # a quadrature that sums node values × weights: the cell averages throughout


class Cells(NamedTuple):
    """The E_ν cell [lo, hi] of each node of a grid, and the phases across a cell (``blend``) between
    which :func:`cell_cos` goes from the node value to the cell average: :data:`INTERPOLATED` for a grid
    whose node values are interpolated (the JUNO-like product integration), :data:`SUMMED` for a
    quadrature that sums them (Daya Bay's mesh: there the cell averages integrate the term over each
    bin exactly whatever the phase, as Σ_cells ∫_cell = ∫_bin, so they are used throughout)."""

    lo: np.ndarray
    hi: np.ndarray
    blend: tuple[float, float] = INTERPOLATED


@kernel
def cell_cos(c, lo, hi, e, blend_lo, blend_hi):
    """(T, dT/dc): cos(c/E) for the node at ``e`` with cell [lo, hi] — the node value while the phase
    δ = |c| (hi − lo)/(lo hi) across the cell is at most ``blend_lo``, the cell average from ``blend_hi``
    on, a smooth blend between (module docstring)."""
    node = math.cos(c / e)
    dnode = -math.sin(c / e) / e
    delta = abs(c) * (hi - lo) / (lo * hi) if hi > lo else 0.0
    if delta <= blend_lo:
        return node, dnode
    a, da = average_cos(c, lo, hi, e)
    if delta >= blend_hi:
        return a, da
    t = (delta - blend_lo) / (blend_hi - blend_lo)
    w = t * t * (3.0 - 2.0 * t)
    dw = 6.0 * t * (1.0 - t) / (blend_hi - blend_lo) * delta / c  # dw/dδ dδ/dc (δ ∝ |c|)
    return node + w * (a - node), dnode + w * (da - dnode) + dw * (a - node)


def cell_cos_numpy(c, lo, hi, e, blend_lo, blend_hi):
    """NumPy twin of :func:`cell_cos` (broadcasting)."""
    c, lo, hi, e = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (c, lo, hi, e)))
    node, dnode = np.cos(c / e), -np.sin(c / e) / e
    delta = np.where(hi > lo, np.abs(c) * (hi - lo) / (lo * hi), 0.0)
    a, da = average_cos_numpy(c, lo, hi, e)
    span = max(blend_hi - blend_lo, 1e-300)
    t = np.clip((delta - blend_lo) / span, 0.0, 1.0)
    t = np.where(delta <= blend_lo, 0.0, np.where(delta >= blend_hi, 1.0, t))
    w = t * t * (3.0 - 2.0 * t)
    safe_c = np.where(c == 0.0, 1.0, c)
    dw = 6.0 * t * (1.0 - t) / span * delta / safe_c
    value = np.where(t <= 0.0, node, np.where(t >= 1.0, a, node + w * (a - node)))
    derivative = np.where(t <= 0.0, dnode, np.where(t >= 1.0, da, dnode + w * (da - dnode) + dw * (a - node)))
    return value, derivative


def average_cos_numpy(c, lo, hi, e):
    """NumPy twin of :func:`average_cos` (broadcasting)."""
    c, lo, hi, e = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (c, lo, hi, e)))
    width = hi - lo
    point = width <= 0.0
    small = ~point & (np.abs(c) * width < _SMALL_PHASE * lo * hi)
    wide = ~point & ~small
    a = np.array(np.cos(c / e), ndmin=1)
    da = np.array(-np.sin(c / e) / e, ndmin=1)
    shape = c.shape
    c, lo, hi, width, point, small, wide = (np.reshape(v, a.shape) for v in (c, lo, hi, width, point, small, wide))
    if np.any(small):
        mid, half, cs = 0.5 * (lo + hi)[small], 0.5 * width[small], c[small]
        ek = mid[:, None] + half[:, None] * np.array(_GL3_X)[None, :]
        w = np.array(_GL3_W)[None, :]
        a[small] = 0.5 * np.sum(w * np.cos(cs[:, None] / ek), axis=1)
        da[small] = -0.5 * np.sum(w * np.sin(cs[:, None] / ek) / ek, axis=1)
    if np.any(wide):
        ac, l, h = np.abs(c[wide]), lo[wide], hi[wide]
        s_h, g_h = _si_g_numpy(ac / h)
        s_l, g_l = _si_g_numpy(ac / l)
        a[wide] = (h * g_h - l * g_l) / (h - l)
        da[wide] = np.sign(c[wide]) * (s_h - s_l) / (h - l)
    return a.reshape(shape), da.reshape(shape)


def gauss_legendre_cells(edges: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The cells [lo, hi] of the n Gauss–Legendre nodes on each interval between ``edges``: the
    cumulative weights cut each interval into n cells, each holding its node (Stieltjes' separation
    theorem), so Σ_cells (hi − lo) = the interval. Shapes (len(edges) − 1) · n, in node order."""
    w = np.polynomial.legendre.leggauss(n)[1]
    t = np.concatenate([[0.0], np.cumsum(w) / 2.0])  # fraction of the interval below each cut
    t[-1] = 1.0
    edges = np.asarray(edges, dtype=float)
    lo, width = edges[:-1, None], np.diff(edges)[:, None]
    return (lo + width * t[None, :-1]).ravel(), (lo + width * t[None, 1:]).ravel()
