"""Wave-packet decoherence (parameter ``sigma_rel``, the relative momentum spread σ_p/p of the
neutrino wave packet; 0 is the standard model).

Each interference term of P_ee is damped by the separation of the mass eigenstates' wave packets:

    P_ee = 1 − 2 Σ_{i<j} |U_ei|²|U_ej|² (1 − F_ij cos 2Δij),   F_ij = exp[−(L/L_coh,ij)²],
    L_coh,ij = 2√2 E / (σ_rel |Δm²ij|),  so  (L/L_coh,ij)² = 2 σ_rel² Δij²,

with Δij = Δm²ij L/(4E) (the Gaussian wave-packet treatment of Giunti and Kim, without dispersion;
the parametrisation of Daya Bay's decoherence study, arXiv:1608.01661, and of GNA's
``OscProbPMNSDecoh``). L_coh grows with E at fixed σ_rel; a width in space σ_x corresponds to
σ_rel = 1/(2 σ_x E). Dispersion, which GNA keeps, changes F by the factor (1 + r_d²)^(−1/4) with
r_d = 4 σ_rel² Δ: below 1e-3 for σ_rel ≤ 0.01 at JUNO, and left out here.

The damping is what an average of cos 2Δ over a Gaussian spread of the neutrino momentum with
relative width σ_rel gives when the phase is linear in the momentum across the spread, which is
how the tests check it (Gauss–Hermite quadrature of that average). In matter the three states keep
the standard treatment (effective mixing and splittings, KNP) and the damping acts on the effective
phases.
"""

from __future__ import annotations

import numpy as np

from ..._numba import kernel
from ...constants import OSC_PHASE
from .effective import OnEffectiveParameters


def pee_decoherence_numpy(enu, baselines, eff, sigma):
    """Damped P_ee from the effective parameters ``eff`` (5, N) = (s12, s13, Δm²21, Δm²31, Δm²32);
    shape (len(baselines), N)."""
    s12, s13, dm21, dm31, dm32 = (np.asarray(x, dtype=float) for x in eff)
    ph = OSC_PHASE * np.asarray(baselines, dtype=float)[:, None] / np.asarray(enu, dtype=float)[None, :]
    u1, u2, u3 = (1.0 - s12) * (1.0 - s13), s12 * (1.0 - s13), s13
    out = np.ones(ph.shape)
    for amp, dm in ((u1 * u2, dm21), (u1 * u3, dm31), (u2 * u3, dm32)):
        delta = dm * ph
        out -= 2.0 * amp * (1.0 - np.exp(-2.0 * sigma * sigma * delta * delta) * np.cos(2.0 * delta))
    return out


@kernel
def pee_decoherence_kernel(enu, baselines, eff, sigma):
    """Numba twin of :func:`pee_decoherence_numpy` (``eff`` of shape (5, N))."""
    n_l = baselines.shape[0]
    n_e = enu.shape[0]
    out = np.empty((n_l, n_e))
    s2 = 2.0 * sigma * sigma
    for i in range(n_e):
        u1 = (1.0 - eff[0, i]) * (1.0 - eff[1, i])
        u2 = eff[0, i] * (1.0 - eff[1, i])
        u3 = eff[1, i]
        for r in range(n_l):
            ph = OSC_PHASE * baselines[r] / enu[i]
            d21 = eff[2, i] * ph
            d31 = eff[3, i] * ph
            d32 = eff[4, i] * ph
            p = 1.0
            p -= 2.0 * u1 * u2 * (1.0 - np.exp(-s2 * d21 * d21) * np.cos(2.0 * d21))
            p -= 2.0 * u1 * u3 * (1.0 - np.exp(-s2 * d31 * d31) * np.cos(2.0 * d31))
            p -= 2.0 * u2 * u3 * (1.0 - np.exp(-s2 * d32 * d32) * np.cos(2.0 * d32))
            out[r, i] = p
    return out


def _terms(u1, u2, u3, s12, s13):
    """(amplitude, ∂amplitude/∂s12, ∂amplitude/∂s13) of the 21, 31, 32 terms."""
    return (
        (u1 * u2, (1.0 - s13) * (1.0 - s13) * (1.0 - 2.0 * s12), -2.0 * (1.0 - s13) * s12 * (1.0 - s12)),
        (u1 * u3, -(1.0 - s13) * s13, (1.0 - s12) * (1.0 - 2.0 * s13)),
        (u2 * u3, (1.0 - s13) * s13, s12 * (1.0 - 2.0 * s13)),
    )


def pee_decoherence_adjoint_numpy(enu, baselines, weights, eff, sigma):
    """G[o, j] = Σ_r weights[r, j] ∂P(E_j, L_r)/∂x_o for x = (the five effective parameters,
    σ_rel): shape (6, N) (twin of :func:`pee_decoherence_adjoint_kernel`)."""
    s12, s13, dm21, dm31, dm32 = (np.asarray(x, dtype=float) for x in eff)
    ph = OSC_PHASE * np.asarray(baselines, dtype=float)[:, None] / np.asarray(enu, dtype=float)[None, :]
    w = np.asarray(weights, dtype=float)
    u1, u2, u3 = (1.0 - s12) * (1.0 - s13), s12 * (1.0 - s13), s13
    out = np.zeros((6, ph.shape[1]))
    for k, ((amp, d12, d13), dm) in enumerate(zip(_terms(u1, u2, u3, s12, s13), (dm21, dm31, dm32), strict=True)):
        delta = dm * ph
        f = np.exp(-2.0 * sigma * sigma * delta * delta)
        damped = f * np.cos(2.0 * delta)
        out[0] += np.sum(w * (-2.0 * d12 * (1.0 - damped)), axis=0)
        out[1] += np.sum(w * (-2.0 * d13 * (1.0 - damped)), axis=0)
        # ∂/∂Δ [F cos 2Δ] = −F (4σ²Δ cos 2Δ + 2 sin 2Δ)
        d_delta = -f * (4.0 * sigma * sigma * delta * np.cos(2.0 * delta) + 2.0 * np.sin(2.0 * delta))
        out[2 + k] = np.sum(w * 2.0 * amp * d_delta * ph, axis=0)
        out[5] += np.sum(w * 2.0 * amp * damped * (-4.0 * sigma * delta * delta), axis=0)
    return out


@kernel
def pee_decoherence_adjoint_kernel(enu, baselines, weights, eff, sigma):
    """Numba twin of :func:`pee_decoherence_adjoint_numpy`."""
    n_l = baselines.shape[0]
    n_e = enu.shape[0]
    out = np.zeros((6, n_e))
    s2 = 2.0 * sigma * sigma
    amp = np.empty(3)
    d12 = np.empty(3)
    d13 = np.empty(3)
    for i in range(n_e):
        s12 = eff[0, i]
        s13 = eff[1, i]
        u1 = (1.0 - s12) * (1.0 - s13)
        u2 = s12 * (1.0 - s13)
        u3 = s13
        amp[0] = u1 * u2
        amp[1] = u1 * u3
        amp[2] = u2 * u3
        d12[0] = (1.0 - s13) * (1.0 - s13) * (1.0 - 2.0 * s12)
        d12[1] = -(1.0 - s13) * s13
        d12[2] = (1.0 - s13) * s13
        d13[0] = -2.0 * (1.0 - s13) * s12 * (1.0 - s12)
        d13[1] = (1.0 - s12) * (1.0 - 2.0 * s13)
        d13[2] = s12 * (1.0 - 2.0 * s13)
        for r in range(n_l):
            w = weights[r, i]
            if w == 0.0:
                continue
            ph = OSC_PHASE * baselines[r] / enu[i]
            for k in range(3):
                delta = eff[2 + k, i] * ph
                f = np.exp(-s2 * delta * delta)
                c2 = np.cos(2.0 * delta)
                damped = f * c2
                out[0, i] -= w * 2.0 * d12[k] * (1.0 - damped)
                out[1, i] -= w * 2.0 * d13[k] * (1.0 - damped)
                d_delta = -f * (2.0 * s2 * delta * c2 + 2.0 * np.sin(2.0 * delta))
                out[2 + k, i] += w * 2.0 * amp[k] * d_delta * ph
                out[5, i] -= w * 2.0 * amp[k] * damped * 4.0 * sigma * delta * delta
    return out


def pee_wave_packet_average(enu, baseline, s12sq, s13sq, dm21, dm31, sigma, nodes=80):
    """The reference of the tests: P_ee in vacuum averaged over a Gaussian spread of the neutrino
    momentum p = E (1 + σ_rel z), z ~ N(0, 1), with each phase linear in the spread,
    Δij(p) = Δij (1 − σ_rel z), by Gauss–Hermite quadrature (``nodes`` points, exact to rounding for
    these integrands)."""
    z, wz = np.polynomial.hermite_e.hermegauss(nodes)
    wz = wz / np.sqrt(2.0 * np.pi)
    enu = np.atleast_1d(np.asarray(enu, dtype=float))
    u1, u2, u3 = (1.0 - s12sq) * (1.0 - s13sq), s12sq * (1.0 - s13sq), s13sq
    out = np.ones(enu.shape)
    for amp, dm in ((u1 * u2, dm21), (u1 * u3, dm31), (u2 * u3, dm31 - dm21)):
        delta = OSC_PHASE * dm * baseline / enu
        avg = np.cos(2.0 * delta[:, None] * (1.0 - sigma * z[None, :])) @ wz
        out -= 2.0 * amp * (1.0 - avg)
    return out


class Decoherence(OnEffectiveParameters):
    """Wave-packet decoherence: ``sigma_rel`` (σ_p/p)."""

    name = "decoherence"
    parameters = ("sigma_rel",)
    own_rows = (5,)
    kernel = staticmethod(pee_decoherence_kernel)
    numpy = staticmethod(pee_decoherence_numpy)
    adjoint_kernel = staticmethod(pee_decoherence_adjoint_kernel)
    adjoint_numpy = staticmethod(pee_decoherence_adjoint_numpy)

    def own(self, extra) -> tuple[float]:
        return (float(extra[0]),)
