"""Oscillation hypotheses beyond three flavours (juno_fit/physics/hypotheses/): each P_ee against an
independent exact computation, its Numba kernel against its NumPy twin, the exact reduction to the
standard model, derivatives against finite differences, and the model and fit built on them."""

from __future__ import annotations

import numpy as np
import pytest

import juno_fit as jf
from juno_fit.physics import oscillation as osc
from juno_fit.physics.hypotheses import HYPOTHESES
from juno_fit.physics.hypotheses import sterile as st

STANDARD = (0.307, 0.0218, 7.53e-5, 2.5283e-3)  # PDG 2020 (arXiv:2204.13249 Table 1)


def _random_points(n: int, seed: int):
    """Random (E, L, s12, s13, Δm²21, Δm²31, sin²θ14, Δm²41): both orderings, Δm²41 over 1e-5 … 1 eV²."""
    rng = np.random.default_rng(seed)
    for _ in range(n):
        s12, s13 = rng.uniform(0.05, 0.95), rng.uniform(0.001, 0.5)
        dm21 = rng.uniform(1e-6, 1e-3)
        dm31 = rng.choice([-1.0, 1.0]) * rng.uniform(1.5 * dm21, 5e-3)
        yield (
            rng.uniform(1.8, 10.0, 1),
            rng.uniform(100.0, 1e5),
            s12,
            s13,
            dm21,
            dm31,
            rng.uniform(0.0, 0.5),
            10 ** rng.uniform(-5, 0),
        )


def test_3p1_against_exact_4x4_in_vacuum():
    # the closed form is exact in vacuum: 1e-10 (a phase error of 1e-10 rad over phases up to ~1e6
    # rad is what double precision allows; the observed agreement is ~5e-12)
    worst = 0.0
    count = 0
    for e, L, s12, s13, dm21, dm31, s14, dm41 in _random_points(1000, 1):
        exact = st.pee_exact_3p1(e, L, s12, s13, dm21, dm31, s14, dm41)
        eff, _ = osc.effective_jacobian(e, s12, s13, dm21, dm31, "vacuum", 0.0, 0.5)
        twin = st.pee_3p1_numpy(e, [L], eff, s14, dm41)[0]
        # the node values (cells of zero width)
        fast = st.pee_3p1_kernel(e, np.array([L]), np.ascontiguousarray(eff), s14, dm41, e, e, 0.0, 0.0)[0]
        worst = max(worst, float(np.max(np.abs(twin - exact))), float(np.max(np.abs(fast - exact))))
        count += len(e)
    assert count >= 1000
    assert worst < 1e-10


def test_3p1_in_matter_against_exact_4x4():
    # the active states in matter (KNP), the sterile state in vacuum: the neglected neutral-current
    # potential and the matter shift of θ14 leave |ΔP| < 2e-4 (sin²θ14 = 0.01) and < 8e-4 (0.05) at
    # JUNO's baseline (the docstring's bounds: measured maxima 1.6e-4 and 7.4e-4, so a change shows)
    e = np.linspace(1.8, 10.0, 120)
    for dm41 in (1e-5, 1e-4, 1e-3, 1e-2, 1e-1):
        for s14, bound in ((0.0, 1e-6), (0.01, 2e-4), (0.05, 8e-4)):
            exact = st.pee_exact_3p1(e, 52500.0, *STANDARD, s14, dm41, 2.45, 0.5)
            eff, _ = osc.effective_jacobian(e, *STANDARD, "knp", 2.45, 0.5)
            approx = st.pee_3p1_numpy(e, [52500.0], eff, s14, dm41)[0]
            assert np.max(np.abs(approx - exact)) < bound, (dm41, s14)


@pytest.mark.parametrize("matter", ["vacuum", "knp"])
def test_3p1_reduces_to_the_standard_model(matter):
    e = np.linspace(1.8, 12.0, 500)
    baselines = np.array([52_770.0, 215_000.0])
    h = HYPOTHESES["sterile_3p1"]
    standard = HYPOTHESES["standard"].probability(e, baselines, STANDARD, (), matter, 2.45, 0.5)
    for numba in (True, False):
        sterile = h.probability(e, baselines, STANDARD, (2e-3, 0.0), matter, 2.45, 0.5, numba=numba)
        np.testing.assert_allclose(sterile, standard, rtol=0, atol=2e-15)


def test_3p1_kernels_equal_their_twins():
    rng = np.random.default_rng(3)
    e = np.sort(rng.uniform(1.8, 10.0, 300))
    baselines = np.array([500.0, 1600.0, 52_500.0])
    eff, _ = osc.effective_jacobian(e, *STANDARD, "knp", 2.45, 0.5)
    eff = np.ascontiguousarray(eff)
    weights = rng.uniform(0.0, 1.0, (3, len(e)))
    width = rng.uniform(0.001, 0.03, len(e))  # cells of the nodes (the averaged sterile terms), or none
    for lo, hi, blend in ((e, e, (0.0, 0.0)), (e - 0.3 * width, e + 0.7 * width, (0.9, 1.8))):
        for s14, dm41 in ((0.03, 2.2e-3), (0.2, 0.7), (0.0, 1e-4), (0.1, 5.0)):
            np.testing.assert_allclose(
                st.pee_3p1_kernel(e, baselines, eff, s14, dm41, lo, hi, *blend),
                st.pee_3p1_numpy(e, baselines, eff, s14, dm41, lo, hi, *blend),
                atol=1e-11,
            )
            np.testing.assert_allclose(
                st.pee_3p1_adjoint_kernel(e, baselines, weights, eff, s14, dm41, lo, hi, *blend),
                st.pee_3p1_adjoint_numpy(e, baselines, weights, eff, s14, dm41, lo, hi, *blend),
                rtol=1e-10,
                atol=1e-8,
            )


# --------------------------------------------------------------------------------------------------
# The model, the likelihood and the fit with a sterile neutrino
# --------------------------------------------------------------------------------------------------

FREE = ["sin2_theta12", "sin2_theta13", "dm2_21", "dm2_31", "sin2_theta14"]


def _sterile_config(fast_config, s14: float, dm41: float = 2e-3, free=FREE):
    return jf.load_config(
        fast_config,
        oscillation={"model": "sterile_3p1", "dm2_41": dm41, "sin2_theta14": s14},
        fit={"parameters": free},
    )


def test_sterile_model_gradient(fast_config):
    model = jf.build_model(_sterile_config(fast_config, 0.02, free=[*FREE, "dm2_41"]))
    lik = jf.Likelihood(model, jf.pseudo_experiment(model, 1))
    theta = model.theta(sin2_theta14=0.03, dm2_41=2.2e-3)
    _, grad = lik.value_and_grad(theta)
    for name in ("sin2_theta14", "dm2_41", "sin2_theta12", "dm2_31", "matter.density"):
        i = model.parameters.index(name)
        step = 1e-6 * abs(theta[i])
        up, down = theta.copy(), theta.copy()
        up[i] += step
        down[i] -= step
        assert grad[i] == pytest.approx((lik(up) - lik(down)) / (2 * step), rel=1e-5), name


def test_sterile_null_asimov_fit_returns_the_standard_point(fast_config):
    model = jf.build_model(_sterile_config(fast_config, 0.0))
    result = jf.fit(jf.Likelihood(model, jf.asimov(model)), minos=False)
    assert result.valid
    # on the boundary sin²θ14 = 0 the fit stays there (within 1e-3 of its HESSE error); the
    # standard parameters return their true values to 1e-3 of their errors
    assert abs(result.values["sin2_theta14"]) < 1e-3 * result.errors["sin2_theta14"] + 1e-6
    for name, truth in zip(FREE[:4], STANDARD, strict=True):
        assert abs(result.values[name] - truth) < 1e-3 * result.errors[name], name


def test_sterile_asimov_truth_is_recovered(fast_config):
    # Δm²41 = 2e-3 eV², sin²2θ14 = 0.1 (sin²θ14 = 0.02565), both free, fitted from another start
    s14 = 0.5 * (1.0 - np.sqrt(1.0 - 0.1))
    model = jf.build_model(_sterile_config(fast_config, s14, free=[*FREE, "dm2_41"]))
    lik = jf.Likelihood(model, jf.asimov(model))
    result = jf.fit(lik, minos=False, start=model.theta(sin2_theta14=0.012, dm2_41=1.9e-3))
    assert result.valid
    for name, truth in (("sin2_theta14", s14), ("dm2_41", 2e-3), *zip(FREE[:4], STANDARD, strict=True)):
        assert abs(result.values[name] - truth) < 1e-2 * result.errors[name], name


def test_sterile_config_refusals(fast_config):
    with pytest.raises(jf.ConfigError, match=r"oscillation.dm2_41: missing required key"):
        jf.load_config(fast_config, oscillation={"model": "sterile_3p1"})
    with pytest.raises(jf.ConfigError, match=r'oscillation.dm2_41: a parameter of model = "sterile_3p1"'):
        jf.load_config(fast_config, oscillation={"dm2_41": 1e-3})
    with pytest.raises(jf.ConfigError, match=r"oscillation.dm2_41: must be in \(0, 10\] eV²"):
        jf.load_config(fast_config, oscillation={"model": "sterile_3p1", "dm2_41": 20.0})
    with pytest.raises(jf.ConfigError, match=r"fit.parameters: unknown oscillation parameter 'sin2_theta14'"):
        jf.load_config(fast_config, fit={"parameters": FREE})
    with pytest.raises(jf.ConfigError, match=r"oscillation.sin2_theta14"):
        jf.load_config(fast_config, oscillation={"model": "sterile_3p1", "dm2_41": 1e-3, "sin2_theta14": 1.0})
    # beyond the grid's dm2_max the sterile terms are averaged (tests/test_averaging.py): accepted
    config = jf.load_config(fast_config, oscillation={"model": "sterile_3p1", "dm2_41": 1e-2})
    assert dict(config.oscillation.extra) == {"dm2_41": 1e-2, "sin2_theta14": 0.0}


# --------------------------------------------------------------------------------------------------
# Wave-packet decoherence
# --------------------------------------------------------------------------------------------------


def test_decoherence_against_the_wave_packet_average():
    # the damping exp(−2σ²Δ²) is the Gaussian momentum average of cos 2Δ with the phase linear in the
    # spread; Gauss–Hermite quadrature of that average (80 nodes) is exact to rounding, 1e-10, while
    # the spread of the phase, 2Δσ, stays below 6 rad (beyond, the damping is below e^-18 anyway and
    # the quadrature cannot follow the integrand)
    from juno_fit.constants import OSC_PHASE
    from juno_fit.physics.hypotheses import decoherence as dec

    rng = np.random.default_rng(7)
    worst, count = 0.0, 0
    for e, L, s12, s13, dm21, dm31, _s14, _dm41 in _random_points(1000, 2):
        fastest = OSC_PHASE * max(abs(dm31), abs(dm31 - dm21)) * L / e.min()
        sigma = min(10 ** rng.uniform(-4, -1), 3.0 / fastest)
        reference = dec.pee_wave_packet_average(e, L, s12, s13, dm21, dm31, sigma)
        eff, _ = osc.effective_jacobian(e, s12, s13, dm21, dm31, "vacuum", 0.0, 0.5)
        for p in (
            dec.pee_decoherence_numpy(e, [L], eff, sigma)[0],
            dec.pee_decoherence_kernel(e, np.array([L]), np.ascontiguousarray(eff), sigma)[0],
        ):
            worst = max(worst, float(np.max(np.abs(p - reference))))
        count += len(e)
    assert count >= 1000
    assert worst < 1e-10


@pytest.mark.parametrize("name", ["decoherence", "scalar_nsi"])
@pytest.mark.parametrize("matter", ["vacuum", "knp"])
def test_reduces_to_the_standard_model(name, matter):
    e = np.linspace(1.8, 12.0, 500)
    baselines = np.array([52_770.0, 215_000.0])
    null = {"decoherence": (0.0,), "scalar_nsi": (0.0, 0.01)}[name]
    standard = HYPOTHESES["standard"].probability(e, baselines, STANDARD, (), matter, 2.45, 0.5)
    for numba in (True, False):
        p = HYPOTHESES[name].probability(e, baselines, STANDARD, null, matter, 2.45, 0.5, numba=numba)
        # the scalar-NSI route diagonalises (M + δM)² numerically: rounding of the eigenvectors, 1e-13
        np.testing.assert_allclose(p, standard, rtol=0, atol=2e-15 if name == "decoherence" else 1e-13)


@pytest.mark.parametrize(
    ("name", "extra"),
    [
        ("sterile_3p1", (2.3e-3, 0.04)),
        ("decoherence", (0.02,)),
        ("scalar_nsi", (0.008, 0.01)),
        ("scalar_nsi", (-0.01, 0.03)),
    ],
)
@pytest.mark.parametrize("matter", ["vacuum", "knp"])
def test_contraction_against_finite_differences(name, extra, matter):
    # Σ w ∂P/∂x for every input (the five standard ones and the hypothesis' own) against central
    # differences of the probability, step 1e-6 relative (truncation ~1e-12, rounding ~1e-10 relative);
    # the scalar-NSI Jacobian goes through a numerical eigen-decomposition, whose finite differences
    # carry ~1e-6 relative noise at this step
    h = HYPOTHESES[name]
    e = np.linspace(1.8, 9.0, 300)
    baselines = np.array([1600.0, 52_500.0])
    weights = np.random.default_rng(5).uniform(0.0, 1.0, (2, len(e)))
    x0 = np.array([*STANDARD, 2.45, *extra])

    def total(x):
        return float(np.sum(weights * h.probability(e, baselines, tuple(x[:4]), x[5:], matter, x[4], 0.5, numba=False)))

    rel = 2e-5 if name == "scalar_nsi" else 2e-6
    for numba in (True, False):
        g = h.contraction(e, baselines, weights, tuple(x0[:4]), x0[5:], matter, x0[4], 0.5, numba=numba)
        assert g.shape == (5 + len(extra),)
        for k in range(len(x0)):
            if matter == "vacuum" and k == 4:
                assert g[k] == 0.0
                continue
            step = 1e-6 * abs(x0[k])
            xp, xm = x0.copy(), x0.copy()
            xp[k] += step
            xm[k] -= step
            fd = (total(xp) - total(xm)) / (2 * step)
            assert g[k] == pytest.approx(fd, rel=rel, abs=1e-6 * np.sum(weights)), (k, numba)


def test_decoherence_kernels_equal_their_twins():
    from juno_fit.physics.hypotheses import decoherence as dec

    rng = np.random.default_rng(4)
    e = np.sort(rng.uniform(1.8, 10.0, 300))
    baselines = np.array([500.0, 52_500.0])
    eff = np.ascontiguousarray(osc.effective_jacobian(e, *STANDARD, "knp", 2.45, 0.5)[0])
    weights = rng.uniform(0.0, 1.0, (2, len(e)))
    for sigma in (0.0, 0.01, 0.3):
        np.testing.assert_allclose(
            dec.pee_decoherence_kernel(e, baselines, eff, sigma),
            dec.pee_decoherence_numpy(e, baselines, eff, sigma),
            atol=1e-14,
        )
        np.testing.assert_allclose(
            dec.pee_decoherence_adjoint_kernel(e, baselines, weights, eff, sigma),
            dec.pee_decoherence_adjoint_numpy(e, baselines, weights, eff, sigma),
            rtol=1e-11,
            atol=1e-9,
        )


# --------------------------------------------------------------------------------------------------
# Scalar NSI
# --------------------------------------------------------------------------------------------------


def test_scalar_nsi_against_exact_3x3():
    # vacuum: the effective parameters of (M + δM)² in the vacuum formula equal the 3×3 Hamiltonian
    # diagonalised at each energy to 1e-10; matter: the KNP treatment of the effective parameters,
    # within the KNP accuracy (4e-7 for the standard model; 2e-6 allowed for |η_ee| ≤ 0.03)
    from juno_fit.physics.hypotheses import scalar_nsi as nsi

    rng = np.random.default_rng(11)
    h = HYPOTHESES["scalar_nsi"]
    worst, worst_matter, count = 0.0, 0.0, 0
    for e, L, s12, s13, dm21, dm31, _s14, _dm41 in _random_points(1000, 3):
        eta, lightest = rng.uniform(-0.03, 0.03), rng.uniform(0.0, 0.05)
        std = (s12, s13, dm21, dm31)
        exact = nsi.pee_exact_nsi(e, L, *std, eta, lightest)
        for numba in (True, False):
            p = h.probability(e, np.array([L]), std, (eta, lightest), "vacuum", 0.0, 0.5, numba=numba)[0]
            worst = max(worst, float(np.max(np.abs(p - exact))))
        count += len(e)
    for eta in (-0.03, 0.0, 0.01, 0.03):
        for dm31 in (2.5283e-3, -2.45e-3):
            std = (*STANDARD[:3], dm31)
            e = np.linspace(1.8, 10.0, 100)
            exact = nsi.pee_exact_nsi(e, 52_500.0, *std, eta, 0.01, 2.45, 0.5)
            p = h.probability(e, np.array([52_500.0]), std, (eta, 0.01), "knp", 2.45, 0.5)[0]
            worst_matter = max(worst_matter, float(np.max(np.abs(p - exact))))
    assert count >= 1000
    assert worst < 1e-10
    assert worst_matter < 2e-6


@pytest.mark.parametrize(
    ("model", "name", "truth", "values"),
    [
        ("decoherence", "sigma_rel", {}, {"sigma_rel": 0.01}),
        ("scalar_nsi", "eta_ee", {"lightest_mass": 0.01}, {"eta_ee": 0.004}),
    ],
)
def test_model_gradient_and_null_fit(fast_config, model, name, truth, values):
    # the likelihood's gradient with respect to the hypothesis' parameter against central
    # differences; the Asimov fit of the standard truth with it free returns its null value (within
    # 1e-2 of its HESSE error) and the standard parameters unchanged (1e-2 of theirs)
    # P_ee depends on η_ee only through the effective vacuum parameters of (M + δM)²: with all four
    # standard parameters free η_ee is exactly degenerate with them (a reactor experiment bounds it
    # only with external priors on them), so that fit frees η_ee alone
    free = [name] if model == "scalar_nsi" else [*FREE[:4], name]
    config = jf.load_config(fast_config, oscillation={"model": model, **truth}, fit={"parameters": free})
    m = jf.build_model(config)
    lik = jf.Likelihood(m, jf.asimov(m))
    theta = m.theta(**values)
    _, grad = lik.value_and_grad(theta)
    i = m.parameters.index(name)
    step = 1e-5 * abs(theta[i])
    up, down = theta.copy(), theta.copy()
    up[i] += step
    down[i] -= step
    assert grad[i] == pytest.approx((lik(up) - lik(down)) / (2 * step), rel=1e-5)
    result = jf.fit(lik, minos=False, start=theta)
    assert result.valid
    assert result.fval < 1e-4  # Asimov data: the truth's statistic is 0
    if name == "sigma_rel":
        # the damping is quadratic in σ_rel (χ² ∝ σ_rel⁴ near 0): the minimum is flat, and MIGRAD stops
        # where Δχ² < 1e-4, i.e. σ_rel of a few 1e-3 (the 1σ bound at this exposure is ~0.01)
        assert result.values[name] < 5e-3
    else:
        assert abs(result.values[name]) < 1e-2 * result.errors[name]
    for p, value in zip(FREE[:4], STANDARD, strict=True):
        assert abs(result.values[p] - value) <= 1e-2 * result.errors[p], p


@pytest.mark.parametrize(("matter", "density"), [("vacuum", 0.0), ("knp", 2.45), ("knp", 0.0)])
def test_effective_parameters_equal_those_of_the_jacobian(matter, density):
    # the evaluation path (real arithmetic) and the gradient path (complex step) give the same
    # effective parameters, to rounding
    e = np.linspace(1.8, 12.0, 200)
    fast = osc.effective_parameters(e, *STANDARD, matter, density, 0.5)
    with_jacobian, _ = osc.effective_jacobian(e, *STANDARD, matter, density, 0.5)
    np.testing.assert_allclose(fast, with_jacobian, rtol=1e-14, atol=0)
