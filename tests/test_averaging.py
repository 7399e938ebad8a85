"""Averages of fast oscillations over energy cells (juno_fit/physics/averaging.py) and the sterile
model beyond what its energy grid resolves: the kernel against its NumPy twin and an adaptive
quadrature, the derivative against finite differences, the cells of both experiments' grids, and the
model's spectrum against a grid that resolves the oscillation and against the fully averaged limit."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.special import sici

import juno_fit as jf
from juno_fit.physics import averaging as avg
from juno_fit.physics.grid import make_enu_grid


def _random_cells(n: int, seed: int):
    """(c, lo, hi): phases c = 2 OSC_PHASE Δm² L from 1e-2 to 1e6 MeV of either sign, cells from 1 keV
    to 0.3 MeV wide between 1.8 and 9 MeV (the grids' cells are 1-40 keV)."""
    rng = np.random.default_rng(seed)
    lo = rng.uniform(1.8, 9.0, n)
    hi = lo + 10 ** rng.uniform(-3.0, -0.5, n)
    c = rng.choice([-1.0, 1.0], n) * 10 ** rng.uniform(-2.0, 6.0, n)
    return c, lo, hi


def test_sine_integral_against_scipy():
    x = np.concatenate([np.linspace(1e-6, 10.0, 500), 10 ** np.random.default_rng(1).uniform(1.0, 6.0, 500)])
    si = sici(x)[0] - np.pi / 2
    fast = np.array([avg.si_g(v) for v in x])
    twin = np.stack(avg._si_g_numpy(x), axis=1)
    np.testing.assert_allclose(fast[:, 0], si, rtol=0, atol=1e-14)  # the series cancels ~1 digit at x = 4
    np.testing.assert_allclose(twin[:, 0], si, rtol=0, atol=1e-14)
    # G = cos x + x (Si − π/2) ~ 1/x: scipy's x (Si − π/2) loses x × 1e-16, the two implementations do not
    np.testing.assert_allclose(fast[:, 1], twin[:, 1], rtol=0, atol=1e-14)


def test_average_kernel_equals_twin_at_1000_points():
    c, lo, hi = _random_cells(2000, 2)
    mid = 0.5 * (lo + hi)
    fast = np.array([avg.average_cos(*args) for args in zip(c, lo, hi, mid, strict=True)])
    a, da = avg.average_cos_numpy(c, lo, hi, mid)
    # the closed form divides differences of E G(c/E) ~ E²/c by the cell width: 1e-11 is rounding
    np.testing.assert_allclose(fast[:, 0], a, rtol=0, atol=1e-11)
    np.testing.assert_allclose(fast[:, 1] * lo, da * lo, rtol=0, atol=1e-11)


def test_average_against_adaptive_quadrature():
    c, lo, hi = _random_cells(200, 3)
    for ci, a, b in zip(c, lo, hi, strict=True):
        cycles = abs(ci) * (1 / a - 1 / b) / (2 * np.pi)
        limit = int(50 + 20 * cycles)
        value, dvalue = avg.average_cos(ci, a, b, 0.5 * (a + b))
        ref = quad(lambda e, ci=ci: np.cos(ci / e), a, b, limit=limit, epsabs=1e-14, epsrel=1e-13)[0] / (b - a)
        dref = -quad(lambda e, ci=ci: np.sin(ci / e) / e, a, b, limit=limit, epsabs=1e-14, epsrel=1e-13)[0] / (b - a)
        assert value == pytest.approx(ref, abs=1e-9)
        assert dvalue * a == pytest.approx(dref * a, abs=1e-9)


def test_average_derivative_against_finite_differences():
    c, lo, hi = _random_cells(300, 4)
    for ci, a, b in zip(c, lo, hi, strict=True):
        step = min(1e-6 * abs(ci), 1e-4 * a)  # the phase c/E changes by at most 1e-4 rad
        up = avg.average_cos(ci + step, a, b, 0.5 * (a + b))[0]
        down = avg.average_cos(ci - step, a, b, 0.5 * (a + b))[0]
        derivative = avg.average_cos(ci, a, b, 0.5 * (a + b))[1]
        assert derivative * a == pytest.approx((up - down) / (2 * step) * a, rel=1e-5, abs=1e-7)


def test_cell_cos_blends_node_values_into_cell_averages():
    c, lo, hi = _random_cells(3000, 5)
    mid = 0.5 * (lo + hi)
    blend = avg.INTERPOLATED
    fast = np.array([avg.cell_cos(*args, *blend) for args in zip(c, lo, hi, mid, strict=True)])
    t, dt = avg.cell_cos_numpy(c, lo, hi, mid, *blend)
    np.testing.assert_allclose(fast[:, 0], t, rtol=0, atol=1e-11)
    np.testing.assert_allclose(fast[:, 1] * lo, dt * lo, rtol=0, atol=1e-11)
    delta = np.abs(c) * (hi - lo) / (lo * hi)
    below, above = delta <= blend[0], delta >= blend[1]
    assert min(below.sum(), above.sum(), (~below & ~above).sum()) > 100  # all three regimes sampled
    np.testing.assert_array_equal(t[below], np.cos(c / mid)[below])  # resolved: the node value
    np.testing.assert_array_equal(t[above], avg.average_cos_numpy(c, lo, hi, mid)[0][above])
    # continuous with a continuous derivative through the blend (finite differences across it)
    for ci, a, b in zip(c, lo, hi, strict=True):
        step = min(1e-6 * abs(ci), 1e-4 * a)
        up = avg.cell_cos(ci + step, a, b, 0.5 * (a + b), *blend)[0]
        down = avg.cell_cos(ci - step, a, b, 0.5 * (a + b), *blend)[0]
        derivative = avg.cell_cos(ci, a, b, 0.5 * (a + b), *blend)[1]
        assert derivative * a == pytest.approx((up - down) / (2 * step) * a, rel=1e-5, abs=1e-7)


def test_zero_width_cell_is_the_point_value_and_fast_oscillations_average_to_zero():
    assert avg.average_cos(3.0, 2.0, 2.0, 2.0) == (np.cos(1.5), -np.sin(1.5) / 2.0)
    # 1e6 MeV over a 20 keV cell at 4 MeV: ~200 cycles, the average is below 1/(phase across the cell)
    value, _ = avg.average_cos(1e6, 4.0, 4.02, 4.01)
    assert abs(value) < 2.0 / (1e6 * (1 / 4.0 - 1 / 4.02))


def test_cells_partition_the_grids_and_hold_their_nodes():
    grid = make_enu_grid(1.8, 12.0, 52_500.0, panel_nodes=3, panel_phase=2.0, panel_max=0.1, dm2_max=3e-3)
    lo, hi, blend = grid.cells
    assert blend == avg.INTERPOLATED  # node values interpolated: kept where the grid resolves
    assert np.all((lo < grid.nodes) & (grid.nodes < hi))
    np.testing.assert_allclose(hi[:-1], lo[1:], rtol=0, atol=1e-13)  # no gap, no overlap
    assert (lo[0], hi[-1]) == pytest.approx((1.8, 12.0))
    np.testing.assert_allclose(hi - lo, grid.weights, rtol=1e-12)  # a cell is its node's weight


# --------------------------------------------------------------------------------------------------
# The sterile model beyond its grid (fast config: juno_nominal at 100 days, grid to dm2_max = 3e-3 eV²)
# --------------------------------------------------------------------------------------------------

S14 = (1.0 - np.sqrt(1.0 - 0.1)) / 2.0  # sin²2θ14 = 0.1


def _signal(fast_config, dm41, **numerics):
    config = jf.load_config(
        fast_config,
        oscillation={"model": "sterile_3p1", "dm2_41": dm41, "sin2_theta14": S14},
        **({"numerics": numerics} if numerics else {}),
    )
    model = jf.build_model(config)
    det = model.detectors[0]
    return model, det, det.signal_reco(model.parameters.values())


def test_fast_sterile_oscillation_is_averaged(fast_config):
    # at 1 eV² the oscillation length at 4 MeV is 10 m: the spectrum is the averaged limit
    # c14⁴ S(P_3ν) + s14⁴ S(1) (the sterile effect is 5 % of the spectrum; measured agreement 3e-5)
    model, det, fast = _signal(fast_config, 1.0)
    theta = model.parameters.values()
    standard = det.signal_reco(model.theta(sin2_theta14=0.0))
    unoscillated = det.response(det.fine_spectrum(theta, oscillate=False), theta)
    limit = (1 - S14) ** 2 * standard + S14**2 * unoscillated
    assert np.max(np.abs(fast / standard - 1)) > 0.04
    assert np.max(np.abs(fast / limit - 1)) < 1e-4


def test_averaged_sterile_spectrum_against_a_resolving_grid(fast_config):
    # Δm²41 = 0.03 eV² is ten times what the default grid resolves; a grid to 0.06 eV² resolves it
    # (20× the nodes). The cell averages leave 1e-3 of the spectrum (measured 8.5e-4 on JUNO's 2025
    # config), 2 % of the sterile effect; the node values alone would leave 3e-2
    _, _, averaged = _signal(fast_config, 0.03)
    _, det, resolved = _signal(fast_config, 0.03, dm2_max=0.06)
    assert sum(g.grid.n_nodes for g in det.groups) > 10_000
    assert np.max(np.abs(averaged / resolved - 1)) < 1.5e-3


def test_sterile_gradient_beyond_the_grid(fast_config):
    config = jf.load_config(
        fast_config,
        oscillation={"model": "sterile_3p1", "dm2_41": 0.05, "sin2_theta14": S14},
        fit={"parameters": ["sin2_theta12", "sin2_theta13", "dm2_21", "dm2_31", "sin2_theta14", "dm2_41"]},
    )
    model = jf.build_model(config)
    lik = jf.Likelihood(model, jf.pseudo_experiment(model, 2))
    theta = model.theta(sin2_theta14=0.03, dm2_41=0.047)
    _, grad = lik.value_and_grad(theta)
    for name in ("sin2_theta14", "dm2_41", "dm2_21", "dm2_31"):
        i = model.parameters.index(name)
        step = 1e-6 * abs(theta[i])
        up, down = theta.copy(), theta.copy()
        up[i] += step
        down[i] -= step
        assert grad[i] == pytest.approx((lik(up) - lik(down)) / (2 * step), rel=1e-5), name
