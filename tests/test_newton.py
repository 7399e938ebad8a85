"""Newton fits with the curvature of the true point (juno_fit/newton.py): the same minima as MIGRAD,
limits held, and the oscillation parameters' errors by conjugate gradients equal to the full
Hessian's."""

from __future__ import annotations

import numpy as np
import pytest

import juno_fit as jf
from juno_fit.fitting import gradient_hessian
from juno_fit.newton import curvature, newton_minimise, variances

OSC = ["sin2_theta12", "sin2_theta13", "dm2_21", "dm2_31"]


@pytest.fixture(scope="module")
def nominal():
    """juno_nominal at 100 days with every systematic: 68 free parameters."""
    model = jf.build_model(jf.load_config("juno_nominal", exposure="100d"))
    free = np.array([not p.fixed for p in model.parameters])
    return model, free, curvature(model, model.parameters.values(), free)


def test_newton_finds_migrads_minimum(nominal):
    model, free, curv = nominal
    for toy in range(6):
        lik = jf.Likelihood(model, jf.pseudo_experiment(model, toy))
        found = newton_minimise(lik, model.parameters.values(), curv.hessian, free, curv.lo, curv.hi)
        reference = jf.fit(lik, minos=[], seed=toy)
        assert found.valid
        assert found.calls <= 12  # value-and-gradient evaluations (MIGRAD: about 300 calls)
        # both stop at an EDM below 2e-7: their χ² agree to a few 1e-7, their values to 1e-3 σ
        assert found.fval == pytest.approx(reference.fval, abs=1e-6)
        for name in OSC:
            i = model.parameters.index(name)
            assert abs(found.theta[i] - reference.values[name]) < 2e-3 * reference.errors[name], (toy, name)


def test_oscillation_errors_by_conjugate_gradients_equal_the_full_hessians(nominal):
    model, free, curv = nominal
    params = model.parameters
    wanted = [params.index(n) for n in OSC]
    index = list(np.flatnonzero(free))
    pos = [index.index(i) for i in wanted]
    steps = np.ones(len(params))
    steps[index] = np.sqrt(2.0 * np.diag(curv.inverse))
    for toy in (0, 1, 2):  # Δm²31's curvature differs from the true point's by up to 60 % at 100 days
        lik = jf.Likelihood(model, jf.pseudo_experiment(model, toy))
        found = newton_minimise(lik, params.values(), curv.hessian, free, curv.lo, curv.hi)
        _, grad = lik.value_and_grad(found.theta)
        var, calls = variances(lik, found.theta, grad, curv, wanted)
        full = 2.0 * np.linalg.inv(gradient_hessian(lik, found.theta, free, 1e-3 * steps))[np.ix_(pos, pos)]
        np.testing.assert_allclose(np.sqrt(var), np.sqrt(np.diag(full)), rtol=5e-4)  # measured 2e-4
        assert calls < len(index) / 4  # under an eighth of the full Hessian's 2 × 68 gradient evaluations


def test_newton_holds_a_parameter_on_its_limit(fast_config):
    # sterile mixing at 0 in truth: about half the toys want sin²θ14 < 0, so the fit ends on the limit
    config = jf.load_config(
        fast_config,
        oscillation={"model": "sterile_3p1", "dm2_41": 2e-3, "sin2_theta14": 0.0},
        fit={"parameters": [*OSC, "sin2_theta14"]},
    )
    model = jf.build_model(config)
    free = np.array([not p.fixed for p in model.parameters])
    curv = curvature(model, model.parameters.values(), free)
    i14 = model.parameters.index("sin2_theta14")
    on_limit = 0
    for toy in range(8):
        lik = jf.Likelihood(model, jf.pseudo_experiment(model, toy))
        found = newton_minimise(lik, model.parameters.values(), curv.hessian, free, curv.lo, curv.hi)
        reference = jf.fit(lik, minos=[], seed=toy)
        assert found.valid
        assert found.theta[i14] >= 0.0
        on_limit += found.theta[i14] == 0.0
        assert found.fval == pytest.approx(reference.fval, abs=1e-5), toy
    assert 0 < on_limit < 8


def test_newton_and_migrad_ensembles_agree(fast_config):
    from juno_fit.ensemble import ensemble_spec, fit_toy

    config = jf.load_config(fast_config)
    model = jf.build_model(config)
    newton, migrad = ensemble_spec(config), ensemble_spec(config, minimiser="migrad")
    assert newton.differences(migrad) == ["minimiser"]  # a resumed file keeps its minimiser
    for toy in range(4):
        a, b = fit_toy(model, toy, newton), fit_toy(model, toy, migrad)
        assert a["valid"]
        assert b["valid"]
        assert a["nfev"] < b["nfev"]  # few parameters here: MIGRAD needs about 90 calls, Newton about 35
        assert a["fval"] == pytest.approx(b["fval"], abs=1e-6)
        for name in OSC:
            i = model.parameters.index(name)
            assert a["errors"][i] == pytest.approx(b["errors"][i], rel=1e-3), name
        assert np.isnan(a["errors"][model.parameters.index("flux.norm")])  # only the oscillation parameters' errors
