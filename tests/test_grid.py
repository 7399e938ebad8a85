"""Antineutrino-energy grid and IBD fold matrix (physics/grid.py)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad

from juno_fit.constants import OSC_PHASE
from juno_fit.physics import grid, ibd
from juno_fit.physics.banded import matvec_kernel, matvec_numpy

VB = ibd.VogelBeacom(879.4)
THR = ibd.threshold()


def _grid(baseline=52500.0, **kw):
    opts = {"panel_nodes": 4, "panel_phase": 1.0, "panel_max": 0.1, "dm2_max": 3e-3} | kw
    return grid.make_enu_grid(THR, 13.0, baseline, **opts)


@pytest.fixture(scope="module")
def setup():
    g = _grid()
    edges = grid.edep_bin_edges(VB, THR, 13.0, 0.005)
    return g, edges, grid.build_fold_matrix(g, edges, VB)


def test_panels_resolve_the_fastest_oscillation():
    g = _grid(215000.0)
    lo, hi = g.panel_edges[:-1], g.panel_edges[1:]
    # phase advance of 2Δ31 across each panel at dm2_max, largest at the panel's low edge
    advance = 2 * OSC_PHASE * 3e-3 * 215000.0 * (1 / lo - 1 / hi)
    assert np.all(advance <= 1.0 + 1e-12)
    assert np.all(hi - lo <= 0.1 + 1e-12)
    assert g.panel_edges[0] == THR
    assert g.panel_edges[-1] == 13.0
    assert np.all((g.nodes > THR) & (g.nodes < 13.0))  # no node below threshold


def test_grid_weights_integrate_smooth_functions():
    g = _grid()
    assert np.sum(g.weights * np.exp(-g.nodes)) == pytest.approx(np.exp(-THR) - np.exp(-13.0), rel=1e-12)


def test_fold_kernel_matches_twin(setup):
    g, _edges, fold = setup
    s = np.exp(-0.5 * g.nodes) * (1 + 0.3 * np.sin(30 * g.nodes))
    np.testing.assert_allclose(
        matvec_kernel(fold.row0, fold.ptr, fold.values, fold.n_rows, s), matvec_numpy(fold, s), rtol=1e-12
    )


def test_fold_conserves_the_integral(setup):
    # Σ_k h_k = ∫ s(E) σ(E) dE: the fold redistributes events over E_dep but loses none. Reference by
    # adaptive quadrature; tolerance 1e-8 (σ_total uses a 16-node rule in cosθ, the fold 6-node
    # rules on exact sub-intervals: both exact to ~1e-10 for this smooth integrand).
    g, _edges, fold = setup

    def s(e):
        return np.exp(-0.7 * e) * e

    h = fold @ s(g.nodes)
    ref = quad(lambda e: s(e) * ibd.sigma_total(VB, np.array([e]))[0], THR, 13.0, limit=400, epsabs=0, epsrel=1e-12)
    assert h.sum() == pytest.approx(ref[0], rel=1e-8)


def test_no_events_below_the_kinematic_minimum():
    # Must show: no prediction below threshold. With fine bins extended far below the lowest
    # reachable prompt energy (E_dep(threshold) ≈ 1.0218 MeV), those bins stay exactly empty.
    g = _grid()
    edges = np.arange(0.0, 12.3, 0.005)
    fold = grid.build_fold_matrix(g, edges, VB)
    h = matvec_numpy(fold, np.ones(g.n_nodes))
    lowest = float(VB.edep(THR, -1.0))
    assert lowest == pytest.approx(2 * 0.51099895, abs=2e-3)
    assert np.all(h[edges[1:] <= lowest] == 0.0)
    assert h[np.searchsorted(edges, lowest) + 2] > 0


@pytest.mark.parametrize("enu", [2.5, 4.0, 8.0])
def test_recoil_is_integrated_not_offset(enu):
    # A narrow antineutrino line (Gaussian, 5 keV) at E_ν lands in E_dep at the cross-section-weighted
    # mean of E_e⁽¹⁾ + m_e over cosθ (recoil shifts -4, -13, -59 keV, PHYSICS.md §6.1), not at
    # E_ν - 0.782. A grid of 2 keV panels around the line resolves it. Reference: the same mean by
    # direct quadrature over E_ν; tolerance 0.1 keV (bin-centre estimate of the mean in 5 keV bins).
    g = grid.make_enu_grid(enu - 0.04, enu + 0.04, 1.0, panel_nodes=4, panel_phase=1.0, panel_max=0.002, dm2_max=3e-3)
    edges = grid.edep_bin_edges(VB, enu - 0.04, enu + 0.04, 0.005)

    def line(e):
        return np.exp(-0.5 * ((e - enu) / 0.005) ** 2)

    h = matvec_numpy(grid.build_fold_matrix(g, edges, VB), line(g.nodes))
    centres = 0.5 * (edges[1:] + edges[:-1])
    mean = np.sum(h * centres) / h.sum()
    e = np.linspace(enu - 0.04, enu + 0.04, 4001)
    w = line(e) * ibd.sigma_total(VB, e)
    ref = np.sum(w * ibd.mean_edep(VB, e)) / np.sum(w)
    assert mean == pytest.approx(ref, abs=1e-4)
    assert abs(mean - (enu - ibd.prompt_offset())) > 0.003


@pytest.mark.slow
def test_oscillated_fold_converges_with_finer_panels():
    # Accuracy of the panel interpolation for the real oscillated JUNO spectrum: halving the phase
    # step per panel changes no fine bin holding more than 1e-3 of the peak by more than 1e-4
    # relative (the accuracy goal for bin contents).
    from juno_fit.physics import oscillation as osc

    edges = grid.edep_bin_edges(VB, THR, 13.0, 0.005)
    out = []
    for phase in (1.0, 0.5):
        g = _grid(52800.0, panel_phase=phase)
        s = (
            np.exp(-0.5 * g.nodes)
            * osc.pee_knp_kernel(g.nodes, np.array([52500.0]), 0.307, 0.0218, 7.53e-5, 2.5283e-3, 2.45, 0.5)[0]
        )
        out.append(matvec_numpy(grid.build_fold_matrix(g, edges, VB), s))
    big = out[1] > 1e-3 * out[1].max()
    assert np.max(np.abs(out[0][big] / out[1][big] - 1.0)) < 1e-4
