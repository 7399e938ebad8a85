"""3+1 oscillations: one light sterile neutrino (parameters ``dm2_41`` [eV²] and ``sin2_theta14``).

With the mixing U = R34 R24 R14 R23 R13 R12 (phases do not enter P_ee), the electron row is
|U_e1|² = c14² c13² c12², |U_e2|² = c14² c13² s12², |U_e3|² = c14² s13², |U_e4|² = s14², and

    P_ee = 1 − 4 Σ_{i<j} |U_ei|²|U_ej|² sin²Δij
         = c14⁴ P_3ν + s14⁴ + 2 c14² s14² Σ_{i=1..3} u_i cos 2Δ4i,

with u = (c12² c13², s12² c13², s13²) the three-flavour row, P_3ν the standard survival probability,
Δij = Δm²ij L/(4E) and Δm²4i = Δm²41 − Δm²i1 (Δm²11 = 0). The three active states keep the standard
matter treatment: in matter (KNP) u, P_3ν, Δm²21 and Δm²31 are the effective ones, and the sterile
state propagates as in vacuum. That leaves out the neutral-current potential of the sterile state
relative to the active ones (2E V = −√2 G_F n_n E, about −3e-7 eV² at 4 MeV and 2.45 g/cm³, a phase of
5 mrad over 52.5 km) and the matter shift of θ14 and of the ν1 level: against the exact 4×4 Hamiltonian
(:func:`pee_exact_3p1`, θ24 = θ34 = 0) at 52.5 km and 1.8–10 MeV, |ΔP| < 2e-4 for sin²θ14 = 0.01 and
< 8e-4 for 0.05 over Δm²41 = 1e-5 … 0.1 eV² (the three-flavour KNP error is 4e-7): about 1 % of the
sterile term's amplitude 2 sin²θ14, linear in sin²θ14. In vacuum the formula is exact.

Each node of an energy grid stands for a cell of the E_ν axis (the JUNO-like grid's Gauss–Legendre
share, the Daya Bay mesh's deposited-energy cell); the three sterile terms cos 2Δ4i are averaged
exactly over it (:func:`juno_fit.physics.averaging.cell_cos`; on a grid whose node values are interpolated,
only where the phase changes by more than 1.8 rad across the cell, with a smooth blend from the node
value below 0.9 rad). Where the grid resolves the
oscillation (Δm²41 ≲ ``[numerics] dm2_max``) the node values are kept; beyond, the averages remove the
aliasing that node values would give and tend to the averaged limit c14⁴ P_3ν + s14⁴, so Δm²41 may go
up to 10 eV² (config/limits.py). The standard terms stay node values (the grid resolves
them). The kernels take the cells and the blend as their last four arguments (``lo = hi = enu``: node
values).
"""

from __future__ import annotations

import numpy as np

from ..._numba import kernel
from ...constants import OSC_PHASE
from .. import averaging as avg
from .. import oscillation as osc
from .effective import OnEffectiveParameters


def _u(s12, s13):
    return (1.0 - s12) * (1.0 - s13), s12 * (1.0 - s13), s13


def _cells(enu, lo, hi):
    enu = np.asarray(enu, dtype=float)
    if lo is None:
        return enu, enu
    return np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)


def _averaged_terms(enu, baselines, eff, dm41, lo, hi, blend):
    """The three terms cos 2Δ4i (i = 1, 2, 3) averaged over each node's cell, and their derivatives with
    respect to Δm²4i: lists of arrays of shape (len(baselines), N)."""
    dm21, dm31 = np.asarray(eff[2], dtype=float), np.asarray(eff[3], dtype=float)
    lo, hi = _cells(enu, lo, hi)
    k = 2.0 * OSC_PHASE * np.asarray(baselines, dtype=float)[:, None]  # c = k Δm²4i
    out = [
        avg.cell_cos_numpy(k * d, lo[None, :], hi[None, :], np.asarray(enu, dtype=float)[None, :], *blend)
        for d in (dm41 + 0.0 * dm21, dm41 - dm21, dm41 - dm31)
    ]
    return [a for a, _ in out], [da * k for _, da in out]


def pee_3p1_numpy(enu, baselines, eff, s14, dm41, lo=None, hi=None, blend_lo=0.0, blend_hi=0.0):
    """P_ee of 3+1 mixing from the active states' effective parameters ``eff`` = (s12, s13, Δm²21,
    Δm²31, Δm²32), each of shape (N,) (see :func:`~juno_fit.physics.oscillation.effective_jacobian`);
    returns shape (len(baselines), N). With cells [lo, hi] per node the sterile terms are their
    averages over the cells (:mod:`~juno_fit.physics.averaging`); without, their values at the nodes."""
    s12, s13, dm21, dm31, dm32 = (np.asarray(x, dtype=float) for x in eff)
    ph = OSC_PHASE * np.asarray(baselines, dtype=float)[:, None] / np.asarray(enu, dtype=float)[None, :]
    u1, u2, u3 = _u(s12, s13)
    p3 = 1.0 - 4.0 * (
        u1 * u2 * np.sin(dm21 * ph) ** 2 + u1 * u3 * np.sin(dm31 * ph) ** 2 + u2 * u3 * np.sin(dm32 * ph) ** 2
    )
    c14 = 1.0 - s14
    cos4, _ = _averaged_terms(enu, baselines, eff, dm41, lo, hi, (blend_lo, blend_hi))
    mix = u1 * cos4[0] + u2 * cos4[1] + u3 * cos4[2]
    return c14 * c14 * p3 + s14 * s14 + 2.0 * c14 * s14 * mix


@kernel
def pee_3p1_kernel(enu, baselines, eff, s14, dm41, lo, hi, blend_lo, blend_hi):
    """Numba twin of :func:`pee_3p1_numpy` (``eff`` of shape (5, N); cells ``lo`` = ``hi`` = ``enu`` for
    the values at the nodes)."""
    n_l = baselines.shape[0]
    n_e = enu.shape[0]
    out = np.empty((n_l, n_e))
    c14 = 1.0 - s14
    for i in range(n_e):
        s12 = eff[0, i]
        s13 = eff[1, i]
        u1 = (1.0 - s12) * (1.0 - s13)
        u2 = s12 * (1.0 - s13)
        u3 = s13
        for r in range(n_l):
            ph = OSC_PHASE * baselines[r] / enu[i]
            q21 = np.sin(eff[2, i] * ph)
            q31 = np.sin(eff[3, i] * ph)
            q32 = np.sin(eff[4, i] * ph)
            p3 = 1.0 - 4.0 * (u1 * u2 * q21 * q21 + u1 * u3 * q31 * q31 + u2 * u3 * q32 * q32)
            k = 2.0 * OSC_PHASE * baselines[r]
            a1, _ = avg.cell_cos(k * dm41, lo[i], hi[i], enu[i], blend_lo, blend_hi)
            a2, _ = avg.cell_cos(k * (dm41 - eff[2, i]), lo[i], hi[i], enu[i], blend_lo, blend_hi)
            a3, _ = avg.cell_cos(k * (dm41 - eff[3, i]), lo[i], hi[i], enu[i], blend_lo, blend_hi)
            mix = u1 * a1 + u2 * a2 + u3 * a3
            out[r, i] = c14 * c14 * p3 + s14 * s14 + 2.0 * c14 * s14 * mix
    return out


def pee_3p1_adjoint_numpy(enu, baselines, weights, eff, s14, dm41, lo=None, hi=None, blend_lo=0.0, blend_hi=0.0):
    """G[o, j] = Σ_r weights[r, j] ∂P(E_j, L_r)/∂x_o for x = (the five effective parameters, sin²θ14,
    Δm²41): shape (7, N) (twin of :func:`pee_3p1_adjoint_kernel`)."""
    s12, s13, dm21, dm31, dm32 = (np.asarray(x, dtype=float) for x in eff)
    ph = OSC_PHASE * np.asarray(baselines, dtype=float)[:, None] / np.asarray(enu, dtype=float)[None, :]
    w = np.asarray(weights, dtype=float)
    u1, u2, u3 = _u(s12, s13)
    c14 = 1.0 - s14
    q = {k: np.sin(d * ph) ** 2 for k, d in (("21", dm21), ("31", dm31), ("32", dm32))}
    d2 = {k: np.sin(2 * d * ph) * ph for k, d in (("21", dm21), ("31", dm31), ("32", dm32))}  # ∂sin²Δ/∂Δm²
    p3 = 1.0 - 4.0 * (u1 * u2 * q["21"] + u1 * u3 * q["31"] + u2 * u3 * q["32"])
    cos4, dcos4 = _averaged_terms(enu, baselines, eff, dm41, lo, hi, (blend_lo, blend_hi))  # the terms and ∂/∂Δm²4i
    mix = u1 * cos4[0] + u2 * cos4[1] + u3 * cos4[2]
    cc, cs = c14 * c14, 2.0 * c14 * s14
    # ∂u/∂s12 = (−(1−s13), 1−s13, 0); ∂u/∂s13 = (−(1−s12), −s12, 1)
    du12 = (-(1.0 - s13), 1.0 - s13, 0.0)
    du13 = (-(1.0 - s12), -s12, 1.0)

    def dp3(du):
        a, b, c = du
        return -4.0 * ((a * u2 + u1 * b) * q["21"] + (a * u3 + u1 * c) * q["31"] + (b * u3 + u2 * c) * q["32"])

    out = np.zeros((7, len(np.atleast_1d(enu))))
    out[0] = np.sum(w * (cc * dp3(du12) + cs * (du12[0] * cos4[0] + du12[1] * cos4[1])), axis=0)
    out[1] = np.sum(w * (cc * dp3(du13) + cs * (du13[0] * cos4[0] + du13[1] * cos4[1] + du13[2] * cos4[2])), axis=0)
    out[2] = np.sum(w * (-4.0 * cc * u1 * u2 * d2["21"] - cs * u2 * dcos4[1]), axis=0)
    out[3] = np.sum(w * (-4.0 * cc * u1 * u3 * d2["31"] - cs * u3 * dcos4[2]), axis=0)
    out[4] = np.sum(w * (-4.0 * cc * u2 * u3 * d2["32"]), axis=0)
    out[5] = np.sum(w * (-2.0 * c14 * p3 + 2.0 * s14 + 2.0 * (c14 - s14) * mix), axis=0)
    out[6] = np.sum(w * cs * (u1 * dcos4[0] + u2 * dcos4[1] + u3 * dcos4[2]), axis=0)
    return out


@kernel
def pee_3p1_adjoint_kernel(enu, baselines, weights, eff, s14, dm41, lo, hi, blend_lo, blend_hi):
    """Numba twin of :func:`pee_3p1_adjoint_numpy`."""
    n_l = baselines.shape[0]
    n_e = enu.shape[0]
    out = np.zeros((7, n_e))
    c14 = 1.0 - s14
    cc = c14 * c14
    cs = 2.0 * c14 * s14
    for i in range(n_e):
        s12 = eff[0, i]
        s13 = eff[1, i]
        u1 = (1.0 - s12) * (1.0 - s13)
        u2 = s12 * (1.0 - s13)
        u3 = s13
        a12, b12, c12 = -(1.0 - s13), 1.0 - s13, 0.0
        a13, b13, c13 = -(1.0 - s12), -s12, 1.0
        g = np.zeros(7)
        for r in range(n_l):
            w = weights[r, i]
            if w == 0.0:
                continue
            ph = OSC_PHASE * baselines[r] / enu[i]
            s21 = np.sin(eff[2, i] * ph)
            s31 = np.sin(eff[3, i] * ph)
            s32 = np.sin(eff[4, i] * ph)
            q21 = s21 * s21
            q31 = s31 * s31
            q32 = s32 * s32
            p3 = 1.0 - 4.0 * (u1 * u2 * q21 + u1 * u3 * q31 + u2 * u3 * q32)
            kl = 2.0 * OSC_PHASE * baselines[r]
            # the terms and their derivatives ∂/∂c, c = kl Δm²4i
            k1, n1 = avg.cell_cos(kl * dm41, lo[i], hi[i], enu[i], blend_lo, blend_hi)
            k2, n2 = avg.cell_cos(kl * (dm41 - eff[2, i]), lo[i], hi[i], enu[i], blend_lo, blend_hi)
            k3, n3 = avg.cell_cos(kl * (dm41 - eff[3, i]), lo[i], hi[i], enu[i], blend_lo, blend_hi)
            mix = u1 * k1 + u2 * k2 + u3 * k3
            dp12 = -4.0 * ((a12 * u2 + u1 * b12) * q21 + (a12 * u3 + u1 * c12) * q31 + (b12 * u3 + u2 * c12) * q32)
            dp13 = -4.0 * ((a13 * u2 + u1 * b13) * q21 + (a13 * u3 + u1 * c13) * q31 + (b13 * u3 + u2 * c13) * q32)
            g[0] += w * (cc * dp12 + cs * (a12 * k1 + b12 * k2))
            g[1] += w * (cc * dp13 + cs * (a13 * k1 + b13 * k2 + c13 * k3))
            g[2] += w * (-4.0 * cc * u1 * u2 * 2.0 * s21 * np.cos(eff[2, i] * ph) * ph - cs * u2 * kl * n2)
            g[3] += w * (-4.0 * cc * u1 * u3 * 2.0 * s31 * np.cos(eff[3, i] * ph) * ph - cs * u3 * kl * n3)
            g[4] += w * (-4.0 * cc * u2 * u3 * 2.0 * s32 * np.cos(eff[4, i] * ph) * ph)
            g[5] += w * (-2.0 * c14 * p3 + 2.0 * s14 + 2.0 * (c14 - s14) * mix)
            g[6] += w * cs * kl * (u1 * n1 + u2 * n2 + u3 * n3)
        for o in range(7):
            out[o, i] = g[o]
    return out


def pee_exact_3p1(
    enu, baseline, s12sq, s13sq, dm21, dm31, s14sq, dm41, density=0.0, electron_fraction=0.5, s24sq=0.0, s34sq=0.0
):
    """P_ee from the 4×4 Hamiltonian, diagonalised numerically at each energy (NumPy only; the
    reference of the tests). U = R34 R24 R14 R23 R13 R12 with θ23 = 45° and no phases (none of them
    enters P_ee in vacuum). In matter, relative to ν̄μ and ν̄τ, ν̄e feels the charged-current
    potential (2E V = a = −2√2 G_F n_e E) and the sterile state minus the neutral-current one
    (2E V = −√2 G_F n_n E = a (1 − Y_e)/(2 Y_e)): the full 4×4 problem the closed form approximates.
    With θ24 or θ34 ≠ 0 that potential also acts on P_ee through the ν̄μ, ν̄τ admixture of ν4, which
    the closed form (the sterile state in vacuum, θ24 and θ34 not parameters) leaves out."""

    def rot(i, j, s2):
        r = np.eye(4)
        c, s = np.sqrt(1.0 - s2), np.sqrt(s2)
        r[i, i] = r[j, j] = c
        r[i, j], r[j, i] = s, -s
        return r

    u = rot(2, 3, s34sq) @ rot(1, 3, s24sq) @ rot(0, 3, s14sq) @ rot(1, 2, 0.5) @ rot(0, 2, s13sq) @ rot(0, 1, s12sq)
    m_vac = u @ np.diag([0.0, dm21, dm31, dm41]) @ u.T
    enu = np.atleast_1d(np.asarray(enu, dtype=float))
    out = np.empty(enu.shape)
    for k, e in enumerate(enu):
        a = float(osc.matter_potential(e, density, electron_fraction))  # −2√2 G_F n_e E (antineutrinos)
        a_nc = a * (1.0 - electron_fraction) / (2.0 * electron_fraction)  # −√2 G_F n_n E
        mu, w = np.linalg.eigh(m_vac + np.diag([a, 0.0, 0.0, a_nc]))
        amp = np.sum(w[0, :] ** 2 * np.exp(-2j * OSC_PHASE * mu * baseline / e))
        out[k] = abs(amp) ** 2
    return out


class Sterile3p1(OnEffectiveParameters):
    """3+1 sterile mixing: ``dm2_41`` [eV²], ``sin2_theta14``."""

    name = "sterile_3p1"
    parameters = ("dm2_41", "sin2_theta14")
    own_rows = (6, 5)  # the adjoint's rows of Δm²41 and sin²θ14
    kernel = staticmethod(pee_3p1_kernel)
    numpy = staticmethod(pee_3p1_numpy)
    adjoint_kernel = staticmethod(pee_3p1_adjoint_kernel)
    adjoint_numpy = staticmethod(pee_3p1_adjoint_numpy)
    averages = True  # the sterile terms are averaged over the nodes' cells

    def own(self, extra) -> tuple[float, float]:
        dm41, s14 = (float(x) for x in extra)
        return s14, dm41
