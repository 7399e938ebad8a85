"""Electron-antineutrino survival probability P(ν̄e → ν̄e) for three flavours.

Three treatments, chosen by the config's ``[oscillation] matter``:

- ``"vacuum"``: the exact three-flavour vacuum formula (PHYSICS.md §5.6; arXiv:2204.13249 eq. 1)

      P = 1 − sin²2θ13 (cos²θ12 sin²Δ31 + sin²θ12 sin²Δ32) − cos⁴θ13 sin²2θ12 sin²Δ21,
      Δij = Δm²ij L/(4E) = OSC_PHASE Δm²ij[eV²] L[m] / E[MeV],  Δm²32 = Δm²31 − Δm²21;

- ``"knp"``: constant-density matter through the closed form of Khan, Nunokawa & Parke, "Why matter
  effects matter for JUNO", PLB 803 (2020) 135354, arXiv:1910.12900 (as implemented in GNA's
  PsurEEMSWKhan, PHYSICS.md §5.7): the vacuum formula with effective parameters, second order in
  a/Δm²21, where a = −2√2 G_F n_e E for antineutrinos;
- ``"exact"``: numerical diagonalisation of the 3×3 Hamiltonian in matter (:func:`pee_exact`), the
  reference the closed form is validated against (slow, NumPy only).

The ordering is the sign of Δm²31. δ_CP does not enter P_ee in vacuum or constant-density matter.

The same vacuum formula in Daya Bay's parametrisation (sin²2θ13, Δm²32 signed, sin²2θ12, Δm²21;
Δm²31 = Δm²32 + Δm²21) with its four derivatives, for many detectors × reactors at once, is
:func:`pee_s2t_numpy` / :func:`pee_s2t_kernel` (the Daya Bay plug-in's, whose release fixes its own
phase constant ``factor``).

Each fast kernel (``*_kernel``, Numba) has a NumPy twin (``*_numpy``) with the same signature.
"""

from __future__ import annotations

import numpy as np

from .._numba import kernel
from ..constants import MATTER_A_PER_RHO_YE_MEV, OSC_PHASE

# --------------------------------------------------------------------------------------------------
# Effective parameters in matter (Khan–Nunokawa–Parke)
# --------------------------------------------------------------------------------------------------


def matter_potential(enu: np.ndarray, density: float, electron_fraction: float) -> np.ndarray:
    """a = −2√2 G_F n_e E in eV² for antineutrinos (negative), E in MeV, density in g/cm³."""
    return -MATTER_A_PER_RHO_YE_MEV * density * electron_fraction * np.asarray(enu, dtype=float)


def knp_effective_numpy(a, s12sq, s13sq, dm21, dm31):
    """KNP effective (sin²θ12, sin²θ13, Δm²21, Δm²31, Δm²32) at matter potential ``a`` [eV²].

    With x = c13² a/Δm²21 and Δm²ee = c12² Δm²31 + s12² Δm²32:
    sin²θ12ᵐ = s12² + 2 s12² c12² x + 3 s12² c12² cos2θ12 x²,
    Δm²21ᵐ = Δm²21 [1 − cos2θ12 x + 2 s12² c12² x²],
    sin²θ13ᵐ = s13² + 2 s13² c13² a/Δm²ee,
    Δm²31ᵐ = Δm²31 − a [(c12² c13² − s13²) − s12² c12² c13² x],
    Δm²32ᵐ = Δm²32 − a [(s12² c13² − s13²) + s12² c12² c13² x]  (= Δm²31ᵐ − Δm²21ᵐ identically).
    """
    c12sq = 1.0 - s12sq
    c13sq = 1.0 - s13sq
    cos2t12 = c12sq - s12sq
    dm32 = dm31 - dm21
    dmee = c12sq * dm31 + s12sq * dm32
    x = c13sq * a / dm21
    s12c12 = s12sq * c12sq
    s12m = s12sq + 2.0 * s12c12 * x + 3.0 * s12c12 * cos2t12 * x * x
    dm21m = dm21 * (1.0 - cos2t12 * x + 2.0 * s12c12 * x * x)
    s13m = s13sq + 2.0 * s13sq * c13sq * a / dmee
    dm31m = dm31 - a * ((c12sq * c13sq - s13sq) - s12c12 * c13sq * x)
    dm32m = dm32 - a * ((s12sq * c13sq - s13sq) + s12c12 * c13sq * x)
    return s12m, s13m, dm21m, dm31m, dm32m


def _pee_formula_numpy(phase, s12sq, s13sq, dm21, dm31, dm32):
    """The vacuum-form P_ee with phase = OSC_PHASE L/E (arrays broadcast)."""
    c12sq = 1.0 - s12sq
    c13sq = 1.0 - s13sq
    sin2_2t13 = 4.0 * s13sq * c13sq
    sin2_2t12 = 4.0 * s12sq * c12sq
    s21 = np.sin(dm21 * phase)
    s31 = np.sin(dm31 * phase)
    s32 = np.sin(dm32 * phase)
    return 1.0 - sin2_2t13 * (c12sq * s31 * s31 + s12sq * s32 * s32) - c13sq * c13sq * sin2_2t12 * s21 * s21


# --------------------------------------------------------------------------------------------------
# Vacuum
# --------------------------------------------------------------------------------------------------


def pee_vacuum_numpy(enu, baselines, s12sq, s13sq, dm21, dm31):
    """P_ee in vacuum for every baseline [m] and energy [MeV]; returns shape (len(baselines), len(enu))."""
    enu = np.asarray(enu, dtype=float)
    phase = OSC_PHASE * np.asarray(baselines, dtype=float)[:, None] / enu[None, :]
    return _pee_formula_numpy(phase, s12sq, s13sq, dm21, dm31, dm31 - dm21)


@kernel
def pee_vacuum_kernel(enu, baselines, s12sq, s13sq, dm21, dm31):
    """Numba twin of :func:`pee_vacuum_numpy`."""
    n_l = baselines.shape[0]
    n_e = enu.shape[0]
    out = np.empty((n_l, n_e))
    c12sq = 1.0 - s12sq
    c13sq = 1.0 - s13sq
    sin2_2t13 = 4.0 * s13sq * c13sq
    sin2_2t12 = 4.0 * s12sq * c12sq
    amp31 = sin2_2t13 * c12sq
    amp32 = sin2_2t13 * s12sq
    amp21 = c13sq * c13sq * sin2_2t12
    for r in range(n_l):
        scale = OSC_PHASE * baselines[r]
        for i in range(n_e):
            phase = scale / enu[i]
            p21 = dm21 * phase
            p31 = dm31 * phase
            s21 = np.sin(p21)
            c21 = np.cos(p21)
            s31 = np.sin(p31)
            c31 = np.cos(p31)
            s32 = s31 * c21 - c31 * s21  # sin(Δ31 − Δ21)
            out[r, i] = 1.0 - amp31 * s31 * s31 - amp32 * s32 * s32 - amp21 * s21 * s21
    return out


# --------------------------------------------------------------------------------------------------
# Matter, KNP closed form
# --------------------------------------------------------------------------------------------------


def pee_knp_numpy(enu, baselines, s12sq, s13sq, dm21, dm31, density, electron_fraction):
    """P_ee in constant-density matter (KNP closed form); shape (len(baselines), len(enu))."""
    enu = np.asarray(enu, dtype=float)
    a = matter_potential(enu, density, electron_fraction)
    s12m, s13m, dm21m, dm31m, dm32m = knp_effective_numpy(a, s12sq, s13sq, dm21, dm31)
    phase = OSC_PHASE * np.asarray(baselines, dtype=float)[:, None] / enu[None, :]
    return _pee_formula_numpy(phase, s12m, s13m, dm21m, dm31m, dm32m)


@kernel
def pee_knp_kernel(enu, baselines, s12sq, s13sq, dm21, dm31, density, electron_fraction):
    """Numba twin of :func:`pee_knp_numpy`: effective parameters once per energy, then every baseline."""
    n_l = baselines.shape[0]
    n_e = enu.shape[0]
    out = np.empty((n_l, n_e))
    c12sq = 1.0 - s12sq
    c13sq = 1.0 - s13sq
    cos2t12 = c12sq - s12sq
    s12c12 = s12sq * c12sq
    dmee = dm31 - s12sq * dm21  # c12² Δm²31 + s12² Δm²32
    a_coef = -MATTER_A_PER_RHO_YE_MEV * density * electron_fraction
    for i in range(n_e):
        e = enu[i]
        a = a_coef * e
        x = c13sq * a / dm21
        s12m = s12sq + 2.0 * s12c12 * x + 3.0 * s12c12 * cos2t12 * x * x
        dm21m = dm21 * (1.0 - cos2t12 * x + 2.0 * s12c12 * x * x)
        s13m = s13sq + 2.0 * s13sq * c13sq * a / dmee
        dm31m = dm31 - a * ((c12sq * c13sq - s13sq) - s12c12 * c13sq * x)
        c12m = 1.0 - s12m
        c13m = 1.0 - s13m
        amp31 = 4.0 * s13m * c13m * c12m
        amp32 = 4.0 * s13m * c13m * s12m
        amp21 = c13m * c13m * 4.0 * s12m * c12m
        for r in range(n_l):
            phase = OSC_PHASE * baselines[r] / e
            p21 = dm21m * phase
            p31 = dm31m * phase
            s21 = np.sin(p21)
            c21 = np.cos(p21)
            s31 = np.sin(p31)
            c31 = np.cos(p31)
            # Δ32ᵐ = Δ31ᵐ − Δ21ᵐ identically (see knp_effective_numpy): sin Δ32 by angle subtraction
            s32 = s31 * c21 - c31 * s21
            out[r, i] = 1.0 - amp31 * s31 * s31 - amp32 * s32 * s32 - amp21 * s21 * s21
    return out


# --------------------------------------------------------------------------------------------------
# Exact: numerical diagonalisation (reference only)
# --------------------------------------------------------------------------------------------------


def pmns(s12sq: float, s13sq: float, s23sq: float = 0.5, delta_cp: float = 0.0) -> np.ndarray:
    """PMNS matrix U = R23 U13(δ) R12 (PDG convention)."""
    s12, c12 = np.sqrt(s12sq), np.sqrt(1.0 - s12sq)
    s13, c13 = np.sqrt(s13sq), np.sqrt(1.0 - s13sq)
    s23, c23 = np.sqrt(s23sq), np.sqrt(1.0 - s23sq)
    ed = np.exp(1j * delta_cp)
    r23 = np.array([[1, 0, 0], [0, c23, s23], [0, -s23, c23]], dtype=complex)
    u13 = np.array([[c13, 0, s13 / ed], [0, 1, 0], [-s13 * ed, 0, c13]], dtype=complex)
    r12 = np.array([[c12, s12, 0], [-s12, c12, 0], [0, 0, 1]], dtype=complex)
    return r23 @ u13 @ r12


def pee_exact(enu, baseline, s12sq, s13sq, dm21, dm31, density=0.0, electron_fraction=0.5, s23sq=0.5, delta_cp=0.0):
    """P_ee from the 3×3 evolution operator in constant-density matter (antineutrinos).

    The mass-squared matrix is M = U* diag(0, Δm²21, Δm²31) Uᵀ + diag(a, 0, 0) with
    a = −2√2 G_F n_e E; M = W diag(μ) W†, S = W diag(exp(−2i OSC_PHASE μ L/E)) W†, P = |S_ee|².
    Independent of the closed forms above; with density = 0 it is the exact vacuum result.
    """
    enu = np.atleast_1d(np.asarray(enu, dtype=float))
    u = np.conj(pmns(s12sq, s13sq, s23sq, delta_cp))  # antineutrinos: U → U*
    m_vac = u @ np.diag([0.0, dm21, dm31]).astype(complex) @ u.conj().T
    out = np.empty(enu.shape)
    for i, e in enumerate(enu):
        a = float(matter_potential(e, density, electron_fraction))
        m = m_vac + np.diag([a, 0.0, 0.0])
        mu, w = np.linalg.eigh(m)
        phases = np.exp(-2j * OSC_PHASE * mu * baseline / e)
        s_ee = np.sum(w[0, :] * phases * np.conj(w[0, :]))
        out[i] = abs(s_ee) ** 2
    return out


def survival(enu, baselines, s12sq, s13sq, dm21, dm31, matter, density, electron_fraction):
    """P_ee for all baselines × energies with the chosen treatment (fast kernels; "exact" is slow)."""
    enu = np.ascontiguousarray(enu, dtype=float)
    baselines = np.ascontiguousarray(baselines, dtype=float)
    if matter == "vacuum" or density == 0.0:
        return pee_vacuum_kernel(enu, baselines, s12sq, s13sq, dm21, dm31)
    if matter == "knp":
        return pee_knp_kernel(enu, baselines, s12sq, s13sq, dm21, dm31, density, electron_fraction)
    if matter == "exact":
        return np.array([pee_exact(enu, L, s12sq, s13sq, dm21, dm31, density, electron_fraction) for L in baselines])
    raise ValueError(f"unknown matter treatment {matter!r} (accepted: vacuum, knp, exact)")


# --------------------------------------------------------------------------------------------------
# Derivatives (for the exact gradient of the likelihood)
# --------------------------------------------------------------------------------------------------

OSC_INPUTS = ("sin2_theta12", "sin2_theta13", "dm2_21", "dm2_31", "matter.density")


def effective_parameters(enu, s12sq, s13sq, dm21, dm31, matter, density, electron_fraction) -> np.ndarray:
    """The effective parameters (s12ᵐ, s13ᵐ, Δm²21ᵐ, Δm²31ᵐ, Δm²32ᵐ), shape (5, N), without their
    Jacobian (the first output of :func:`effective_jacobian`, for evaluations that need no gradient)."""
    enu = np.asarray(enu, dtype=float)
    if matter == "vacuum" or density == 0.0:
        return np.array([np.full(len(enu), v) for v in (s12sq, s13sq, dm21, dm31, dm31 - dm21)])
    if matter != "knp":
        raise ValueError(f"effective parameters are available for vacuum and knp, not {matter!r}")
    a = -MATTER_A_PER_RHO_YE_MEV * density * electron_fraction * enu
    return np.array(knp_effective_numpy(a, s12sq, s13sq, dm21, dm31))


# the same formulas at one point inside Numba kernels (complex arguments: the complex step)
_knp_point = kernel(knp_effective_numpy)


@kernel
def knp_jacobian_kernel(enu, base, potential_per_mev):
    """Numba twin of the KNP branch of :func:`effective_jacobian`: effective parameters (5, N) and their
    complex-step Jacobian (5, 5, N) with respect to (s12, s13, Δm²21, Δm²31, ρ); ``potential_per_mev`` =
    −MATTER_A_PER_RHO_YE_MEV × Y_e (a = potential_per_mev ρ E)."""
    n = enu.shape[0]
    eff = np.empty((5, n))
    jac = np.empty((5, 5, n))
    steps = np.empty(5)
    for k in range(5):
        steps[k] = 1e-30 * max(abs(base[k]), 1e-30)
    for i in range(n):
        x = np.empty(5, dtype=np.complex128)
        for k in range(5):
            x[k] = base[k]
        a = potential_per_mev * x[4] * enu[i]
        f = _knp_point(a, x[0], x[1], x[2], x[3])
        for o in range(5):
            eff[o, i] = f[o].real
        for k in range(5):
            x[k] = complex(base[k], steps[k])
            a = potential_per_mev * x[4] * enu[i]
            f = _knp_point(a, x[0], x[1], x[2], x[3])
            for o in range(5):
                jac[o, k, i] = f[o].imag / steps[k]
            x[k] = base[k]
    return eff, jac


def effective_jacobian(enu, s12sq, s13sq, dm21, dm31, matter, density, electron_fraction, *, numba=True):
    """Effective parameters (s12ᵐ, s13ᵐ, Δm²21ᵐ, Δm²31ᵐ, Δm²32ᵐ), shape (5, N), and their Jacobian
    with respect to (s12, s13, Δm²21, Δm²31, ρ), shape (5, 5, N).

    In vacuum the effective parameters are the inputs (Δm²32 = Δm²31 − Δm²21). In matter (KNP) the
    Jacobian is computed by complex-step differentiation, exact to rounding because the KNP
    expressions are rational functions of the inputs: ∂f/∂x = Im f(x + i h)/h with h = 1e-30 x.
    """
    enu = np.asarray(enu, dtype=float)
    n = len(enu)
    base = np.array([s12sq, s13sq, dm21, dm31, density], dtype=float)
    if matter == "vacuum" or density == 0.0:
        eff = np.array(
            [np.full(n, s12sq), np.full(n, s13sq), np.full(n, dm21), np.full(n, dm31), np.full(n, dm31 - dm21)]
        )
        jac = np.zeros((5, 5, n))
        for k in range(4):
            jac[k, k] = 1.0
        jac[4, 2] = -1.0
        jac[4, 3] = 1.0
        return eff, jac
    if matter != "knp":
        raise ValueError(f"derivatives are available for vacuum and knp, not {matter!r}")
    if numba:
        return knp_jacobian_kernel(enu, base, -MATTER_A_PER_RHO_YE_MEV * electron_fraction)

    def effective(x):
        a = -MATTER_A_PER_RHO_YE_MEV * x[4] * electron_fraction * enu
        return np.array(knp_effective_numpy(a, x[0], x[1], x[2], x[3]))

    eff = effective(base.astype(complex)).real
    jac = np.empty((5, 5, n))
    for k in range(5):
        h = 1e-30 * max(abs(base[k]), 1e-30)
        x = base.astype(complex)
        x[k] += 1j * h
        jac[:, k, :] = effective(x).imag / h
    return eff, jac


def pee_adjoint_numpy(enu, baselines, weights, eff):
    """G[o, j] = Σ_r weights[r, j] ∂P(E_j, L_r)/∂eff_o for the vacuum-form P with effective
    parameters eff (5, N): the contraction the gradient needs (twin of :func:`pee_adjoint_kernel`)."""
    s12, s13, dm21, dm31, dm32 = eff
    c12, c13 = 1.0 - s12, 1.0 - s13
    phase = OSC_PHASE * np.asarray(baselines, dtype=float)[:, None] / np.asarray(enu)[None, :]
    out = np.zeros((5, len(enu)))
    a31, a32, a21 = 4 * s13 * c13 * c12, 4 * s13 * c13 * s12, c13 * c13 * 4 * s12 * c12
    sq = {}
    for key, dm in (("31", dm31), ("32", dm32), ("21", dm21)):
        psi = dm * phase
        sq[key] = np.sin(psi) ** 2
        sq["d" + key] = np.sin(2 * psi) * phase
    # ∂P/∂amplitudes and ∂amplitudes/∂(s12, s13)
    d_s12 = -(-4 * s13 * c13 * sq["31"] + 4 * s13 * c13 * sq["32"] + 4 * c13 * c13 * (1 - 2 * s12) * sq["21"])
    d_s13 = -(4 * c12 * (1 - 2 * s13) * sq["31"] + 4 * s12 * (1 - 2 * s13) * sq["32"] - 8 * c13 * s12 * c12 * sq["21"])
    out[0] = np.sum(weights * d_s12, axis=0)
    out[1] = np.sum(weights * d_s13, axis=0)
    out[2] = np.sum(weights * (-a21 * sq["d21"]), axis=0)
    out[3] = np.sum(weights * (-a31 * sq["d31"]), axis=0)
    out[4] = np.sum(weights * (-a32 * sq["d32"]), axis=0)
    return out


@kernel
def _amplitudes(s12, s13):
    """(cos²θ12, cos²θ13, sin²2θ13 cos²θ12, sin²2θ13 sin²θ12, cos⁴θ13 sin²2θ12): the amplitudes of the
    sin²Δ31, sin²Δ32 and sin²Δ21 terms of P_ee."""
    c12 = 1.0 - s12
    c13 = 1.0 - s13
    return c12, c13, 4.0 * s13 * c13 * c12, 4.0 * s13 * c13 * s12, c13 * c13 * 4.0 * s12 * c12


@kernel
def pee_adjoint_kernel(enu, baselines, weights, eff):
    """Numba twin of :func:`pee_adjoint_numpy`."""
    n_l = baselines.shape[0]
    n_e = enu.shape[0]
    out = np.zeros((5, n_e))
    for i in range(n_e):
        s12 = eff[0, i]
        s13 = eff[1, i]
        c12, c13, a31, a32, a21 = _amplitudes(s12, s13)
        b31_12 = -4.0 * s13 * c13
        b32_12 = 4.0 * s13 * c13
        b21_12 = 4.0 * c13 * c13 * (1.0 - 2.0 * s12)
        b31_13 = 4.0 * c12 * (1.0 - 2.0 * s13)
        b32_13 = 4.0 * s12 * (1.0 - 2.0 * s13)
        b21_13 = -8.0 * c13 * s12 * c12
        g0 = 0.0
        g1 = 0.0
        g2 = 0.0
        g3 = 0.0
        g4 = 0.0
        for r in range(n_l):
            w = weights[r, i]
            if w == 0.0:
                continue
            phase = OSC_PHASE * baselines[r] / enu[i]
            p21 = eff[2, i] * phase
            p31 = eff[3, i] * phase
            p32 = eff[4, i] * phase
            s21 = np.sin(p21)
            s31 = np.sin(p31)
            s32 = np.sin(p32)
            q21 = s21 * s21
            q31 = s31 * s31
            q32 = s32 * s32
            g0 -= w * (b31_12 * q31 + b32_12 * q32 + b21_12 * q21)
            g1 -= w * (b31_13 * q31 + b32_13 * q32 + b21_13 * q21)
            g2 -= w * a21 * 2.0 * s21 * np.cos(p21) * phase
            g3 -= w * a31 * 2.0 * s31 * np.cos(p31) * phase
            g4 -= w * a32 * 2.0 * s32 * np.cos(p32) * phase
        out[0, i] = g0
        out[1, i] = g1
        out[2, i] = g2
        out[3, i] = g3
        out[4, i] = g4
    return out


# --------------------------------------------------------------------------------------------------
# Vacuum P_ee in the (sin²2θ13, Δm²32, sin²2θ12, Δm²21) parametrisation, with derivatives (Daya Bay)
# --------------------------------------------------------------------------------------------------


def pee_s2t_numpy(enu, baselines, s2t13, dm32, s2t12, dm21, factor):
    """Vacuum P_ee at every (detector, reactor, point) and its derivatives with respect to
    (sin²2θ13, Δm²32, sin²2θ12, Δm²21); baselines in m, E_ν in MeV; phase Δ = Δm² L[km] factor/(4E).

    P = 1 − sin²2θ13 (sin²θ12 sin²Δ32 + cos²θ12 sin²Δ31) − sin²2θ12 cos⁴θ13 sin²Δ21, Δm²31 = Δm²32 + Δm²21.
    Returns (P (n_d, n_r, n), dP (4, n_d, n_r, n))."""
    root12 = np.sqrt(1.0 - s2t12)
    s12 = 0.5 * (1.0 - root12)
    c12 = 1.0 - s12
    root13 = np.sqrt(1.0 - s2t13)
    c13sq = 0.5 * (1.0 + root13)
    c13q = c13sq * c13sq
    ph = np.asarray(baselines, dtype=float)[:, :, None] * 1e-3 * factor / (4.0 * np.asarray(enu, dtype=float))
    a32, a31, a21 = dm32 * ph, (dm32 + dm21) * ph, dm21 * ph
    s32, s31, s21 = np.sin(a32) ** 2, np.sin(a31) ** 2, np.sin(a21) ** 2
    p = 1.0 - s2t13 * (s12 * s32 + c12 * s31) - s2t12 * c13q * s21
    ds12 = 0.25 / root12
    dp = np.empty((4, *p.shape))
    dp[0] = -(s12 * s32 + c12 * s31) + s2t12 * s21 * c13sq / (2.0 * root13)
    dp[1] = -s2t13 * ph * (s12 * np.sin(2.0 * a32) + c12 * np.sin(2.0 * a31))
    dp[2] = -s2t13 * ds12 * (s32 - s31) - c13q * s21
    dp[3] = -s2t13 * c12 * ph * np.sin(2.0 * a31) - s2t12 * c13q * ph * np.sin(2.0 * a21)
    return p, dp


@kernel
def solar_phase_kernel(enu, baselines, dm21, factor):
    """sin and cos of the solar phase Δ21 at every (detector, reactor, point): (2, n_d, n_r, n)."""
    n_d, n_r = baselines.shape
    n = enu.shape[0]
    out = np.empty((2, n_d, n_r, n))
    for d in range(n_d):
        for r in range(n_r):
            scale = baselines[d, r] * 1e-3 * factor / 4.0
            for i in range(n):
                a = dm21 * scale / enu[i]
                out[0, d, r, i] = np.sin(a)
                out[1, d, r, i] = np.cos(a)
    return out


@kernel
def pee_s2t_kernel(enu, baselines, s2t13, dm32, s2t12, dm21, factor, want_derivatives, solar):
    """Numba twin of :func:`pee_s2t_numpy` (derivatives only when ``want_derivatives``), given the solar
    phase's sin and cos (:func:`solar_phase_kernel`, computed once per Δm²21): Δ31 = Δ32 + Δ21 by angle
    addition, so a move of sin²2θ13 or Δm²32 costs one sin and one cos per point."""
    n_d, n_r = baselines.shape
    n = enu.shape[0]
    root12 = np.sqrt(1.0 - s2t12)
    s12 = 0.5 * (1.0 - root12)
    c12 = 1.0 - s12
    root13 = np.sqrt(1.0 - s2t13)
    c13sq = 0.5 * (1.0 + root13)
    c13q = c13sq * c13sq
    ds12 = 0.25 / root12
    p = np.empty((n_d, n_r, n))
    dp = np.empty((4, n_d, n_r, n)) if want_derivatives else np.empty((4, 0, 0, 0))
    for d in range(n_d):
        for r in range(n_r):
            scale = baselines[d, r] * 1e-3 * factor / 4.0
            for i in range(n):
                ph = scale / enu[i]
                x32 = np.sin(dm32 * ph)
                c32 = np.cos(dm32 * ph)
                x21 = solar[0, d, r, i]
                c21 = solar[1, d, r, i]
                x31 = x32 * c21 + c32 * x21
                c31 = c32 * c21 - x32 * x21
                s32 = x32 * x32
                s31 = x31 * x31
                s21 = x21 * x21
                p[d, r, i] = 1.0 - s2t13 * (s12 * s32 + c12 * s31) - s2t12 * c13q * s21
                if want_derivatives:
                    dp[0, d, r, i] = -(s12 * s32 + c12 * s31) + s2t12 * s21 * c13sq / (2.0 * root13)
                    dp[1, d, r, i] = -s2t13 * ph * 2.0 * (s12 * x32 * c32 + c12 * x31 * c31)
                    dp[2, d, r, i] = -s2t13 * ds12 * (s32 - s31) - c13q * s21
                    dp[3, d, r, i] = -s2t13 * c12 * ph * 2.0 * x31 * c31 - s2t12 * c13q * ph * 2.0 * x21 * c21
    return p, dp


# --------------------------------------------------------------------------------------------------
# Matter (KNP) in the (sin²2θ13, Δm²32, sin²2θ12, Δm²21) parametrisation, with derivatives (Daya Bay)
# --------------------------------------------------------------------------------------------------


def s2t_to_standard(x):
    """(sin²2θ13, Δm²32, sin²2θ12, Δm²21) → (s12², s13², Δm²21, Δm²31), θ12 and θ13 below π/4;
    works on complex arguments (for complex-step derivatives)."""
    s2t13, dm32, s2t12, dm21 = x
    return 0.5 * (1.0 - np.sqrt(1.0 - s2t12)), 0.5 * (1.0 - np.sqrt(1.0 - s2t13)), dm21, dm32 + dm21


def effective_s2t(enu, s2t13, dm32, s2t12, dm21, density, electron_fraction):
    """KNP effective parameters (s12ᵐ, s13ᵐ, Δm²21ᵐ, Δm²31ᵐ, Δm²32ᵐ) per energy, shape (5, N), and their
    Jacobian with respect to (sin²2θ13, Δm²32, sin²2θ12, Δm²21), shape (5, 4, N), by complex-step
    differentiation (exact to rounding: the map is analytic). ``density = 0`` gives the vacuum values."""
    enu = np.asarray(enu, dtype=float)
    base = np.array([s2t13, dm32, s2t12, dm21], dtype=float)

    def effective(x):
        s12, s13, d21, d31 = s2t_to_standard(x)
        a = -MATTER_A_PER_RHO_YE_MEV * density * electron_fraction * enu
        out = knp_effective_numpy(a, s12, s13, d21, d31)
        return np.array([np.broadcast_to(np.asarray(o), enu.shape) for o in out])

    eff = effective(base.astype(complex)).real
    jac = np.empty((5, 4, len(enu)))
    for k in range(4):
        h = 1e-30 * max(abs(base[k]), 1e-30)
        x = base.astype(complex)
        x[k] += 1j * h
        jac[:, k, :] = effective(x).imag / h
    return eff, jac


def pee_eff_numpy(enu, baselines, eff, jac, factor):
    """P_ee at every (detector, reactor, point) from per-energy effective parameters ``eff`` (5, N) in
    the vacuum form, phase Δ = Δm² L[km] factor/(4E), and its derivatives dP (4, n_d, n_r, N) through
    the Jacobian ``jac`` (5, 4, N) of the effective parameters (:func:`effective_s2t`)."""
    s12, s13, dm21, dm31, dm32 = (e[None, None, :] for e in eff)
    c12, c13 = 1.0 - s12, 1.0 - s13
    ph = np.asarray(baselines, dtype=float)[:, :, None] * 1e-3 * factor / (4.0 * np.asarray(enu, dtype=float))
    q31, q32, q21 = np.sin(dm31 * ph) ** 2, np.sin(dm32 * ph) ** 2, np.sin(dm21 * ph) ** 2
    a31, a32, a21 = 4 * s13 * c13 * c12, 4 * s13 * c13 * s12, c13 * c13 * 4 * s12 * c12
    p = 1.0 - a31 * q31 - a32 * q32 - a21 * q21
    d_eff = np.array(
        [
            -(-4 * s13 * c13 * q31 + 4 * s13 * c13 * q32 + 4 * c13 * c13 * (1 - 2 * s12) * q21),
            -(4 * c12 * (1 - 2 * s13) * q31 + 4 * s12 * (1 - 2 * s13) * q32 - 8 * c13 * s12 * c12 * q21),
            -a21 * np.sin(2 * dm21 * ph) * ph,
            -a31 * np.sin(2 * dm31 * ph) * ph,
            -a32 * np.sin(2 * dm32 * ph) * ph,
        ]
    )
    dp = np.einsum("odrn,okn->kdrn", d_eff, jac)
    return p, dp


@kernel
def pee_eff_kernel(enu, baselines, eff, jac, factor, want_derivatives):
    """Numba twin of :func:`pee_eff_numpy` (derivatives only when ``want_derivatives``)."""
    n_d, n_r = baselines.shape
    n = enu.shape[0]
    p = np.empty((n_d, n_r, n))
    dp = np.empty((4, n_d, n_r, n)) if want_derivatives else np.empty((4, 0, 0, 0))
    for i in range(n):
        s12 = eff[0, i]
        s13 = eff[1, i]
        c12, c13, a31, a32, a21 = _amplitudes(s12, s13)
        for d in range(n_d):
            for r in range(n_r):
                ph = baselines[d, r] * 1e-3 * factor / (4.0 * enu[i])
                x21 = np.sin(eff[2, i] * ph)
                x31 = np.sin(eff[3, i] * ph)
                x32 = np.sin(eff[4, i] * ph)
                q21 = x21 * x21
                q31 = x31 * x31
                q32 = x32 * x32
                p[d, r, i] = 1.0 - a31 * q31 - a32 * q32 - a21 * q21
                if want_derivatives:
                    g0 = -(-4.0 * s13 * c13 * q31 + 4.0 * s13 * c13 * q32 + 4.0 * c13 * c13 * (1.0 - 2.0 * s12) * q21)
                    g1 = -(4.0 * c12 * (1.0 - 2.0 * s13) * q31 + 4.0 * s12 * (1.0 - 2.0 * s13) * q32)
                    g1 += 8.0 * c13 * s12 * c12 * q21
                    g2 = -a21 * 2.0 * x21 * np.cos(eff[2, i] * ph) * ph
                    g3 = -a31 * 2.0 * x31 * np.cos(eff[3, i] * ph) * ph
                    g4 = -a32 * 2.0 * x32 * np.cos(eff[4, i] * ph) * ph
                    for k in range(4):
                        dp[k, d, r, i] = g0 * jac[0, k, i] + g1 * jac[1, k, i] + g2 * jac[2, k, i]
                        dp[k, d, r, i] += g3 * jac[3, k, i] + g4 * jac[4, k, i]
    return p, dp
