"""Statistics and the likelihood (likelihood.py): kernels vs twins, closed forms, priors, covariances."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from juno_fit import likelihood as lk
from juno_fit.config import SYSTEMATICS
from juno_fit.datasets import asimov
from juno_fit.model import Model

RNG = np.random.default_rng(7)
MU = RNG.uniform(0.5, 300.0, 200)
N = RNG.poisson(MU).astype(float)
N[:5] = 0.0
VAR = (RNG.uniform(0.0, 0.05, 200) * MU) ** 2


@pytest.mark.parametrize("statistic", lk.STATISTICS)
def test_kernels_match_twins(statistic):
    got = lk.statistic_value(statistic, N, MU, VAR)
    ref = lk.statistic_value(statistic, N, MU, VAR, numpy=True)
    assert got == pytest.approx(ref, rel=1e-12)


def test_poisson_without_systematics_is_the_deviance():
    dev = 2.0 * np.sum(MU - N + np.where(N > 0, N * np.log(np.where(N > 0, N, 1) / MU), 0.0))
    assert lk.poisson_kernel(N, MU, np.zeros_like(MU)) == pytest.approx(dev, rel=1e-13)


def test_poisson_profiles_the_bin_nuisance_exactly():
    # The analytic β equals a numerical minimisation of deviance(μ(1+β)) + β²/s² bin by bin.
    total = 0.0
    for n, mu, var in zip(N[:40], MU[:40], VAR[:40], strict=True):
        s2 = var / mu**2

        def f(beta, n=n, mu=mu, s2=s2):
            m = mu * (1 + beta)
            return 2 * (m - n + (n * np.log(n / m) if n > 0 else 0.0)) + (beta**2 / s2 if s2 > 0 else 0.0)

        total += minimize_scalar(f, bounds=(-0.9, 3.0), method="bounded", options={"xatol": 1e-12}).fun
    assert lk.poisson_kernel(N[:40], MU[:40], VAR[:40]) == pytest.approx(total, rel=1e-8)


def test_cnp_limits():
    # n = 0: the CNP term is 2μ (the Poisson deviance of an empty bin, Ji et al. 2020).
    assert lk.chi2_kernel(np.zeros(1), np.array([3.0]), np.zeros(1), 1) == pytest.approx(6.0)
    # large n: CNP, Pearson, Neyman and Poisson agree to O(1/√n) relative on a 1σ fluctuation
    n, mu = np.array([1e6 + 1e3]), np.array([1e6])
    values = [lk.statistic_value(s, n, mu, np.zeros(1)) for s in lk.STATISTICS]
    assert np.allclose(values, 1.0, rtol=5e-3)


@pytest.fixture(scope="module")
def small():
    from juno_fit.config import load_config

    cfg = load_config("juno_nominal", exposure="100d")
    model = Model(cfg)
    return model, lk.Likelihood(model, asimov(model).arrays(model))


@pytest.mark.parametrize("statistic", lk.STATISTICS)
def test_asimov_minimum_is_zero(small, statistic):
    model, lik = small
    assert lk.Likelihood(model, lik.data, statistic)(model.parameters.values()) == pytest.approx(0.0, abs=1e-9)


def test_independent_prior_terms(small):
    model, lik = small
    theta = model.parameters.values()
    p = model.parameters["flux.norm"]
    theta[model.parameters.index("flux.norm")] += 2.0 * p.error
    assert lik.prior_terms(theta) == pytest.approx(4.0, rel=1e-12)


def test_correlated_block_prior(small):
    model, lik = small
    params = model.parameters
    block = params.blocks[0]
    theta = params.values()
    delta = np.array([0.01, -0.02, 0.03, 0.0])
    theta[[params.index(n) for n in block.names]] = delta
    assert lik.prior_terms(theta) == pytest.approx(delta @ np.linalg.solve(block.covariance, delta), rel=1e-12)
    # the U235–Pu239 correlation (−0.53) makes opposite shifts cheaper than same-sign shifts
    sig = np.sqrt(np.diag(block.covariance))
    same, opposite = np.array([1, 0, 1, 0]) * sig, np.array([1, 0, -1, 0]) * sig
    cost = [d @ np.linalg.solve(block.covariance, d) for d in (same, opposite)]
    assert cost[1] < cost[0]


def test_systematic_variance_switches(small, nominal_config):
    model, lik = small
    pred = model.detectors[0].predict(model.parameters.values())
    var = lik.systematic_variance(0, pred)
    spectra = nominal_config.flux.spectra
    centres = 0.5 * (pred.edges[1:] + pred.edges[:-1])
    expected = (np.interp(centres, spectra.shape_energy, spectra.shape_sigma) * pred.ibd) ** 2
    for bkg in nominal_config.detectors[0].backgrounds:
        expected += (bkg.shape_uncertainty * pred.backgrounds[bkg.name]) ** 2
    np.testing.assert_allclose(var, expected, rtol=1e-12)
    off = dataclasses.replace(
        model.config, fit=dataclasses.replace(model.config.fit, systematics=dict.fromkeys(SYSTEMATICS, False))
    )
    lik_off = lk.Likelihood(Model(off), lik.data)
    assert np.all(lik_off.systematic_variance(0, pred) == 0.0)
    assert lik_off.prior_terms(model.parameters.values()) == 0.0


def test_ndof(small):
    _model, lik = small
    assert lik.ndof == 340 - 4  # the four oscillation parameters are the only unconstrained ones


def test_bad_data_shape(small):
    model, _lik = small
    with pytest.raises(ValueError, match="bins"):
        lk.Likelihood(model, [np.ones(10)])
