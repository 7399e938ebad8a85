"""Survival probability (physics/oscillation.py): kernels against NumPy twins, closed forms against
independent exact three-flavour computations, matter-effect size against the first-order estimate."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.linalg import expm

from juno_fit.constants import OSC_PHASE
from juno_fit.physics import oscillation as osc

NO = (0.307, 0.0218, 7.53e-5, 2.5283e-3)  # PDG 2020, arXiv:2204.13249 Table 1
IO = (0.307, 0.0218, 7.53e-5, -2.4707e-3)
ENERGIES = np.linspace(1.8, 10.0, 400)
BASELINES = np.array([30.0, 1650.0, 52500.0, 52770.0, 215000.0])


def _pee_expm(enu, baseline, s12sq, s13sq, dm21, dm31):
    """Independent vacuum P_ee: matrix exponential of the flavour-basis Hamiltonian (no eigensolver)."""
    u = osc.pmns(s12sq, s13sq, 0.45, 1.2)  # θ23 and δ_CP do not enter P_ee: use non-trivial ones
    m2 = u @ np.diag([0.0, dm21, dm31]) @ u.conj().T
    return np.array([abs(expm(-2j * OSC_PHASE * m2 * baseline / e)[0, 0]) ** 2 for e in enu])


@pytest.mark.parametrize("params", [NO, IO], ids=["normal", "inverted"])
def test_vacuum_formula_equals_exact_three_flavour(params):
    # Must show: vacuum P_ee equals an independent exact 3ν computation to 1e-9.
    got = osc.pee_vacuum_kernel(ENERGIES, BASELINES, *params)
    for r, baseline in enumerate(BASELINES):
        ref = _pee_expm(ENERGIES[::8], baseline, *params)
        np.testing.assert_allclose(got[r, ::8], ref, rtol=0, atol=1e-9)
        ref_eig = osc.pee_exact(ENERGIES, baseline, *params)
        np.testing.assert_allclose(got[r], ref_eig, rtol=0, atol=1e-9)


@pytest.mark.parametrize("params", [NO, IO], ids=["normal", "inverted"])
def test_vacuum_kernel_matches_numpy_twin(params):
    np.testing.assert_allclose(
        osc.pee_vacuum_kernel(ENERGIES, BASELINES, *params),
        osc.pee_vacuum_numpy(ENERGIES, BASELINES, *params),
        rtol=0,
        atol=1e-14,
    )


@pytest.mark.parametrize("params", [NO, IO], ids=["normal", "inverted"])
@pytest.mark.parametrize("density", [2.45, 2.55, 3.5])
def test_knp_closed_form_against_exact_diagonalisation(params, density):
    # Must show: the matter closed form agrees with exact diagonalisation to better than 1e-4
    # absolute over 1.8-10 MeV at 52.5 km.
    got = osc.pee_knp_kernel(ENERGIES, np.array([52500.0]), *params, density, 0.5)[0]
    ref = osc.pee_exact(ENERGIES, 52500.0, *params, density, 0.5)
    assert np.max(np.abs(got - ref)) < 1e-4


@pytest.mark.parametrize("params", [NO, IO], ids=["normal", "inverted"])
def test_knp_kernel_matches_numpy_twin(params):
    np.testing.assert_allclose(
        osc.pee_knp_kernel(ENERGIES, BASELINES, *params, 2.45, 0.5),
        osc.pee_knp_numpy(ENERGIES, BASELINES, *params, 2.45, 0.5),
        rtol=0,
        atol=1e-14,
    )


def test_matter_effect_is_not_negligible():
    # Guard against a matter term that silently vanishes: at 52.5 km the exact matter and vacuum
    # probabilities differ by percent-level amounts (Li, Wang & Xing, arXiv:1605.00900).
    diff = osc.pee_exact(ENERGIES, 52500.0, *NO, 2.45, 0.5) - osc.pee_exact(ENERGIES, 52500.0, *NO)
    assert 0.005 < np.max(np.abs(diff)) < 0.05


def test_matter_potential_value():
    # |a| = 2√2 G_F n_e E = 7.48e-7 eV² at 4 MeV, 2.45 g/cm³, Y_e = 0.5 (PHYSICS.md §5.7 [C]);
    # antineutrinos: negative. Tolerance: the three quoted digits.
    assert osc.matter_potential(4.0, 2.45, 0.5) == pytest.approx(-7.48e-7, rel=1e-3)


def test_matter_shifts_of_effective_parameters_at_4_mev():
    # Must show: the matter effect lowers the effective sin²θ12 by about 1.3 % and raises the
    # effective Δm²21 by about 0.4 % at 4 MeV (first-order estimate, PHYSICS.md §5.7: −1.3 %, +0.37 %).
    # Tolerance: the estimate is first order in a/Δm²21 ≈ 1 %, so second-order terms (≈1 % of the
    # shift) and the rounding of the quoted numbers allow ±0.1 percentage point.
    a = osc.matter_potential(4.0, 2.45, 0.5)
    s12m, _s13m, dm21m, _dm31m, _dm32m = osc.knp_effective_numpy(a, *NO)
    assert (s12m / NO[0] - 1.0) * 100 == pytest.approx(-1.3, abs=0.1)
    assert (dm21m / NO[2] - 1.0) * 100 == pytest.approx(0.37, abs=0.05)


def test_knp_mass_splittings_are_consistent():
    # Δm²31ᵐ − Δm²32ᵐ = Δm²21ᵐ holds identically for the KNP expressions.
    a = osc.matter_potential(np.linspace(2, 10, 9), 2.45, 0.5)
    _s12m, _s13m, dm21m, dm31m, dm32m = osc.knp_effective_numpy(a, *NO)
    np.testing.assert_allclose(dm31m - dm32m, dm21m, rtol=1e-12)


def test_limits_and_ranges():
    p = osc.pee_vacuum_kernel(ENERGIES, BASELINES, *NO)
    assert np.all((p >= 0.0) & (p <= 1.0))
    # no mixing → no disappearance; zero baseline → no disappearance
    np.testing.assert_allclose(osc.pee_vacuum_kernel(ENERGIES, BASELINES, 0.0, 0.0, 7.5e-5, 2.5e-3), 1.0, atol=1e-15)
    np.testing.assert_allclose(osc.pee_knp_kernel(ENERGIES, np.array([0.0]), *NO, 2.45, 0.5), 1.0, atol=1e-15)


def test_ordering_matters_only_through_interference():
    # With Δm²21 → 0 the vacuum P_ee is symmetric under Δm²31 → −Δm²31; with the real Δm²21 it is not.
    sym_no = osc.pee_vacuum_kernel(ENERGIES, BASELINES, 0.307, 0.0218, 0.0, 2.5e-3)
    sym_io = osc.pee_vacuum_kernel(ENERGIES, BASELINES, 0.307, 0.0218, 0.0, -2.5e-3)
    np.testing.assert_allclose(sym_no, sym_io, atol=1e-15)
    p_no = osc.pee_vacuum_kernel(ENERGIES, BASELINES[2:3], *NO)
    p_io = osc.pee_vacuum_kernel(ENERGIES, BASELINES[2:3], 0.307, 0.0218, 7.53e-5, -(2.5283e-3 - 7.53e-5))
    assert np.max(np.abs(p_no - p_io)) > 1e-3


def test_survival_dispatch():
    args = (ENERGIES, BASELINES[2:3], *NO)
    np.testing.assert_array_equal(osc.survival(*args, "vacuum", 2.45, 0.5), osc.pee_vacuum_kernel(*args))
    np.testing.assert_array_equal(osc.survival(*args, "knp", 2.45, 0.5), osc.pee_knp_kernel(*args, 2.45, 0.5))
    np.testing.assert_allclose(
        osc.survival(ENERGIES[:20], BASELINES[2:3], *NO, "exact", 2.45, 0.5)[0],
        osc.pee_exact(ENERGIES[:20], BASELINES[2], *NO, 2.45, 0.5),
    )
    with pytest.raises(ValueError, match="accepted"):
        osc.survival(*args, "maybe", 2.45, 0.5)


# ------------------------------------------------- matter in the (sin²2θ13, Δm²32, ...) parametrisation
_S2T = (0.085, 2.47e-3, 0.851, 7.53e-5)  # sin²2θ13, Δm²32, sin²2θ12, Δm²21
_DYB_FACTOR = 4.0 * 1.26693e3  # Δ = Δm² L[km] factor/(4E) = 1.267 Δm²[eV²] L[m]/E[MeV]


def _s2t_points(seed=5):
    rng = np.random.default_rng(seed)
    return np.sort(rng.uniform(1.85, 12.0, 400)), rng.uniform(300.0, 2000.0, (3, 4))  # Daya Bay's baselines, m


def test_s2t_matter_at_zero_density_is_the_vacuum_kernel_exactly():
    enu, base = _s2t_points()
    p0, dp0 = osc.pee_s2t_numpy(enu, base, *_S2T, _DYB_FACTOR)
    eff, jac = osc.effective_s2t(enu, *_S2T, 0.0, 0.5)
    p1, dp1 = osc.pee_eff_numpy(enu, base, eff, jac, _DYB_FACTOR)
    # the same formula in other variables: equal to rounding
    np.testing.assert_allclose(p1, p0, rtol=0, atol=1e-14)
    np.testing.assert_allclose(dp1, dp0, rtol=0, atol=1e-13 * np.abs(dp0).max())


def test_s2t_matter_kernel_matches_numpy_twin():
    enu, base = _s2t_points(6)
    eff, jac = osc.effective_s2t(enu, *_S2T, 2.45, 0.5)
    p1, dp1 = osc.pee_eff_numpy(enu, base, eff, jac, _DYB_FACTOR)
    p2, dp2 = osc.pee_eff_kernel(enu, base, eff, jac, _DYB_FACTOR, True)
    np.testing.assert_allclose(p2, p1, rtol=0, atol=1e-14)
    np.testing.assert_allclose(dp2, dp1, rtol=0, atol=1e-13 * np.abs(dp1).max())
    p3, _ = osc.pee_eff_kernel(enu, base, eff, jac, _DYB_FACTOR, False)
    np.testing.assert_array_equal(p3, p2)


@pytest.mark.parametrize("ordering", [1.0, -1.0])
def test_s2t_matter_against_exact_diagonalisation(ordering):
    """KNP is second order in a/Δm²: at 1.6 km its error is ~1e-8, far below the matter shift (~4e-5)."""
    enu = np.linspace(1.9, 10.0, 60)
    s2t13, dm32, s2t12, dm21 = _S2T[0], ordering * _S2T[1], _S2T[2], _S2T[3]
    eff, jac = osc.effective_s2t(enu, s2t13, dm32, s2t12, dm21, 2.45, 0.5)
    factor = 4.0 * OSC_PHASE * 1e3  # the package's phase constant, so both sides use one convention
    p, _ = osc.pee_eff_numpy(enu, np.array([[1600.0]]), eff, jac, factor)
    s12 = 0.5 * (1 - np.sqrt(1 - s2t12))
    s13 = 0.5 * (1 - np.sqrt(1 - s2t13))
    exact = osc.pee_exact(enu, 1600.0, s12, s13, dm21, dm32 + dm21, 2.45, 0.5)
    vacuum = osc.pee_exact(enu, 1600.0, s12, s13, dm21, dm32 + dm21, 0.0, 0.5)
    assert np.abs(exact - vacuum).max() > 2e-5  # the effect is there to be reproduced
    np.testing.assert_allclose(p[0, 0], exact, rtol=0, atol=1e-7)


def test_s2t_matter_derivatives_match_finite_differences():
    enu, base = _s2t_points(7)
    eff, jac = osc.effective_s2t(enu, *_S2T, 2.45, 0.5)
    _, dp = osc.pee_eff_numpy(enu, base, eff, jac, _DYB_FACTOR)
    for k in range(4):
        h = 1e-5 * abs(_S2T[k])
        up, dn = list(_S2T), list(_S2T)
        up[k] += h
        dn[k] -= h
        pu, _ = osc.pee_eff_numpy(enu, base, *osc.effective_s2t(enu, *up, 2.45, 0.5), _DYB_FACTOR)
        pd, _ = osc.pee_eff_numpy(enu, base, *osc.effective_s2t(enu, *dn, 2.45, 0.5), _DYB_FACTOR)
        # central differences: truncation (h²) and rounding stay below 1e-8 of the largest derivative
        np.testing.assert_allclose(dp[k], (pu - pd) / (2 * h), rtol=0, atol=1e-8 * np.abs(dp[k]).max())


def test_knp_jacobian_kernel_equals_its_numpy_twin():
    # the complex-step Jacobian of the KNP effective parameters, per node in Numba and vectorised in NumPy
    rng = np.random.default_rng(7)
    e = np.sort(rng.uniform(1.8, 12.0, 400))
    for s12, s13, dm21, dm31, rho in ((0.307, 0.0218, 7.53e-5, 2.5283e-3, 2.45), (0.3, 0.02, 7.4e-5, -2.5e-3, 4.9)):
        fast = osc.effective_jacobian(e, s12, s13, dm21, dm31, "knp", rho, 0.5, numba=True)
        twin = osc.effective_jacobian(e, s12, s13, dm21, dm31, "knp", rho, 0.5, numba=False)
        np.testing.assert_allclose(fast[0], twin[0], rtol=1e-14, atol=0)
        np.testing.assert_allclose(fast[1], twin[1], rtol=1e-12, atol=1e-300)
