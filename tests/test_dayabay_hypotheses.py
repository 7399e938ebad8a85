"""The hypotheses beyond three flavours in the Daya Bay model (juno_fit/experiments/dayabay/hypothesis.py):
the standard limit equals the model's own P_ee, the gradient through the contraction, a fit, refusals."""

from __future__ import annotations

import numpy as np
import pytest

import juno_fit as jf

pytest.importorskip(
    "dayabay_data_official", reason="the Daya Bay data release is an optional extra: pip install 'juno-fit[dayabay]'"
)

FREE = ["sin2_2theta13", "dm2_32", "sin2_theta14"]


@pytest.fixture(scope="module")
def models():
    standard = jf.build_model(jf.load_config("dayabay_nGd"))
    sterile = jf.build_model(
        jf.load_config("dayabay_nGd", oscillation={"model": "sterile_3p1", "dm2_41": 0.01}, fit={"parameters": FREE})
    )
    return standard, sterile


def test_null_point_is_the_standard_model(models):
    # the hypothesis route (standard parametrisation, rescaled baselines for the release's phase
    # constant) gives the model's own P_ee to rounding, and the same χ² on the real data
    standard, sterile = models
    p0 = standard._pee(standard.parameters.values())[0]
    p1 = sterile._pee(sterile.parameters.values())[0]
    np.testing.assert_allclose(p1, p0, rtol=0, atol=1e-14)
    l0 = jf.Likelihood(standard, jf.read_data("real", standard))
    l1 = jf.Likelihood(sterile, jf.read_data("real", sterile))
    assert l1(sterile.parameters.values()) == pytest.approx(l0(standard.parameters.values()), rel=1e-12)


def test_gradient_through_the_contraction(models):
    _, sterile = models
    lik = jf.Likelihood(sterile, jf.read_data("real", sterile))
    theta = sterile.theta(sin2_theta14=0.02, dm2_41=0.008)
    _, grad = lik.value_and_grad(theta)
    for name in ("sin2_theta14", "dm2_41", "sin2_2theta13", "dm2_32", "spec.03"):
        i = sterile.parameters.index(name)
        step = 1e-6 * max(abs(theta[i]), 1e-3)
        up, down = theta.copy(), theta.copy()
        up[i] += step
        down[i] -= step
        assert grad[i] == pytest.approx((lik(up) - lik(down)) / (2 * step), rel=1e-5), name


def test_mesh_cells_hold_their_points(models):
    # each mesh point's E_ν cell (its deposited-energy cell at the same cosθ), where the sterile terms are
    # averaged; the mesh sums points × weights, so the cell averages are used throughout
    mesh = models[1].inputs.mesh
    assert np.all((mesh.enu_lo < mesh.enu) & (mesh.enu < mesh.enu_hi))
    assert np.max(mesh.enu_hi - mesh.enu_lo) < 0.03  # MeV: a share of a 50 keV deposited-energy bin


def test_fit_and_refusals(models):
    _, sterile = models
    result = jf.fit(jf.Likelihood(sterile, jf.read_data("real", sterile)), minos=False)
    assert result.valid
    assert 0.0 <= result.values["sin2_theta14"] < 0.01  # Daya Bay sees no sterile mixing at 0.01 eV²
    with pytest.raises(jf.ConfigError, match=r"oscillation.dm2_41: must be in \(0, 10\] eV²"):
        jf.load_config("dayabay_nGd", oscillation={"model": "sterile_3p1", "dm2_41": 20.0})
    with pytest.raises(jf.ConfigError, match=r"oscillation.sigma_rel: a parameter of model"):
        jf.load_config("dayabay_nGd", oscillation={"sigma_rel": 0.1})
