"""The matrix-based detector response: the same stage as :mod:`juno_fit.physics.response` (deposited
energy → reconstructed bins), built as a product of matrices on energy bins, the way Daya Bay's data
release gives its detector (an inner-acrylic-vessel leakage matrix, a nonlinearity curve applied as an
axis distortion, a Gaussian resolution matrix, a rebinning):

    R = Rebin · G(σ) · D(E_dep → E_vis) [· L(s)]

- :func:`distortion_matrix` D: each source bin, uniformly populated, mapped by an increasing
  piecewise-linear energy map x → y onto target bins (the nonlinearity and energy scale);
- :func:`gaussian_matrix` G: a Gaussian of width σ(E_i) around each bin centre E_i evaluated at the
  target centres times their widths (no renormalisation; what leaves the grid is lost);
- :func:`leakage_matrix` L: a measured leakage matrix with its off-diagonal part scaled, columns
  renormalised (Daya Bay's IAV);
- :func:`rebin_matrix`: sums fine bins into the reconstructed ones.

Each comes with the derivative the exact gradient needs (:func:`distortion_adjoint`,
:func:`gaussian_sigma_adjoint`, :func:`leakage_derivative`). The analytic implementation integrates each
fine bin's uniform spread against the Gaussian in closed form instead; with a fine working grid the two
agree (tests/test_response_matrices.py). The Daya Bay plug-in uses this module with its release's
matrices; the JUNO-like plug-in with ``[response] model = "matrix"`` in a detector file.
"""

from __future__ import annotations

import numpy as np

GAUSSIAN_CUTOFF = 1e-10  # elements of G below this are dropped


def leakage_matrix(base: np.ndarray, scale: float) -> np.ndarray:
    """Off-diagonal elements of ``base`` scaled by ``scale``, each non-empty column renormalised to 1."""
    m = base * scale
    np.fill_diagonal(m, np.diag(base))
    sums = m.sum(axis=0)
    return np.divide(m, sums, out=np.zeros_like(m), where=sums != 0)


def leakage_derivative(base: np.ndarray, scale: float) -> np.ndarray:
    """∂ leakage_matrix(base, scale) / ∂scale: with S_j = D_j + s O_j the column sums, (off − M O_j)/S_j."""
    off = base.copy()
    np.fill_diagonal(off, 0.0)
    o = off.sum(axis=0)
    m = leakage_matrix(base, scale)
    sums = np.diag(base) + scale * o
    return np.divide(off - m * o[None, :], sums[None, :], out=np.zeros_like(m), where=sums[None, :] != 0)


def distortion_matrix(edges: np.ndarray, x: np.ndarray, y: np.ndarray, target: np.ndarray | None = None) -> np.ndarray:
    """M[i, j]: fraction of source bin j (``edges``, uniformly populated) whose image under the
    piecewise-linear, increasing map x → y lies in target bin i (``target``, default the source bins);
    parts outside the curve's domain or range are lost.

    With x(E) the inverse map (clamped to the domain), the part of source bin j = [a_j, b_j] landing
    in target bin i is [max(a_j, x(t_i)), min(b_j, x(t_i+1))]."""
    if np.any(np.diff(y) <= 0):
        raise ValueError("the energy map must be increasing")
    target = edges if target is None else target
    inv = np.interp(target, y, x)  # clamped to [x[0], x[-1]] outside the range
    a = np.clip(edges[:-1], x[0], x[-1])
    b = np.clip(edges[1:], x[0], x[-1])
    overlap = np.minimum(b[None, :], inv[1:, None]) - np.maximum(a[None, :], inv[:-1, None])
    return np.maximum(overlap, 0.0) / np.diff(edges)[None, :]


def distortion_adjoint(
    edges: np.ndarray, x: np.ndarray, y: np.ndarray, u: np.ndarray, v: np.ndarray, target: np.ndarray | None = None
):
    """Derivative of Σ_n u_nᵀ M v_n, M = :func:`distortion_matrix` (edges, x, y, target), with respect to
    the inverse-mapped target edges e_k = x(T_k): returns (e, ∂/∂e, y'(e)). Target bin i gains what
    e_{i+1} moves over and loses what e_i moves over, both in the source bin holding the edge (density
    1/width); edges mapped outside the curve's range, or outside the source bins, do not count."""
    target = edges if target is None else target
    inv = np.interp(target, y, x)
    width = np.diff(edges)
    n_s = len(width)
    n_t = len(target) - 1
    j = np.clip(np.searchsorted(edges, inv, side="right") - 1, 0, n_s - 1)
    upper = np.zeros((u.shape[0], n_t + 1))  # u of the target bin whose upper edge is k
    upper[:, 1:] = u
    lower = np.zeros((u.shape[0], n_t + 1))  # u of the target bin whose lower edge is k
    lower[:, :-1] = u
    sens = np.sum((upper - lower) * v[:, j], axis=0) / width[j]
    sens[(target <= y[0]) | (target >= y[-1]) | (inv < edges[0]) | (inv > edges[-1])] = 0.0
    q = np.clip(np.searchsorted(x, inv, side="right") - 1, 0, len(x) - 2)
    slope = (y[q + 1] - y[q]) / (x[q + 1] - x[q])
    return inv, sens, slope


def gaussian_matrix(edges: np.ndarray, sigma: np.ndarray, cutoff: float = GAUSSIAN_CUTOFF) -> np.ndarray:
    """G[j, i] = ΔE_j N(E_j; E_i, σ_i) at the bin centres E of ``edges``, σ (per source bin) in MeV."""
    centres = 0.5 * (edges[1:] + edges[:-1])
    width = np.diff(edges)
    z = (centres[:, None] - centres[None, :]) / sigma[None, :]
    g = width[:, None] * np.exp(-0.5 * z * z) / (np.sqrt(2.0 * np.pi) * sigma[None, :])
    g[g < cutoff] = 0.0
    return g


def gaussian_sigma_adjoint(edges: np.ndarray, sigma: np.ndarray, g: np.ndarray, g_bar: np.ndarray) -> np.ndarray:
    """Σ_j ḡ[j, i] ∂G[j, i]/∂σ_i per source bin i, for G = :func:`gaussian_matrix` (edges, σ) and the
    adjoint ḡ = ∂S/∂G: ∂G/∂σ_i = G (z² − 1)/σ_i with z = (E_j − E_i)/σ_i."""
    centres = 0.5 * (edges[1:] + edges[:-1])
    z = (centres[:, None] - centres[None, :]) / sigma[None, :]
    return np.sum(g_bar * g * (z * z - 1.0), axis=0) / sigma


def rebin_matrix(fine: np.ndarray, final: np.ndarray) -> np.ndarray:
    """0/1 matrix summing fine bins into final bins (fine bins outside the final range are dropped)."""
    idx = np.searchsorted(np.round(fine, 9), np.round(final, 9))
    if np.any(idx >= len(fine)) or not np.allclose(fine[np.minimum(idx, len(fine) - 1)], final, atol=1e-9):
        raise ValueError("the final bin edges are not fine-bin edges")
    m = np.zeros((len(final) - 1, len(fine) - 1))
    for k in range(len(final) - 1):
        m[k, idx[k] : idx[k + 1]] = 1.0
    return m
