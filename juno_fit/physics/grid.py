"""Antineutrino-energy grid and the IBD fold from antineutrino energy to deposited prompt energy.

The expected number of IBD events in a fine deposited-energy bin k is

    h_k = ∫ dE_ν s(E_ν) ∫ dcosθ dσ/dcosθ(E_ν, cosθ) 1[E_dep(E_ν, cosθ) ∈ bin k],

with s(E_ν) = Σ_cores Φ_r(E_ν) P_ee(E_ν, L_r) the flux times survival probability. s oscillates;
the cross section and the kinematics do not depend on any fitted parameter. The integral is split
accordingly (product integration):

1. the E_ν axis is cut into panels; on each panel s is represented by its interpolating polynomial
   through ``panel_nodes`` Gauss–Legendre nodes, so s is needed only at the nodes (the runtime cost);
2. the fold matrix K_kj = ∫ dE_ν ℓ_j(E_ν) ∫ dcosθ dσ/dcosθ 1[E_dep ∈ bin k], with ℓ_j the Lagrange
   basis polynomial of node j on its panel, is computed once, accurately: the (E_ν, cosθ) region of
   each bin is integrated piecewise between the energies where a bin edge crosses cosθ = ±1 (where
   the integrand has kinks), with Gauss–Legendre rules on every smooth piece and the cosθ limits
   solved exactly, so the neutron recoil (the cosθ dependence of E_dep) is integrated, not
   approximated by a fixed offset.

Then h = K s exactly up to the interpolation error of s on a panel. Panel widths follow the fastest
oscillation the grid must resolve: the phase 2Δ31 = 2 OSC_PHASE Δm²31 L/E advances by at most
``panel_phase`` radians per panel for |Δm²31| ≤ ``dm2_max`` and the largest baseline of the cores
sharing the grid, and no panel is wider than ``panel_max``.

K is column-banded (physics/banded.py): h = K s is :func:`~juno_fit.physics.banded.matvec_kernel`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ..constants import OSC_PHASE
from .averaging import INTERPOLATED, Cells, gauss_legendre_cells
from .banded import BandedMatrix
from .ibd import CrossSection

_E_GL = np.polynomial.legendre.leggauss(6)  # rule on each smooth E_ν piece
_C_GL = np.polynomial.legendre.leggauss(6)  # rule on each cosθ interval


@dataclass(frozen=True)
class EnuGrid:
    """Panels of the antineutrino-energy axis and their Gauss–Legendre nodes.

    ``weights`` integrate a smooth function of E_ν over the whole grid (Σ w_j f(E_j)).
    """

    panel_edges: np.ndarray
    nodes: np.ndarray
    weights: np.ndarray
    n_per_panel: int

    @property
    def n_nodes(self) -> int:
        return len(self.nodes)

    @functools.cached_property
    def cells(self) -> Cells:
        """The E_ν cell of each node, its share of the panel's Gauss–Legendre weight (where a fast
        oscillation is averaged, :mod:`~juno_fit.physics.averaging`); node values are interpolated."""
        return Cells(*gauss_legendre_cells(self.panel_edges, self.n_per_panel), INTERPOLATED)


def make_enu_grid(
    e_min: float,
    e_max: float,
    baseline_max_m: float,
    *,
    panel_nodes: int,
    panel_phase: float,
    panel_max: float,
    dm2_max: float,
) -> EnuGrid:
    """Panels from ``e_min`` to ``e_max`` [MeV] resolving 2Δ31 for baselines up to ``baseline_max_m``.

    Width of the panel starting at E: H(E) = min(panel_max, panel_phase / k(E)), with
    k(E) = |d(2Δ31)/dE| = 2 OSC_PHASE dm2_max L_max / E² (the oscillation is fastest at the panel's
    low edge, so the bound holds across the panel).
    """
    edges = [e_min]
    rate = 2.0 * OSC_PHASE * dm2_max * baseline_max_m
    while edges[-1] < e_max:
        e = edges[-1]
        width = panel_max if rate == 0.0 else min(panel_max, panel_phase * e * e / rate)
        edges.append(min(e + width, e_max))
    if len(edges) > 2 and (edges[-1] - edges[-2]) < 0.25 * (edges[-2] - edges[-3]):
        # a sliver of a last panel: split the last two panels evenly instead (both get narrower)
        edges[-2] = 0.5 * (edges[-3] + edges[-1])
    panel_edges = np.array(edges)
    x, w = np.polynomial.legendre.leggauss(panel_nodes)
    lo, hi = panel_edges[:-1, None], panel_edges[1:, None]
    half = 0.5 * (hi - lo)
    nodes = (lo + half * (x[None, :] + 1.0)).ravel()
    weights = (half * w[None, :]).ravel()
    return EnuGrid(panel_edges, nodes, weights, panel_nodes)


def _lagrange_basis(x_nodes: np.ndarray, x: np.ndarray) -> np.ndarray:
    """ℓ_j(x) for nodes ``x_nodes``: shape (len(x_nodes), len(x))."""
    out = np.ones((len(x_nodes), len(x)))
    for j, xj in enumerate(x_nodes):
        for m, xm in enumerate(x_nodes):
            if m != j:
                out[j] *= (x - xm) / (xj - xm)
    return out


def _solve_energy(xsec: CrossSection, cos: float, target: np.ndarray) -> np.ndarray:
    """E_ν with E_dep(E_ν, cos) = target: Newton iteration from the zeroth-order guess
    E_ν = E_dep + 0.782 MeV, with the derivative by a central difference (E_dep is smooth and
    increasing in E_ν with slope ≈ 1), to 1e-13 MeV."""
    energy = target + 0.7823
    for _ in range(20):
        f = xsec.edep(energy, cos) - target
        step = f / ((xsec.edep(energy + 1e-6, cos) - xsec.edep(energy - 1e-6, cos)) / 2e-6)
        energy = energy - step
        if np.all(np.abs(step) < 1e-13):
            break
    return energy


class GridTooLarge(ValueError):
    """A grid or matrix would exceed the size or work budget the caller gave."""


def build_fold_matrix(
    grid: EnuGrid,
    edep_edges: np.ndarray,
    xsec: CrossSection,
    *,
    max_entries: float = np.inf,
    max_work: float = np.inf,
) -> BandedMatrix:
    """K_kj = ∫ dE ℓ_j(E) ∫ dcosθ dσ/dcosθ 1[E_dep(E, cosθ) ∈ bin k], in cm² MeV per unit s.

    See the module docstring. E_dep(E, cosθ) must increase with both E and cosθ (true for the
    Vogel–Beacom first-order and the exact two-body kinematics).

    Raises :class:`GridTooLarge` before the matrix is allocated when its band would hold more than
    ``max_entries`` numbers, or its integration take more than ``max_work`` element operations.
    """
    n_bins = len(edep_edges) - 1
    n = grid.n_per_panel
    pe = grid.panel_edges
    xg = np.polynomial.legendre.leggauss(n)[0]
    # Kinks of the bin integrands: energies where a bin edge meets E_dep(E, cosθ = ±1). Together with
    # the panel edges they cut the E_ν axis into pieces on which every integrand is smooth.
    cuts = [pe]
    for c in (-1.0, 1.0):
        reach = (edep_edges > xsec.edep(pe[0], c)) & (edep_edges < xsec.edep(pe[-1], c))
        cuts.append(_solve_energy(xsec, c, edep_edges[reach]))
    cuts = np.unique(np.clip(np.concatenate(cuts), pe[0], pe[-1]))
    u, v = cuts[:-1], cuts[1:]
    keep = v - u > 1e-12 * pe[-1]
    u, v = u[keep], v[keep]
    # Gauss–Legendre nodes on every piece, the panel each lies in, and the Lagrange basis values.
    half = 0.5 * (v - u)
    e_nodes = (u[:, None] + half[:, None] * (_E_GL[0][None, :] + 1.0)).ravel()
    e_weights = (half[:, None] * _E_GL[1][None, :]).ravel()
    panel = np.clip(np.searchsorted(pe, e_nodes, side="right") - 1, 0, len(pe) - 2)
    lo, hi = pe[panel], pe[panel + 1]
    t = 2.0 * (e_nodes - lo) / (hi - lo) - 1.0  # position in the reference panel [-1, 1]
    basis = _lagrange_basis(xg, t) * e_weights  # (n, M)
    k_first = np.clip(np.searchsorted(edep_edges, xsec.edep(e_nodes, -1.0), side="right") - 1, 0, n_bins - 1)
    k_last = np.clip(np.searchsorted(edep_edges, xsec.edep(e_nodes, 1.0), side="right") - 1, 0, n_bins - 1)
    n_panels = len(pe) - 1
    panel_row0 = np.full(n_panels, n_bins, dtype=np.int64)
    np.minimum.at(panel_row0, panel, k_first)
    panel_row1 = np.zeros(n_panels, dtype=np.int64)
    np.maximum.at(panel_row1, panel, k_last)
    width = int(np.max(panel_row1 - panel_row0)) + 1
    offsets = int(np.max(k_last - k_first)) + 1
    if n_panels * n * width > max_entries:
        raise GridTooLarge(f"a fold matrix of {n_panels * n * width:,} entries (at most {max_entries:,.0f})")
    if offsets * len(e_nodes) > max_work:
        raise GridTooLarge(f"a fold-matrix integration of {offsets * len(e_nodes):,} steps (at most {max_work:,.0f})")
    band = np.zeros((n_panels, n, width))
    for offset in range(offsets):
        k = k_first + offset
        sel = k <= k_last
        ks, es = k[sel], e_nodes[sel]
        c_lo = np.clip(xsec.cos_at(es, edep_edges[ks]), -1.0, 1.0)
        c_hi = np.clip(xsec.cos_at(es, edep_edges[ks + 1]), -1.0, 1.0)
        hc = 0.5 * (c_hi - c_lo)
        cs = c_lo[:, None] + hc[:, None] * (_C_GL[0][None, :] + 1.0)
        integral = np.sum(xsec.dsigma_dcos(es[:, None], cs) * _C_GL[1][None, :], axis=1) * hc
        ps = panel[sel]
        for j in range(n):
            np.add.at(band, (ps, j, ks - panel_row0[ps]), basis[j, sel] * integral)
    row0 = np.repeat(panel_row0, n)
    lengths = np.repeat(panel_row1 - panel_row0 + 1, n)
    ptr = np.concatenate([[0], np.cumsum(lengths)])
    values = np.concatenate([band[p, j, : lengths[p * n]] for p in range(n_panels) for j in range(n)])
    return BandedMatrix(row0, ptr, values, n_bins)


def edep_bin_edges(
    xsec: CrossSection,
    e_min: float,
    e_max: float,
    width: float,
    *,
    onset: float = 0.1,
    onset_width: float = 0.001,
    scale_energy: float = 0.0,
    max_width: float | None = None,
) -> np.ndarray:
    """Fine deposited-energy bins covering every E_dep reachable from E_ν in [e_min, e_max].

    The grid starts at the lowest reachable E_dep (the kinematic minimum when e_min is the
    threshold) with bins of ``onset_width`` over the first ``onset`` MeV, where the spectrum rises
    steeply (∝ √(E − E_min)) and a uniform distribution inside a wide bin would misplace its events.
    Then the width is ``width``, growing in proportion to E above ``scale_energy`` (if > 0) up to
    ``max_width``: the resolution and the period of the fast oscillation both grow with energy, so the
    same accuracy needs fewer bins there (benchmarks/accuracy_study.py).
    """
    lo = float(xsec.edep(e_min, -1.0))
    hi = float(xsec.edep(e_max, 1.0))
    n_onset = max(round(onset / onset_width), 0)
    edges = list(lo + onset_width * np.arange(n_onset + 1))
    widest = width if max_width is None else max(max_width, width)
    while edges[-1] < hi:
        e = edges[-1]
        w = width if scale_energy <= 0 else min(widest, width * max(1.0, e / scale_energy))
        edges.append(e + w)
    return np.array(edges)
