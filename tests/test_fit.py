"""Fitting (fitting.py): Asimov fits return the truth, derived quantities, MINOS vs HESSE, other truths."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from juno_fit.config import OSCILLATION_PARAMETERS, SYSTEMATICS
from juno_fit.datasets import asimov
from juno_fit.fitting import derived_quantities, fit
from juno_fit.likelihood import Likelihood
from juno_fit.model import Model

# A start about one to three 100-day standard deviations away from the PDG 2020 truth.
SHIFT = {"sin2_theta12": 0.006, "sin2_theta13": 0.004, "dm2_21": 1.0e-6, "dm2_31": 2.0e-5}


def _config(nominal_config, exposure_days, systematics):
    return dataclasses.replace(
        nominal_config,
        exposure_days=exposure_days,
        fit=dataclasses.replace(nominal_config.fit, systematics={k: (k in systematics) for k in SYSTEMATICS}),
    )


def _shifted_start(model):
    theta = model.parameters.values()
    for name, shift in SHIFT.items():
        theta[model.parameters.index(name)] += shift
    return theta


def _assert_truth(result, model, rel):
    truth = model.parameters.values()
    for name in OSCILLATION_PARAMETERS:
        value = result.values[name]
        assert value == pytest.approx(truth[model.parameters.index(name)], rel=rel), name


def test_asimov_fit_with_some_nuisances(nominal_config):
    # Quick version of the must-show below: 100 days, flux/efficiency/background-rate nuisances free.
    model = Model(_config(nominal_config, 100.0, {"flux_normalisation", "efficiency", "background_rates"}))
    lik = Likelihood(model, asimov(model).arrays(model))
    result = fit(lik, start=_shifted_start(model), minos=[])
    assert result.valid
    assert result.fval < 1e-6
    _assert_truth(result, model, 1e-4)
    assert set(result.pulls) == {"flux.norm", "det.eff"} | {
        f"bkg.{b.name}.rate" for b in model.config.detectors[0].backgrounds
    }
    assert max(abs(v) for v in result.pulls.values()) < 1e-2


@pytest.mark.slow
def test_asimov_fit_every_nuisance_free(nominal_model):
    # Must show: an Asimov fit with every nuisance free returns the true values to 1e-4 relative,
    # with χ²_min ≈ 0 (juno_nominal: 6 years, 68 free parameters, started away from the truth).
    lik = Likelihood(nominal_model, asimov(nominal_model).arrays(nominal_model))
    assert len(nominal_model.parameters.free) == 68
    result = fit(lik, start=_shifted_start(nominal_model), minos=[])
    assert result.valid
    assert result.fval < 1e-4
    _assert_truth(result, nominal_model, 1e-4)


@pytest.mark.slow
def test_fit_recovers_other_true_values(nominal_config):
    # Must show: data simulated at other true values (Δm²21 = 7.40e-5, sin²θ12 = 0.31) are recovered
    # within their errors. The config's own truth is the starting point, so the fit has to move.
    other = dataclasses.replace(nominal_config.oscillation, dm2_21=7.40e-5, sin2_theta12=0.31)
    data_model = Model(dataclasses.replace(nominal_config, oscillation=other))
    data = asimov(data_model).arrays(data_model)
    model = Model(nominal_config)
    result = fit(Likelihood(model, data), minos=[])
    assert result.valid
    for name, value in (("dm2_21", 7.40e-5), ("sin2_theta12", 0.31)):
        assert abs(result.values[name] - value) < result.errors[name], name
        assert abs(result.values[name] - value) < 1e-3 * abs(value), name  # Asimov data: exact recovery


def test_minos_agrees_with_hesse_on_asimov(nominal_config):
    # On Asimov data near a quadratic minimum MINOS and HESSE agree: within 5 % for Δm²31 and Δm²21.
    model = Model(_config(nominal_config, 2191.5, {"flux_normalisation"}))
    lik = Likelihood(model, asimov(model).arrays(model))
    result = fit(lik, minos=["dm2_31", "dm2_21"])
    for name in ("dm2_31", "dm2_21"):
        lo, hi = result.minos[name]
        assert -lo == pytest.approx(result.errors[name], rel=0.05)
        assert hi == pytest.approx(result.errors[name], rel=0.05)


def test_derived_quantities_and_error_propagation():
    values = {"sin2_theta12": 0.307, "sin2_theta13": 0.0218, "dm2_21": 7.53e-5, "dm2_31": 2.5283e-3}
    free = list(values)
    rng = np.random.default_rng(3)
    a = rng.normal(size=(4, 4)) * np.array([1e-3, 2e-3, 2e-7, 5e-6])
    cov = a.T @ a
    got = derived_quantities(values, cov, free)
    assert got["dm2_32"][0] == pytest.approx(2.453e-3, rel=1e-12)
    assert got["dm2_ee"][0] == pytest.approx(2.5283e-3 - 0.307 * 7.53e-5, rel=1e-12)
    assert got["sin2_2theta13"][0] == pytest.approx(4 * 0.0218 * (1 - 0.0218), rel=1e-12)
    # Monte Carlo propagation through the exact (nonlinear) functions, 2e5 samples: 1 % agreement
    x = rng.multivariate_normal(list(values.values()), cov, size=200_000)
    mc = {
        "dm2_32": x[:, 3] - x[:, 2],
        "dm2_ee": x[:, 3] - x[:, 0] * x[:, 2],
        "sin2_2theta13": 4 * x[:, 1] * (1 - x[:, 1]),
    }
    for name, samples in mc.items():
        assert got[name][1] == pytest.approx(np.std(samples), rel=0.01), name


def test_fixed_oscillation_parameter(nominal_config):
    cfg = _config(nominal_config, 100.0, set())
    cfg = dataclasses.replace(cfg, fit=dataclasses.replace(cfg.fit, free=("sin2_theta12", "dm2_21")))
    model = Model(cfg)
    result = fit(Likelihood(model, asimov(model).arrays(model)), minos=[])
    assert result.free == ["sin2_theta12", "dm2_21"]
    assert result.errors["dm2_31"] == 0.0
    assert result.values["dm2_31"] == nominal_config.oscillation.dm2_31
    assert result.to_dict()["parameters"]["dm2_31"]["free"] is False


def test_external_constraint(nominal_config):
    # An external Gaussian constraint on sin²θ13 (PDG 2020 σ = 0.0007, PHYSICS.md §1.1) enters as a
    # prior: at 100 days the error shrinks from ≈48 % to about the constraint's 3 %, and the
    # constraint is centred on its own mean, not the true value.
    cfg = _config(nominal_config, 100.0, {"flux_normalisation"})
    cfg = dataclasses.replace(cfg, fit=dataclasses.replace(cfg.fit, constraints={"sin2_theta13": (0.0230, 0.0007)}))
    model = Model(cfg)
    param = model.parameters["sin2_theta13"]
    assert (param.error, param.centre, param.value) == (0.0007, 0.0230, nominal_config.oscillation.sin2_theta13)
    result = fit(Likelihood(model, asimov(model).arrays(model)), minos=[])
    assert result.errors["sin2_theta13"] < 0.0007
    assert result.errors["sin2_theta13"] > 0.0006  # the data add a little (σ_data ≈ 0.01 at 100 days)
    assert 0.0218 < result.values["sin2_theta13"] < 0.0230  # pulled towards the constraint
    assert result.pulls["sin2_theta13"] < 0
