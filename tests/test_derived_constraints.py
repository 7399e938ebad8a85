"""External constraints on derived quantities (juno_fit/physics/derived.py): the formulas, their
gradients, the configuration keys and the likelihood term."""

from __future__ import annotations

import math

import numpy as np
import pytest

import juno_fit as jf
from juno_fit.config import DERIVED_QUANTITIES
from juno_fit.physics.derived import DERIVED, derived_priors, derived_value

POINT = (0.307, 0.0218, 7.53e-5, 2.5283e-3)


def test_names_agree_between_config_and_physics():
    assert tuple(DERIVED) == tuple(DERIVED_QUANTITIES)


@pytest.mark.parametrize("dm31", [2.5283e-3, -2.45e-3])
def test_formulas(dm31):
    s12, s13, dm21, _ = POINT
    dm32 = dm31 - dm21
    # Nunokawa–Parke–Zukanovich (hep-ph/0503283) eq. 6 written with the angles themselves
    t12, t13, t23, delta = math.asin(math.sqrt(s12)), math.asin(math.sqrt(s13)), math.radians(49.0), math.radians(230.0)
    mumu = (
        math.sin(t12) ** 2 * dm31
        + math.cos(t12) ** 2 * dm32
        + math.cos(delta) * math.sin(t13) * math.sin(2 * t12) * math.tan(t23) * dm21
    )
    ee = math.cos(t12) ** 2 * dm31 + math.sin(t12) ** 2 * dm32
    inputs = {"sin2_theta23": math.sin(t23) ** 2, "delta_cp_deg": 230.0}
    assert derived_value("dm2_mumu", s12, s13, dm21, dm31, **inputs)[0] == pytest.approx(mumu, rel=1e-13)
    assert derived_value("dm2_ee", s12, s13, dm21, dm31)[0] == pytest.approx(ee, rel=1e-13)
    assert derived_value("dm2_32", s12, s13, dm21, dm31)[0] == pytest.approx(dm32, rel=1e-13)
    assert derived_value("sin2_2theta13", s12, s13, dm21, dm31)[0] == pytest.approx(math.sin(2 * t13) ** 2, rel=1e-13)
    # the ordering of the splittings: Δm²ee − Δm²μμ has the sign of the ordering when cos δ ≥ 0
    # (Nunokawa et al.: the difference between disappearance channels distinguishes the orderings)
    assert (ee - mumu) * math.copysign(1.0, dm31) > 0 or math.cos(delta) < 0


def test_gradients():
    x = np.array(POINT)
    for name in DERIVED:
        _, g = derived_value(name, *x, sin2_theta23=0.57, delta_cp_deg=200.0)
        for k in range(4):
            h = 1e-6 * abs(x[k])
            up, down = x.copy(), x.copy()
            up[k] += h
            down[k] -= h
            fd = (
                derived_value(name, *up, sin2_theta23=0.57, delta_cp_deg=200.0)[0]
                - derived_value(name, *down, sin2_theta23=0.57, delta_cp_deg=200.0)[0]
            ) / (2 * h)
            assert g[k] == pytest.approx(fd, rel=1e-7, abs=1e-14), (name, k)


def test_prior_is_on_the_magnitude():
    inputs = {"sin2_theta23": 0.5, "delta_cp": 180.0}
    constraints = {"dm2_mumu": (2.45e-3, 0.03e-3), "sin2_theta13": (0.0219, 0.0007)}  # the second: a parameter
    no = np.array(POINT)
    io = np.array([*POINT[:3], -(POINT[3] - 2 * POINT[2])])
    for theta in (no, io):
        value = derived_value("dm2_mumu", *theta, sin2_theta23=0.5, delta_cp_deg=180.0)[0]
        expected = ((abs(value) - 2.45e-3) / 0.03e-3) ** 2
        grad = np.zeros(4)
        assert derived_priors(theta, [0, 1, 2, 3], constraints, inputs, grad) == pytest.approx(expected, rel=1e-12)
        assert grad[3] == pytest.approx(2 * (abs(value) - 2.45e-3) / 0.03e-3**2 * math.copysign(1, value), rel=1e-12)


def test_config_keys_and_refusals(fast_config):
    config = jf.load_config(
        fast_config,
        fit={"constraints": {"dm2_mumu": [2.45e-3, 3e-5]}, "derived": {"sin2_theta23": 0.57, "delta_cp": 212.0}},
    )
    assert config.fit.constraints["dm2_mumu"] == (2.45e-3, 3e-5)
    assert config.fit.derived_inputs == {"sin2_theta23": 0.57, "delta_cp": 212.0}
    with pytest.raises(jf.ConfigError, match=r"fit.constraints.dm2_mumu: needs 0 < sigma ≤ mean ≤ 1"):
        jf.load_config(fast_config, fit={"constraints": {"dm2_mumu": [2.45e-3, 3e-3]}})
    with pytest.raises(jf.ConfigError, match=r"fit.constraints.dm2_mm: unknown oscillation parameter or derived"):
        jf.load_config(fast_config, fit={"constraints": {"dm2_mm": [2.45e-3, 3e-5]}})
    with pytest.raises(jf.ConfigError, match=r"fit.derived.delta_cp"):
        jf.load_config(fast_config, fit={"derived": {"delta_cp": 400.0}})


def test_likelihood_term_and_gradient(fast_config):
    plain = jf.load_config(fast_config)
    config = jf.load_config(fast_config, fit={"constraints": {"dm2_mumu": [2.40e-3, 3e-5]}})
    model = jf.build_model(config)
    data = jf.asimov(model)
    lik, lik0 = jf.Likelihood(model, data), jf.Likelihood(jf.build_model(plain), data)
    theta = model.theta(dm2_31=2.52e-3)
    value = derived_value("dm2_mumu", *theta[:4], sin2_theta23=0.5, delta_cp_deg=180.0)[0]
    assert lik(theta) - lik0(theta) == pytest.approx(((value - 2.40e-3) / 3e-5) ** 2, rel=1e-9)
    _, grad = lik.value_and_grad(theta)
    for name in ("sin2_theta12", "dm2_21", "dm2_31"):
        i = model.parameters.index(name)
        h = 1e-6 * abs(theta[i])
        up, down = theta.copy(), theta.copy()
        up[i] += h
        down[i] -= h
        assert grad[i] == pytest.approx((lik(up) - lik(down)) / (2 * h), rel=1e-6), name
    # the constraint pulls Δm²31 towards it: |Δm²μμ| fitted between the data's and the constraint's
    result = jf.fit(lik, minos=False)
    fitted = derived_value(
        "dm2_mumu", *(result.values[n] for n in ("sin2_theta12", "sin2_theta13", "dm2_21", "dm2_31"))
    )[0]
    assert (
        2.40e-3
        < fitted
        < derived_value(
            "dm2_mumu", *(config.oscillation.value(n) for n in ("sin2_theta12", "sin2_theta13", "dm2_21", "dm2_31"))
        )[0]
    )
