"""The exact gradient of the likelihood (likelihood.py, model backprop) against finite differences,
and the derivative kernels against their NumPy twins."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from juno_fit import likelihood as lk
from juno_fit.datasets import pseudo_experiment
from juno_fit.model import Model
from juno_fit.physics import oscillation as osc
from juno_fit.physics import response as resp


def _moved_point(model, seed=1):
    """θ with every free parameter moved by a fraction of its scale, so no derivative vanishes by symmetry."""
    params = model.parameters
    rng = np.random.default_rng(seed)
    theta = params.values()
    for p in params:
        if p.fixed:
            continue
        scale = p.error if p.error else (abs(p.value) * 0.01 if p.value else 0.01)
        theta[params.index(p.name)] += 0.3 * scale * rng.standard_normal()
    return theta


def _finite_difference(lik, theta, i, h):
    """Central difference refined by Richardson extrapolation (error O(h⁴))."""

    def central(step):
        up, down = theta.copy(), theta.copy()
        up[i] += step
        down[i] -= step
        return (lik(up) - lik(down)) / (2 * step)

    return (4 * central(h / 2) - central(h)) / 3


@pytest.fixture(scope="module")
def toy_setup(nominal_config):
    model = Model(dataclasses.replace(nominal_config, exposure_days=100.0))
    return model, pseudo_experiment(model, 3).arrays(model)


@pytest.mark.parametrize("statistic", lk.STATISTICS)
def test_gradient_matches_finite_differences(toy_setup, statistic):
    # Must show: the gradient agrees with central finite differences to 1e-5 relative, for every
    # parameter (68 free in juno_nominal), on a Poisson toy at a point away from the minimum.
    # Steps: 1e-3 of the parameter's prior width or 1e-5 of its value; Richardson extrapolation
    # removes the O(h²) truncation so the comparison measures the gradient, not the differencing.
    model, data = toy_setup
    lik = lk.Likelihood(model, data, statistic)
    theta = _moved_point(model)
    _value, grad = lik.value_and_grad(theta)
    worst = 0.0
    for p in model.parameters:
        if p.fixed:
            continue
        i = model.parameters.index(p.name)
        h = 1e-3 * p.error if p.error else 1e-5 * max(abs(theta[i]), 1e-2)
        if p.name.startswith("flux.ff."):
            h = 1e-5
        fd = _finite_difference(lik, theta, i, h)
        if abs(fd) > 1e-6:
            rel = abs(grad[i] - fd) / abs(fd)
            worst = max(worst, rel)
            assert rel < 1e-5, (p.name, grad[i], fd)
        else:  # derivative (numerically) zero: absolute agreement
            assert abs(grad[i] - fd) < 1e-6, (p.name, grad[i], fd)
    assert worst > 0  # the loop compared something


def test_gradient_of_fixed_parameters_is_consistent(toy_setup):
    # Parameters held fixed in fits still get their true derivative (e.g. for scans over them).
    model, data = toy_setup
    lik = lk.Likelihood(model, data)
    theta = _moved_point(model)
    grad = lik.grad(theta)
    i = model.parameters.index("det.res.a")
    assert grad[i] == pytest.approx(_finite_difference(lik, theta, i, 1e-6), rel=1e-5)


def test_value_and_grad_value_is_the_statistic(toy_setup):
    model, data = toy_setup
    lik = lk.Likelihood(model, data)
    theta = _moved_point(model, seed=4)
    assert lik.value_and_grad(theta)[0] == pytest.approx(lik(theta), rel=1e-13)


def test_numpy_backend_gradient_agrees(toy_setup, nominal_config):
    model, data = toy_setup
    twin = Model(dataclasses.replace(nominal_config, exposure_days=100.0), backend="numpy")
    theta = _moved_point(model, seed=2)
    g1 = lk.Likelihood(model, data).grad(theta)
    g2 = lk.Likelihood(twin, data).grad(theta)
    np.testing.assert_allclose(g1, g2, rtol=1e-6, atol=1e-6 * np.abs(g2).max())


@pytest.mark.parametrize("kind", [0, 1, 2, 3])
def test_statistic_gradient_kernel_matches_twin_and_differences(kind):
    rng = np.random.default_rng(kind)
    mu = rng.uniform(0.5, 200, 100)
    n = rng.poisson(mu).astype(float)
    n[:3] = 0
    var = (rng.uniform(0, 0.05, 100) * mu) ** 2
    var[:10] = 0.0
    v1, dmu1, dv1 = lk.statistic_grad_kernel(n, mu, var, kind)
    v2, dmu2, dv2 = lk.statistic_grad_numpy(n, mu, var, kind)
    assert v1 == pytest.approx(v2, rel=1e-12)
    np.testing.assert_allclose(dmu1, dmu2, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dv1, dv2, rtol=1e-10, atol=1e-14)
    h = 1e-6 * mu
    up = lk.statistic_grad_kernel(n, mu + h, var, kind)[0]
    down = lk.statistic_grad_kernel(n, mu - h, var, kind)[0]
    # sum of per-bin derivatives times per-bin steps equals the total change (first order in h)
    assert (up - down) / 2 == pytest.approx(np.sum(dmu1 * h), rel=1e-6)


def test_oscillation_adjoint_kernel_matches_twin():
    e = np.linspace(1.9, 10.0, 300)
    baselines = np.array([52500.0, 52100.0, 215000.0])
    w = np.random.default_rng(0).normal(size=(3, 300))
    eff, _jac = osc.effective_jacobian(e, 0.307, 0.0218, 7.53e-5, 2.5283e-3, "knp", 2.45, 0.5)
    np.testing.assert_allclose(
        osc.pee_adjoint_kernel(e, baselines, w, eff), osc.pee_adjoint_numpy(e, baselines, w, eff), rtol=1e-11, atol=1e-9
    )


def test_response_adjoint_kernel_matches_twin():
    fine = np.arange(1.02, 12.2, 0.005)
    reco = np.concatenate([[0.8], np.arange(0.94, 7.44 + 1e-9, 0.02), [7.8, 8.2, 12.0]])
    v = fine * (1 + 0.02 * np.tanh(fine - 3))
    rng = np.random.default_rng(5)
    alpha = rng.normal(size=(2, len(reco) - 1))
    h = rng.random((2, len(fine) - 1))
    got = resp.response_adjoint_kernel(v, 0.0261, 0.0082, 0.0123, reco, 7.0, alpha, h)
    ref = resp.response_adjoint_numpy(v, 0.0261, 0.0082, 0.0123, reco, 7.0, alpha, h)
    for a, b in zip(got, ref, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-9 * np.abs(b).max())
