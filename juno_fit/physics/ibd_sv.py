"""Strumia–Vissani cross section of inverse beta decay, ν̄e + p → e⁺ + n, proton at rest.

Reference
---------
A. Strumia and F. Vissani, "Precise quasielastic neutrino/nucleon cross-section",
Phys. Lett. B 564 (2003) 42, arXiv:astro-ph/0302055 (cited below as "SV"; equation numbers follow
the arXiv v2 text).

Formulas
--------
With s = m_p² + 2 m_p E_ν, t = (p_ν − p_e)² and u = (p_ν − p_n)² (SV eqs. (3)–(6))::

    dσ/dt = G_F² cos²θ_C / (2π (s − m_p²)²) · |M|²,
    |M|²  = A(t) − (s − u) B(t) + (s − u)² C(t)            (sign of B for ν̄ p → e⁺ n),
    s − u = 2 m_p (E_ν + E_e) − m_e²,
    t     = m_n² − m_p² − 2 m_p (E_ν − E_e),   so   dσ/dE_e = 2 m_p dσ/dt.

A, B and C are the SV polynomials in t and the form factors f1, f2, g1, g2 (see `_abc_terms`),
with M = (m_p + m_n)/2 and Δ = m_n − m_p. The form factors are dipoles (SV eq. (7))::

    f1 = [1 − (1 + ξ) t/4M²] / [(1 − t/4M²)(1 − t/M_V²)²],   f2 = ξ / [(1 − t/4M²)(1 − t/M_V²)²],
    g1 = g1(0) / (1 − t/M_A²)²,                               g2 = 2 M² g1 / (m_π² − t).

dσ/dE_e is multiplied by SV's radiative-correction factor (SV eq. (14))::

    1 + α/π [6.00 + 3/2 ln(m_p / 2E_e) + 1.2 (m_e/E_e)^1.5].

No Coulomb (Sommerfeld) factor: the final state e⁺ n has no charged pair.

Two-body kinematics (derived here, identical to SV eqs. (11)–(12), (21)) with ε = E_ν/m_p and
δ = (m_n² − m_p² − m_e²)/(2 m_p)::

    E_e(cos θ) = [(E_ν − δ)(1 + ε) + ε cos θ √((E_ν − δ)² − m_e² κ)] / κ,   κ = (1 + ε)² − ε² cos²θ,
    E_e^∓      = E_ν − δ − E_ν^cm (E_e^cm ± p_e^cm) / m_p,

where E_ν^cm = m_p E_ν/√s, E_e^cm = m_p (E_ν − δ)/√s, p_e^cm = λ^½(s, m_n², m_e²)/(2√s).

Inputs: the form-factor parameters, g1(0) and cos θ_C are SV's own choices; with them this
module reproduces every entry of SV's Table 1 from 2.01 to 129 MeV within the table's 3-digit
rounding. Current PDG values (g_A = 1.2754, |V_ud| = 0.97367, PDG 2024) would raise σ by ≈ 0.5 %.
Every number is listed with its source below.

Accuracy of SV's simple fit (`sigma_total_approx`, SV eq. (25)) against the full result:
≤ 0.66 % for 2.0–2.5 MeV (largest at 2.0 MeV; the fit's E_e = E_ν − Δ ignores the recoil, which
matters where σ ∝ p_e) and ≤ 0.34 % for 2.5–12 MeV.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..constants import DELTA_NP, HBARC_MEV_CM, M_ELECTRON, M_NEUTRON, M_PROTON

__all__ = [
    "dsigma_dEe",
    "dsigma_dcos",
    "positron_energy",
    "positron_energy_jacobian",
    "positron_energy_range",
    "sigma_total",
    "sigma_total_approx",
    "threshold",
]

# --- masses [MeV]: nucleons and electron from constants.py (CODATA 2018) ---------------------------
M_N = M_NEUTRON
M_P = M_PROTON
M_E = M_ELECTRON
M_PI = 139.57039  # charged-pion mass, PDG 2022 (R.L. Workman et al., PTEP 2022, 083C01)

# --- couplings ----------------------------------------------------------------------------------
G_F = 1.1663788e-11  # Fermi constant [MeV⁻²], PDG 2024 (G_F/(ħc)³ = 1.1663788(6)e-5 GeV⁻²)
COS_THETA_C = 0.9746  # cos θ_C, SV sec. 2
ALPHA = 1.0 / 137.035999084  # fine-structure constant, CODATA 2018
HBARC_CM = HBARC_MEV_CM  # ħc [MeV cm], constants.py

# --- nucleon form-factor parameters (SV eq. (7) and the text following it) -----------------------
G1_0 = -1.270  # axial coupling g1(0), SV sec. 2
XI = 3.706  # ξ = μ_p − μ_n − 1, isovector anomalous magnetic moment [nuclear magnetons], SV
M_V2 = 0.71e6  # vector dipole mass² M_V² [MeV²], SV (0.71 GeV²)
M_A2 = 1.0e6  # axial dipole mass² M_A² [MeV²], SV (1 GeV²)

# --- derived kinematic constants [MeV] -------------------------------------------------------------
M_AVG = 0.5 * (M_N + M_P)  # SV's M = (m_p + m_n)/2
DELTA_SV = (DELTA_NP * (M_N + M_P) - M_E**2) / (2.0 * M_P)  # δ = (m_n² − m_p² − m_e²)/(2 m_p)
_E_THRESHOLD = ((M_N + M_E) ** 2 - M_P**2) / (2.0 * M_P)  # see `threshold`

# Gauss–Legendre rule for the E_e integral of `sigma_total`: 48 nodes reproduce a 512-node rule to
# < 1e-14 relative and scipy.integrate.quad to < 1e-12 relative for 1.81–300 MeV.
_N_GAUSS = 48
_GL_X, _GL_W = np.polynomial.legendre.leggauss(_N_GAUSS)


def _as_float(x: ArrayLike) -> NDArray[np.float64]:
    return np.asarray(x, dtype=np.float64)


def _scalar_or_array(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """Return a NumPy scalar for 0-d input, the array itself otherwise."""
    return x[()]


def threshold() -> float:
    """Neutrino-energy threshold of ν̄e + p → e⁺ + n.

    Returns
    -------
    float
        E_th = ((m_n + m_e)² − m_p²) / (2 m_p) ≈ 1.806066 MeV.
    """
    return float(_E_THRESHOLD)


def positron_energy_range(enu: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Allowed total positron energy range at a given neutrino energy.

    E_e^∓ = E_ν − δ − E_ν^cm (E_e^cm ± p_e^cm)/m_p, the end points reached at cos θ = −1 (E_e^−)
    and cos θ = +1 (E_e^+), with s = m_p² + 2 m_p E_ν, E_ν^cm = m_p E_ν/√s,
    E_e^cm = m_p (E_ν − δ)/√s and p_e^cm = √[(s − (m_n + m_e)²)(s − (m_n − m_e)²)] / (2√s).

    Parameters
    ----------
    enu : array_like
        Neutrino energy E_ν [MeV].

    Returns
    -------
    e_min, e_max : ndarray
        Minimum and maximum total positron energy [MeV]; NaN below threshold.
    """
    enu = _as_float(enu)
    s = M_P**2 + 2.0 * M_P * enu
    root_s = np.sqrt(s)
    x = 2.0 * M_P * (enu - _E_THRESHOLD)  # = s − (m_n + m_e)², written to avoid cancellation
    lam = x * (x + 4.0 * M_N * M_E)  # λ(s, m_n², m_e²) = (s − (m_n+m_e)²)(s − (m_n−m_e)²)
    above = enu >= _E_THRESHOLD
    pe_cm = np.sqrt(np.where(above, np.maximum(lam, 0.0), 0.0)) / (2.0 * root_s)
    enu_cm = M_P * enu / root_s
    ee_cm = M_P * (enu - DELTA_SV) / root_s  # (s − m_n² + m_e²)/(2√s)
    centre = enu - DELTA_SV - enu_cm * ee_cm / M_P
    half = enu_cm * pe_cm / M_P
    e_min = np.where(above, centre - half, np.nan)
    e_max = np.where(above, centre + half, np.nan)
    return _scalar_or_array(e_min), _scalar_or_array(e_max)


def positron_energy(enu: ArrayLike, cos_theta: ArrayLike) -> NDArray[np.float64]:
    """Total positron energy from exact two-body kinematics (proton at rest).

    Solves (m_p + E_ν) E_e − E_ν cos θ p_e = m_p (E_ν − δ) (energy–momentum conservation with
    p_n² = m_n²) for E_e::

        E_e = [(E_ν − δ)(1 + ε) + ε cos θ √((E_ν − δ)² − m_e² κ)] / κ,
        ε = E_ν/m_p,  κ = (1 + ε)² − ε² cos²θ,  δ = (m_n² − m_p² − m_e²)/(2 m_p).

    Parameters
    ----------
    enu : array_like
        Neutrino energy E_ν [MeV].
    cos_theta : array_like
        Cosine of the lab angle between the positron and the neutrino direction, in [−1, 1].

    Returns
    -------
    ndarray
        E_e [MeV], broadcast over the inputs. NaN below threshold, for |cos θ| > 1, and at angles
        that are kinematically forbidden. The latter only happens within 1 eV above threshold
        (E_ν < (m_n² − (m_p − m_e)²)/(2(m_p − m_e)) ≈ 1.8060672 MeV), where the positron is
        emitted forward only and each forward angle has two energies; there the higher one is
        returned.
    """
    enu, cos_theta = np.broadcast_arrays(_as_float(enu), _as_float(cos_theta))
    eps = enu / M_P
    w = enu - DELTA_SV
    kappa = (1.0 + eps) ** 2 - (eps * cos_theta) ** 2
    disc = w**2 - M_E**2 * kappa
    root = np.sqrt(np.maximum(disc, 0.0))
    ee = (w * (1.0 + eps) + eps * cos_theta * root) / kappa
    # The squared equation also admits the mirror solution (cos θ → −cos θ); keep the root with
    # sign((1 + ε) E_e − (E_ν − δ)) = sign(cos θ), i.e. ε cos θ (E_ν − δ) + (1 + ε) root ≥ 0.
    valid = (
        (enu >= _E_THRESHOLD)
        & (np.abs(cos_theta) <= 1.0)
        & (disc >= 0.0)
        & (eps * cos_theta * w + (1.0 + eps) * root >= 0.0)
    )
    return _scalar_or_array(np.where(valid, ee, np.nan))


def positron_energy_jacobian(enu: ArrayLike, cos_theta: ArrayLike) -> NDArray[np.float64]:
    """Derivative dE_e/dcos θ of the exact two-body kinematics.

    Implicit differentiation of F = (m_p + E_ν) E_e − E_ν cos θ p_e − m_p (E_ν − δ) = 0 gives::

        dE_e/dcos θ = E_ν p_e² / [(m_p + E_ν) p_e − E_ν cos θ E_e]
                    = ε p_e / [1 + ε (1 − cos θ / v_e)],   v_e = p_e/E_e.

    Parameters
    ----------
    enu : array_like
        Neutrino energy E_ν [MeV].
    cos_theta : array_like
        Cosine of the lab positron angle.

    Returns
    -------
    ndarray
        dE_e/dcos θ [MeV]; NaN where `positron_energy` is NaN.
    """
    enu, cos_theta = np.broadcast_arrays(_as_float(enu), _as_float(cos_theta))
    ee = positron_energy(enu, cos_theta)
    pe2 = ee**2 - M_E**2
    pe = np.sqrt(np.where(pe2 >= 0.0, pe2, np.nan))
    return _scalar_or_array(enu * pe2 / ((M_P + enu) * pe - enu * cos_theta * ee))


def _form_factors(t: NDArray[np.float64]) -> tuple[NDArray[np.float64], ...]:
    """Dipole form factors f1, f2, g1, g2 at momentum transfer t [MeV²] (SV eq. (7))."""
    x = t / (4.0 * M_AVG**2)
    vector_dipole = (1.0 - x) * (1.0 - t / M_V2) ** 2
    f1 = (1.0 - (1.0 + XI) * x) / vector_dipole
    f2 = XI / vector_dipole
    g1 = G1_0 / (1.0 - t / M_A2) ** 2
    g2 = 2.0 * M_AVG**2 * g1 / (M_PI**2 - t)
    return f1, f2, g1, g2


def _abc_terms(t: NDArray[np.float64]) -> tuple[NDArray[np.float64], ...]:
    """SV's A(t), B(t), C(t) [MeV⁴, MeV², 1] (SV eq. (6)), with M² ≡ M_AVG², m² ≡ m_e²::

    16 A = (t − m²)[4f1²(4M² + t + m²) + 4g1²(−4M² + t + m²) + f2²(t²/M² + 4t + 4m²)
                    + 4m² t g2²/M² + 8 f1 f2 (2t + m²) + 16 m² g1 g2]
           − Δ²[(4f1² + t f2²/M²)(4M² + t − m²) + 4g1²(4M² − t + m²)
                + 4m² g2² (t − m²)/M² + 8 f1 f2 (2t − m²) + 16 m² g1 g2]
           − 32 m² M Δ g1 (f1 + f2),
    16 B = 16 t g1 (f1 + f2) + 4 m² Δ (f2² + f1 f2 + 2 g1 g2)/M,
    16 C = 4 (f1² + g1²) − t f2²/M².
    """
    f1, f2, g1, g2 = _form_factors(t)
    m2, mm2, d = M_E**2, M_AVG**2, DELTA_NP
    a_main = (t - m2) * (
        4.0 * f1**2 * (4.0 * mm2 + t + m2)
        + 4.0 * g1**2 * (-4.0 * mm2 + t + m2)
        + f2**2 * (t**2 / mm2 + 4.0 * t + 4.0 * m2)
        + 4.0 * m2 * t * g2**2 / mm2
        + 8.0 * f1 * f2 * (2.0 * t + m2)
        + 16.0 * m2 * g1 * g2
    )
    a_delta = d**2 * (
        (4.0 * f1**2 + t * f2**2 / mm2) * (4.0 * mm2 + t - m2)
        + 4.0 * g1**2 * (4.0 * mm2 - t + m2)
        + 4.0 * m2 * g2**2 * (t - m2) / mm2
        + 8.0 * f1 * f2 * (2.0 * t - m2)
        + 16.0 * m2 * g1 * g2
    )
    a_mix = 32.0 * m2 * M_AVG * d * g1 * (f1 + f2)
    a = (a_main - a_delta - a_mix) / 16.0
    b = (16.0 * t * g1 * (f1 + f2) + 4.0 * m2 * d * (f2**2 + f1 * f2 + 2.0 * g1 * g2) / M_AVG) / 16.0
    c = (4.0 * (f1**2 + g1**2) - t * f2**2 / mm2) / 16.0
    return a, b, c


def _matrix_element_sq(enu: NDArray[np.float64], ee: NDArray[np.float64]) -> NDArray[np.float64]:
    """|M|² = A − (s − u) B + (s − u)² C for ν̄ p → e⁺ n [MeV⁴]."""
    t = DELTA_NP * (M_N + M_P) - 2.0 * M_P * (enu - ee)  # m_n² − m_p² − 2 m_p (E_ν − E_e)
    s_minus_u = 2.0 * M_P * (enu + ee) - M_E**2
    a, b, c = _abc_terms(t)
    return a - s_minus_u * b + s_minus_u**2 * c


def _radiative_factor(ee: NDArray[np.float64]) -> NDArray[np.float64]:
    """SV eq. (14): 1 + α/π [6.00 + 3/2 ln(m_p/(2 E_e)) + 1.2 (m_e/E_e)^1.5]."""
    return 1.0 + ALPHA / np.pi * (6.00 + 1.5 * np.log(M_P / (2.0 * ee)) + 1.2 * (M_E / ee) ** 1.5)


def _dsigma_dEe_inside(enu: NDArray[np.float64], ee: NDArray[np.float64]) -> NDArray[np.float64]:
    """dσ/dE_e [cm²/MeV] without range checks (inputs must be kinematically allowed)."""
    dsigma_dt = G_F**2 * COS_THETA_C**2 / (2.0 * np.pi * (2.0 * M_P * enu) ** 2) * _matrix_element_sq(enu, ee)
    return 2.0 * M_P * dsigma_dt * _radiative_factor(ee) * HBARC_CM**2


def dsigma_dEe(enu: ArrayLike, ee: ArrayLike) -> NDArray[np.float64]:
    """Strumia–Vissani differential cross section in the positron energy.

    dσ/dE_e = 2 m_p · G_F² cos²θ_C |M|² / (2π (s − m_p²)²) · (radiative factor), with
    t = m_n² − m_p² − 2 m_p (E_ν − E_e) and s − u = 2 m_p (E_ν + E_e) − m_e².

    Parameters
    ----------
    enu : array_like
        Neutrino energy E_ν [MeV].
    ee : array_like
        Total positron energy E_e [MeV].

    Returns
    -------
    ndarray
        dσ/dE_e [cm²/MeV], broadcast over the inputs; 0 below threshold and outside
        [E_e^−(E_ν), E_e^+(E_ν)] (see `positron_energy_range`).
    """
    enu, ee = np.broadcast_arrays(_as_float(enu), _as_float(ee))
    e_min, e_max = positron_energy_range(enu)
    inside = (enu >= _E_THRESHOLD) & (ee >= e_min) & (ee <= e_max)
    safe_enu = np.where(inside, enu, 2.0 * _E_THRESHOLD)  # dummy in-range point, masked below
    safe_ee = np.where(inside, ee, _E_THRESHOLD)
    value = _dsigma_dEe_inside(safe_enu, safe_ee)
    return _scalar_or_array(np.where(inside, value, 0.0))


def dsigma_dcos(enu: ArrayLike, cos_theta: ArrayLike) -> NDArray[np.float64]:
    """Differential cross section in the lab positron angle.

    dσ/dcos θ = dσ/dE_e(E_ν, E_e(cos θ)) · |dE_e/dcos θ| with E_e from `positron_energy` and
    the Jacobian from `positron_energy_jacobian`.

    Parameters
    ----------
    enu : array_like
        Neutrino energy E_ν [MeV].
    cos_theta : array_like
        Cosine of the lab angle between positron and neutrino.

    Returns
    -------
    ndarray
        dσ/dcos θ [cm²], broadcast over the inputs; 0 below threshold, for |cos θ| > 1 and at
        forbidden angles (only within 1 eV of threshold, where the lower-energy branch is also
        left out, see `positron_energy`).
    """
    enu, cos_theta = np.broadcast_arrays(_as_float(enu), _as_float(cos_theta))
    ee = positron_energy(enu, cos_theta)
    jac = positron_energy_jacobian(enu, cos_theta)
    ok = np.isfinite(ee) & np.isfinite(jac)
    safe_enu = np.where(ok, enu, 2.0 * _E_THRESHOLD)
    safe_ee = np.where(ok, ee, _E_THRESHOLD)
    value = _dsigma_dEe_inside(safe_enu, safe_ee) * np.abs(np.where(ok, jac, 0.0))
    return _scalar_or_array(np.where(ok, value, 0.0))


def sigma_total(enu: ArrayLike) -> NDArray[np.float64]:
    """Total Strumia–Vissani cross section.

    σ(E_ν) = ∫ dσ/dE_e dE_e over [E_e^−, E_e^+], evaluated with a 48-node Gauss–Legendre rule.
    The integrand is smooth (a low-order polynomial in E_e times slowly varying form factors and
    the radiative factor); the rule agrees with a 512-node rule to < 1e-14 and with
    `scipy.integrate.quad` to < 1e-12 relative from threshold to 300 MeV.

    Parameters
    ----------
    enu : array_like
        Neutrino energy E_ν [MeV].

    Returns
    -------
    ndarray
        σ [cm²]; 0 below threshold.
    """
    enu = _as_float(enu)
    above = enu >= _E_THRESHOLD
    safe_enu = np.where(above, enu, 2.0 * _E_THRESHOLD)  # dummy above-threshold value, masked below
    e_min, e_max = positron_energy_range(safe_enu)
    half = (0.5 * (e_max - e_min))[..., None]
    nodes = (0.5 * (e_max + e_min))[..., None] + half * _GL_X
    integrand = _dsigma_dEe_inside(safe_enu[..., None], nodes)
    value = np.sum(integrand * _GL_W, axis=-1) * half[..., 0]
    return _scalar_or_array(np.where(above, value, 0.0))


def sigma_total_approx(enu: ArrayLike) -> NDArray[np.float64]:
    """Strumia–Vissani simple approximation of the total cross section (SV eq. (25)).

    σ ≈ 10⁻⁴³ cm² · p_e E_e · E_ν^(−0.07056 + 0.02018 ln E_ν − 0.001953 ln³ E_ν),
    E_e = E_ν − Δ, p_e = √(E_e² − m_e²), all energies in MeV (coefficients as in SV eq. (25)).
    Measured against `sigma_total`: within 0.66 % for 2.0–2.5 MeV, 0.34 % for 2.5–12 MeV and
    0.7 % for 12–100 MeV; the fit is 3 % below it at 300 MeV.

    Parameters
    ----------
    enu : array_like
        Neutrino energy E_ν [MeV].

    Returns
    -------
    ndarray
        σ [cm²]; 0 below `threshold()`.
    """
    enu = _as_float(enu)
    above = enu >= _E_THRESHOLD
    e = np.where(above, enu, 2.0 * _E_THRESHOLD)
    ee = e - DELTA_NP
    pe = np.sqrt(ee**2 - M_E**2)
    log_e = np.log(e)
    exponent = -0.07056 + 0.02018 * log_e - 0.001953 * log_e**3  # SV eq. (25)
    value = 1e-43 * pe * ee * e**exponent
    return _scalar_or_array(np.where(above, value, 0.0))
