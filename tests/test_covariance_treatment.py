"""The covariance-matrix treatment of systematics for the JUNO-like model (``[fit] treatment =
"covariance"``): nuisances held at nominal, their priors turned into a covariance matrix of the expected
counts (juno_fit/likelihood.py), against the pull treatment of the same uncertainties."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from juno_fit.config import load_config
from juno_fit.datasets import asimov
from juno_fit.errors import ConfigError
from juno_fit.fitting import fit
from juno_fit.likelihood import Likelihood, chi2_variance, nuisance_covariance
from juno_fit.model import Model

OSC = ("sin2_theta12", "sin2_theta13", "dm2_21", "dm2_31")


def _with(config, **fit_fields):
    return dataclasses.replace(config, fit=dataclasses.replace(config.fit, **fit_fields))


@pytest.fixture(scope="module")
def configs():
    cfg = load_config("juno_nominal", exposure="1y")
    return _with(cfg, statistic="cnp"), _with(cfg, statistic="cnp", treatment="covariance")


def test_chi2_variance_and_its_derivative():
    n = np.array([0.0, 1.0, 5.0, 100.0])
    mu = np.array([0.5, 2.0, 4.0, 120.0])
    for kind in (1, 2, 3):
        v, dv = chi2_variance(n, mu, kind)
        h = 1e-6
        fd = (chi2_variance(n, mu + h, kind)[0] - chi2_variance(n, mu - h, kind)[0]) / (2 * h)
        np.testing.assert_allclose(dv, fd, rtol=1e-7, atol=1e-10)
    v, _ = chi2_variance(n, mu, 1)
    assert (n[0] - mu[0]) ** 2 / v[0] == pytest.approx(2 * mu[0])  # CNP: an empty bin adds 2μ
    assert v[2] == pytest.approx(3 / (1 / 5 + 2 / 4))


def test_covariance_treatment_holds_the_nuisances_and_keeps_their_priors(configs):
    pulls, cov = (Model(c) for c in configs)
    assert len(pulls.parameters.free) > 60  # every nuisance with a prior is fitted
    assert cov.parameters.free == list(OSC)
    assert cov.parameters["flux.norm"].error == pulls.parameters["flux.norm"].error
    v = nuisance_covariance(cov)
    assert np.allclose(v, v.T)
    assert np.all(np.linalg.eigvalsh(v) > -1e-9 * np.abs(v).max())
    # the 2 % correlated flux normalisation alone: V ≥ (0.02 μ_IBD)(0.02 μ_IBD)ᵀ on the diagonal
    mu_ibd = cov.predict(cov.parameters.values())[0].ibd
    assert np.all(np.diag(v) >= (0.02 * mu_ibd) ** 2 * (1 - 1e-9))


def test_gradient_and_asimov_minimum(configs):
    model = Model(configs[1])
    lik = Likelihood(model, asimov(model).arrays(model))
    assert lik(model.parameters.values()) == pytest.approx(0.0, abs=1e-9)
    theta = model.theta(dm2_31=2.536e-3, sin2_theta12=0.31, dm2_21=7.5e-5)
    value, grad = lik.value_and_grad(theta)
    assert value == pytest.approx(lik(theta), rel=1e-12)
    for name in OSC:
        i = model.parameters.index(name)
        h = 1e-6 * abs(theta[i])
        up, dn = theta.copy(), theta.copy()
        up[i] += h
        dn[i] -= h
        assert grad[i] == pytest.approx((lik(up) - lik(dn)) / (2 * h), rel=1e-6), name


def test_covariance_and_pull_treatments_give_the_same_precision(configs):
    """For nuisances that act linearly on the expectation the two treatments are the same Gaussian
    likelihood; over ±1σ the model is linear to a few per mille, so the errors agree to 1 %."""
    errors = []
    for cfg in configs:
        model = Model(cfg)
        res = fit(Likelihood(model, asimov(model).arrays(model)), minos=[])
        assert res.valid
        errors.append(np.array([res.errors[n] for n in OSC]))
    np.testing.assert_allclose(errors[1], errors[0], rtol=0.01)


def test_two_detectors_sharing_the_flux_are_correlated():
    cfg = _with(load_config("juno_tao", exposure="100d"), statistic="cnp", treatment="covariance")
    model = Model(cfg)
    v = nuisance_covariance(model)
    n_juno = model.detectors[0].det.n_bins
    cross = v[:n_juno, n_juno:]
    assert np.abs(cross).max() > 0.0  # flux.norm, cores, fission fractions seen by JUNO and TAO


def test_poisson_with_covariance_is_refused(tmp_path):
    text = Path(load_config("juno_nominal").file).read_text(encoding="utf-8")
    path = tmp_path / "cov.toml"
    path.write_text(text.replace("minos = true", 'minos = true\ntreatment = "covariance"'), encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    assert "fit.treatment" in str(exc.value)
    assert "χ² statistic" in str(exc.value)
