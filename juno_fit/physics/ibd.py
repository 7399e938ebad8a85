"""Inverse beta decay ν̄e + p → e⁺ + n: cross sections and prompt-energy kinematics.

The prompt (deposited) energy is the positron's total energy plus the two annihilation photons less
the positron rest mass already counted: E_dep = E_e + m_e. At zeroth order in 1/M this is
E_ν − (Δ − m_e) = E_ν − 0.782 MeV; the neutron recoil lowers it by an amount that depends on the
positron angle θ, which the model integrates over (physics/grid.py) instead of using a fixed offset.

Two cross sections are available, each as a pair of vectorised functions of (E_ν, cosθ):

- Vogel & Beacom, Phys. Rev. D 60 (1999) 053003, hep-ph/9903554, first order in 1/M (default; the
  Daya Bay and JUNO models use it), with its first-order kinematics E_e⁽¹⁾(E_ν, cosθ), linear in
  cosθ;
- Strumia & Vissani, Phys. Lett. B 564 (2003) 42, astro-ph/0302055, with exact two-body kinematics
  (module :mod:`juno_fit.physics.ibd_sv`).

IBD constants (Vogel–Beacom): f = 1, g = 1.2701, f₂ = μ_p − μ_n = 3.706, phase-space factor
f^R = 1.71465, as in the Daya Bay release parameters/ibd_constants.yaml and GNA's JUNO model
(PHYSICS.md §5.2 [S]). The neutron lifetime sets the normalisation σ₀ and comes from the config.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from ..constants import (
    DELTA_NP,
    HBAR_MEV_S,
    HBARC_MEV_CM,
    IBD_THRESHOLD,
    M_ELECTRON,
    M_NEUTRON,
    M_NUCLEON,
    M_PROTON,
)

# Vogel–Beacom constants (Daya Bay release parameters/ibd_constants.yaml, CC BY 4.0; GNA IbdFirstOrder)
VB_F = 1.0  # vector coupling
VB_G = 1.2701  # axial coupling g_A
VB_F2 = 3.706  # μ_p − μ_n (anomalous isovector magnetic moment)
VB_PHASE_SPACE = 1.71465  # f^R, phase-space factor including outer radiative corrections

_GL_COS_NODES, _GL_COS_WEIGHTS = np.polynomial.legendre.leggauss(16)


def threshold() -> float:
    """IBD threshold ((m_n + m_e)² − m_p²)/(2 m_p) = 1.806 MeV for a proton at rest."""
    return IBD_THRESHOLD


def prompt_offset() -> float:
    """Zeroth-order offset E_ν − E_dep = Δ − m_e = 0.782 MeV."""
    return DELTA_NP - M_ELECTRON


def sigma0_vogel_beacom(neutron_lifetime: float) -> float:
    """σ₀ = 2π² / (f^R (f² + 3g²) m_e⁵ τ_n) in cm²/MeV² (Vogel & Beacom eq. 8 with τ_n normalisation).

    The conversion from natural units multiplies by (ħc)² ħ: [MeV cm]² [MeV s] / ([MeV⁵] [s]).
    """
    return (
        2.0
        * math.pi**2
        * HBARC_MEV_CM**2
        * HBAR_MEV_S
        / (VB_PHASE_SPACE * (VB_F**2 + 3.0 * VB_G**2) * M_ELECTRON**5 * neutron_lifetime)
    )


class CrossSection(Protocol):
    """What the fold-matrix builder needs from a cross-section model (all functions vectorised)."""

    name: str

    def edep(self, enu: np.ndarray, cos: np.ndarray) -> np.ndarray: ...

    def cos_at(self, enu: np.ndarray, edep: np.ndarray) -> np.ndarray: ...

    def dsigma_dcos(self, enu: np.ndarray, cos: np.ndarray) -> np.ndarray: ...


def _vb_zeroth(enu: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    e0 = enu - DELTA_NP
    p0 = np.sqrt(np.maximum(e0 * e0 - M_ELECTRON**2, 0.0))
    v0 = np.divide(p0, e0, out=np.zeros_like(p0), where=e0 > 0)
    return e0, p0, v0


def vb_positron_energy(enu: np.ndarray, cos: np.ndarray) -> np.ndarray:
    """First-order positron energy E_e⁽¹⁾ = E₀[1 − (E_ν/M)(1 − v₀ cosθ)] − y²/M (VB eq. 11), MeV."""
    enu = np.asarray(enu, dtype=float)
    e0, _p0, v0 = _vb_zeroth(enu)
    y2 = 0.5 * (DELTA_NP**2 - M_ELECTRON**2)
    return e0 * (1.0 - enu / M_NUCLEON * (1.0 - v0 * cos)) - y2 / M_NUCLEON


@dataclass(frozen=True)
class VogelBeacom:
    """Vogel–Beacom first-order dσ/dcosθ (VB eq. 12), as implemented by Daya Bay and JUNO (GNA).

    dσ/dcosθ = σ₀/2 [(f² + 3g²) + (f² − g²) v_e⁽¹⁾ cosθ] E_e⁽¹⁾ p_e⁽¹⁾ − σ₀/2 (Γ/M) E_e⁽⁰⁾ p_e⁽⁰⁾,
    Γ = 2g(f + f₂)[(2E₀ + Δ)(1 − v₀ cosθ) − m_e²/E₀] + (f² + g²)[Δ(1 + v₀ cosθ) + m_e²/E₀]
        + (f² + 3g²)[(E₀ + Δ)(1 − cosθ/v₀) − Δ] + (f² − g²)[(E₀ + Δ)(1 − cosθ/v₀) − Δ] v₀ cosθ.
    """

    neutron_lifetime: float
    name: str = "vogel_beacom"

    def edep(self, enu: np.ndarray, cos: np.ndarray) -> np.ndarray:
        """Deposited prompt energy E_e⁽¹⁾ + m_e [MeV]; increases with cosθ."""
        return vb_positron_energy(enu, cos) + M_ELECTRON

    def cos_at(self, enu: np.ndarray, edep: np.ndarray) -> np.ndarray:
        """cosθ at which the prompt energy equals ``edep`` (E_e⁽¹⁾ is linear in cosθ); unclipped."""
        enu = np.asarray(enu, dtype=float)
        e0, _p0, v0 = _vb_zeroth(enu)
        y2 = 0.5 * (DELTA_NP**2 - M_ELECTRON**2)
        intercept = e0 * (1.0 - enu / M_NUCLEON) - y2 / M_NUCLEON + M_ELECTRON
        slope = e0 * enu * v0 / M_NUCLEON
        return (edep - intercept) / slope

    def dsigma_dcos(self, enu: np.ndarray, cos: np.ndarray) -> np.ndarray:
        """dσ/dcosθ in cm²; zero below threshold."""
        enu, cos = np.broadcast_arrays(np.asarray(enu, dtype=float), np.asarray(cos, dtype=float))
        f, g, f2, d, me, m = VB_F, VB_G, VB_F2, DELTA_NP, M_ELECTRON, M_NUCLEON
        e0, p0, v0 = _vb_zeroth(enu)
        above = (enu >= threshold()) & (p0 > 0)
        e0s = np.where(above, e0, 1.0)
        v0s = np.where(above, v0, 1.0)
        e1 = vb_positron_energy(enu, cos)
        p1 = np.sqrt(np.maximum(e1 * e1 - me * me, 0.0))
        v1 = np.divide(p1, e1, out=np.zeros_like(p1), where=e1 > 0)
        a_term = (e0s + d) * (1.0 - cos / v0s) - d
        gamma = (
            2.0 * g * (f + f2) * ((2.0 * e0s + d) * (1.0 - v0s * cos) - me * me / e0s)
            + (f * f + g * g) * (d * (1.0 + v0s * cos) + me * me / e0s)
            + (f * f + 3.0 * g * g) * a_term
            + (f * f - g * g) * a_term * v0s * cos
        )
        s0 = sigma0_vogel_beacom(self.neutron_lifetime)
        value = 0.5 * s0 * (((f * f + 3.0 * g * g) + (f * f - g * g) * v1 * cos) * e1 * p1 - gamma / m * e0s * p0)
        return np.where(above, np.maximum(value, 0.0), 0.0)


def sigma_total(xsec: CrossSection, enu: np.ndarray) -> np.ndarray:
    """Total cross section ∫ dσ/dcosθ dcosθ in cm² (16-node Gauss–Legendre in cosθ)."""
    enu = np.asarray(enu, dtype=float)
    vals = xsec.dsigma_dcos(enu[..., None], _GL_COS_NODES)
    return vals @ _GL_COS_WEIGHTS


def mean_edep(xsec: CrossSection, enu: np.ndarray) -> np.ndarray:
    """Cross-section-weighted mean prompt energy over cosθ at each E_ν [MeV]."""
    enu = np.asarray(enu, dtype=float)
    w = xsec.dsigma_dcos(enu[..., None], _GL_COS_NODES) * _GL_COS_WEIGHTS
    e = xsec.edep(enu[..., None], _GL_COS_NODES)
    return np.sum(w * e, axis=-1) / np.sum(w, axis=-1)


def sigma_zeroth_order(enu: np.ndarray, neutron_lifetime: float) -> np.ndarray:
    """Zeroth-order σ = σ₀ (f² + 3g²) E_e p_e, E_e = E_ν − Δ (VB eq. 9), in cm²."""
    e0, p0, _ = _vb_zeroth(np.asarray(enu, dtype=float))
    return sigma0_vogel_beacom(neutron_lifetime) * (VB_F**2 + 3.0 * VB_G**2) * e0 * p0


@dataclass(frozen=True)
class StrumiaVissani:
    """Strumia–Vissani dσ/dcosθ with exact two-body kinematics (:mod:`juno_fit.physics.ibd_sv`).

    Its normalisation comes from SV's own couplings (G_F cosθ_C, g_A), not from the neutron lifetime.
    """

    name: str = "strumia_vissani"

    def edep(self, enu: np.ndarray, cos: np.ndarray) -> np.ndarray:
        """E_e + m_e [MeV]; below threshold (or at backward angles in the first eV above it, where
        they are kinematically closed) the zeroth-order E_ν − Δ + m_e is returned so that the
        function stays finite and increasing; the cross section is zero there."""
        from . import ibd_sv

        enu, cos = np.broadcast_arrays(np.asarray(enu, dtype=float), np.asarray(cos, dtype=float))
        ee = np.asarray(ibd_sv.positron_energy(enu, cos), dtype=float)
        return np.where(np.isfinite(ee), ee, enu - DELTA_NP) + M_ELECTRON

    def cos_at(self, enu: np.ndarray, edep: np.ndarray) -> np.ndarray:
        """cosθ from energy–momentum conservation, (E_ν + m_p − E_e)² = m_n² + E_ν² + p_e² − 2E_ν p_e cosθ."""
        enu = np.asarray(enu, dtype=float)
        ee = np.asarray(edep, dtype=float) - M_ELECTRON
        pe = np.sqrt(np.maximum(ee * ee - M_ELECTRON**2, 1e-300))
        return (M_NEUTRON**2 + enu * enu + pe * pe - (enu + M_PROTON - ee) ** 2) / (2.0 * enu * pe)

    def dsigma_dcos(self, enu: np.ndarray, cos: np.ndarray) -> np.ndarray:
        from . import ibd_sv

        return np.nan_to_num(np.asarray(ibd_sv.dsigma_dcos(enu, cos), dtype=float))


def make_cross_section(name: str, neutron_lifetime: float) -> CrossSection:
    """The cross-section model named in the config's ``[ibd] cross_section``."""
    if name == "vogel_beacom":
        return VogelBeacom(neutron_lifetime)
    if name == "strumia_vissani":
        return StrumiaVissani()
    raise ValueError(f"unknown IBD cross section {name!r} (accepted: vogel_beacom, strumia_vissani)")
