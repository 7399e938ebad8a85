"""Inputs of the Daya Bay model from the release: interpolation as the release's model defines it, the
integration mesh and IBD kinematics, exposures (thermal energy and effective live time per reactor,
detector and period), and the detector response matrices on the 240-bin grid."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ...constants import SECONDS_PER_DAY
from ...dayabay_release import Release
from ...physics.ibd import VogelBeacom
from ...physics.response_matrices import gaussian_matrix

# Numerical settings of the collaboration's model (dayabay-model 1.7.1, model_dayabay.py), kept so the
# predictions compare to 1e-8; they are integration choices, not measured inputs.
GL_EDEP_NODES = 5  # Gauss–Legendre nodes per 0.05 MeV deposited-energy bin
GL_COS_NODES = 3  # Gauss–Legendre nodes in cosθ ∈ [−1, 1]
LSNL_REFINE = 4  # the LSNL curves are refined 4× by cubic interpolation ...
LSNL_RANGE = (0.5, 12.1)  # ... and linearly extrapolated over this range [MeV]
RESOLUTION_CUTOFF = 1e-10  # smearing-matrix elements below this are dropped


def _param(release: Release, stem: str, *path: str):
    node = release.parameters[stem]["parameters"]
    for key in path:
        node = node[key]
    return node


def _value_sigma(release: Release, stem: str, *path: str) -> tuple[float, float]:
    """(value, absolute σ) of a parameter entry, whatever the file's uncertainty format."""
    doc = release.parameters[stem]
    entry = _param(release, stem, *path)
    fmt = doc["format"]
    if isinstance(fmt, str):
        return float(entry), 0.0
    value, unc = float(entry[0]), float(entry[1])
    kind = fmt[1]
    if kind in ("sigma", "sigma_absolute"):
        return value, unc
    if kind == "sigma_relative":
        return value, unc * abs(value)
    if kind == "sigma_percent":
        return value, unc * 0.01 * abs(value)
    raise ValueError(f"{stem}: unknown uncertainty format {kind!r}")


# --------------------------------------------------------------------------------------------------
# Interpolation as the release's model defines it
# --------------------------------------------------------------------------------------------------


def _segments(x: np.ndarray, xp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Segment index (first/last segment outside the mesh) and position t within it."""
    i = np.clip(np.searchsorted(xp, x, side="right") - 1, 0, len(xp) - 2)
    t = (x - xp[i]) / (xp[i + 1] - xp[i])
    return i, t


def interp_exp(x: np.ndarray, xp: np.ndarray, yp: np.ndarray) -> np.ndarray:
    """Log-linear interpolation, extrapolated with the first and last segments."""
    i, t = _segments(np.asarray(x, dtype=float), xp)
    return yp[i] * np.exp(t * np.log(yp[i + 1] / yp[i]))


def linear_weights(x: np.ndarray, xp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(index, weights) of linear interpolation with extrapolation: f(x) = w0 f[i] + w1 f[i+1]."""
    i, t = _segments(np.asarray(x, dtype=float), xp)
    return i, np.stack([1.0 - t, t])


def interp_linear_zero(x: np.ndarray, xp: np.ndarray, yp: np.ndarray) -> np.ndarray:
    """Linear interpolation, zero outside [xp[0], xp[-1]]."""
    x = np.asarray(x, dtype=float)
    return np.where((x >= xp[0]) & (x <= xp[-1]), np.interp(x, xp, yp), 0.0)


# --------------------------------------------------------------------------------------------------
# Integration mesh and IBD kinematics
# --------------------------------------------------------------------------------------------------


@dataclass
class Mesh:
    """Gauss–Legendre points over (E_dep, cosθ) with their E_ν and weight w σ dE_ν/dE_dep [cm² MeV⁰]."""

    n_bins: int
    bin: np.ndarray  # fine E_dep bin of each point
    enu: np.ndarray
    weight: np.ndarray  # GL weight × dσ/dcosθ × dE_ν/dE_dep
    enu_lo: np.ndarray  # E_ν at the low and high edge of each point's E_dep cell (its share of the
    enu_hi: np.ndarray  # GL weight), same cosθ: where a fast oscillation is averaged


def make_mesh(release: Release) -> Mesh:
    pdg = release.parameters["pdg2024"]["parameters"]
    me, mp, mn = float(pdg["ElectronMass"]), float(pdg["ProtonMass"]), float(pdg["NeutronMass"])
    edges = release.ibd_edges
    x5, w5 = np.polynomial.legendre.leggauss(GL_EDEP_NODES)
    xc, wc = np.polynomial.legendre.leggauss(GL_COS_NODES)
    mid, half = 0.5 * (edges[1:] + edges[:-1]), 0.5 * np.diff(edges)
    edep = (mid[:, None] + half[:, None] * x5[None, :])[:, :, None] * np.ones(len(xc))
    w = (half[:, None] * w5[None, :])[:, :, None] * wc[None, None, :]
    cos = np.broadcast_to(xc, edep.shape)
    b = np.broadcast_to(np.arange(len(mid))[:, None, None], edep.shape)
    x_lo = -1.0 + np.concatenate([[0.0], np.cumsum(w5)[:-1]])  # the GL cells of the E_dep nodes
    x_hi = np.minimum(-1.0 + np.cumsum(w5), 1.0)
    cell_lo = (mid[:, None] + half[:, None] * x_lo[None, :])[:, :, None] * np.ones(len(xc))
    cell_hi = (mid[:, None] + half[:, None] * x_hi[None, :])[:, :, None] * np.ones(len(xc))
    edep, w, cos, b, cell_lo, cell_hi = (np.ravel(a) for a in (edep, w, cos, b, cell_lo, cell_hi))
    enu, jac, _ = _neutrino_energy(edep, cos, me, mp, mn)
    tau = float(pdg["NeutronLifeTime"])
    xs = VogelBeacom(tau).dsigma_dcos(enu, cos)
    weight = w * xs * jac
    keep = weight > 0
    enu_lo, enu_hi = (_neutrino_energy(e, cos, me, mp, mn)[0][keep] for e in (cell_lo, cell_hi))
    return Mesh(len(mid), b[keep].astype(np.int64), enu[keep], weight[keep], enu_lo, enu_hi)


def _neutrino_energy(edep, cos, me, mp, mn):
    """(E_ν, dE_ν/dE_dep, kinematically allowed) of IBD events with deposited energy ``edep`` (positron
    energy + annihilation, E_e = E_dep − m_e) and positron direction ``cos``."""
    ee = edep - me
    ok = ee > me
    ve = np.where(ok, np.sqrt(np.maximum(1.0 - me * me / np.where(ok, ee * ee, 1.0), 0.0)), 0.0)
    delta = (mn * mn - mp * mp - me * me) / (2.0 * mp)
    enu = (ee + delta) / (1.0 - (ee / mp) * (1.0 - ve * cos))
    den = mp - ee * (1.0 - ve * cos)
    jac = np.where(ok & (den > 0), (mp + enu * (1.0 - cos / np.where(ok, ve, 1.0))) / np.where(den > 0, den, 1.0), 0.0)
    return enu, jac, ok


# --------------------------------------------------------------------------------------------------
# Exposures: thermal energy and effective live time per reactor, detector and period
# --------------------------------------------------------------------------------------------------


@dataclass
class Exposure:
    pairs: list[tuple[str, str]]  # (period, detector)
    thermal_energy: np.ndarray  # (pairs, reactors) MeV delivered during the effective live time
    eff_livetime: np.ndarray  # (pairs,) s
    accidentals: np.ndarray  # (pairs,) Σ τ(t) rate_acc(t) / day, events


def period_detectors(period: str) -> int:
    return int("".join(ch for ch in period if ch.isdigit()))


def make_exposure(release: Release, nominal_mev_per_nu: float) -> Exposure:
    """Σ_days W_r(t) τ_d(t) with W_r the week's ν̄ rate × (Ē_nom/N̄_nom), per active (period, detector).

    A detector's day belongs to period p when the number of active detectors that day is p's (days
    with none are dropped); the reactor rate of a day is that of the release's week containing it
    whose period mask has p's bit (bit k for the k-th period in time)."""
    pairs = release.pairs()
    te = np.zeros((len(pairs), len(release.reactors)))
    tau = np.zeros(len(pairs))
    acc = np.zeros(len(pairs))
    for k, (period, det) in enumerate(pairs):
        daily = release.daily[det]
        sel = daily["n_det"] == period_detectors(period)
        days = daily["day"][sel]
        el = daily["eff_livetime"][sel]
        tau[k] = el.sum()
        acc[k] = np.sum(el * daily["rate_accidentals"][sel]) / SECONDS_PER_DAY
        bit = 1 << release.periods.index(period)
        for j, r in enumerate(release.reactors):
            table = release.neutrino_rate[r]
            rows = (table["n_det_mask"].astype(np.int64) & bit) > 0
            start = table["day"][rows].astype(np.int64)
            length = table["n_days"][rows].astype(np.int64)
            rate = table["neutrino_rate_per_s"][rows]
            week = np.searchsorted(start, days, side="right") - 1
            if np.any(week < 0) or np.any(days >= start[week] + length[week]):
                raise ValueError(f"{r}: no weekly rate for some {period} days of {det}")
            te[k, j] = np.sum(rate[week] * el) * nominal_mev_per_nu
    return Exposure(pairs, te, tau, acc)


# --------------------------------------------------------------------------------------------------
# Detector response matrices on the 240-bin grid
# --------------------------------------------------------------------------------------------------


def refine_lsnl(release: Release) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(E grid, absolute nominal curve y₀ = f₀E, pull differences Δ_k = y_k − y₀) on the refined grid."""
    from scipy.interpolate import make_interp_spline

    names = sorted(release.lsnl)
    x, _ = release.lsnl["nominal"]
    step = (x[1] - x[0]) / LSNL_REFINE
    fine = np.linspace(x[0], x[-1], (len(x) - 1) * LSNL_REFINE + 1)
    left = np.arange(LSNL_RANGE[0], x[0] - 0.5 * step, step)
    right = x[-1] + step * np.arange(1, int(np.floor((LSNL_RANGE[1] - x[-1]) / step)) + 1)
    grid = np.concatenate([left, fine, right])
    curves = {}
    for name in names:
        xs, f = release.lsnl[name]
        y = make_interp_spline(xs, f * xs, k=3)(fine)
        slope_l = (y[1] - y[0]) / (fine[1] - fine[0])
        slope_r = (y[-1] - y[-2]) / (fine[-1] - fine[-2])
        curves[name] = np.concatenate([y[0] + slope_l * (left - fine[0]), y, y[-1] + slope_r * (right - fine[-1])])
    pulls = [n for n in names if n != "nominal"]
    return grid, curves["nominal"], np.array([curves[n] - curves["nominal"] for n in pulls])


def resolution_matrix(edges: np.ndarray, a: float, b: float, c: float) -> np.ndarray:
    """R[j, i] = ΔE_j N(E_j; E_i, σ(E_i)) at bin centres, σ/E = √(a² + b²/E + c²/E²) (Daya Bay's
    convention: a constant, b stochastic); no renormalisation."""
    centres = 0.5 * (edges[1:] + edges[:-1])
    sigma = centres * np.sqrt(a * a + b * b / centres + c * c / (centres * centres))
    return gaussian_matrix(edges, sigma, RESOLUTION_CUTOFF)


@dataclass
class Inputs:
    """Everything the Daya Bay model computes with, derived once from the release."""

    release: Release
    mesh: Mesh
    exposure: Exposure
    pairs: list[tuple[str, str]]
    hm: np.ndarray  # (isotopes, points) Huber–Mueller spectra at the mesh E_ν
    neq: np.ndarray  # (isotopes, points) non-equilibrium corrections (0 for isotopes without)
    snf: np.ndarray  # (reactors, points) spent-fuel correction
    baselines: np.ndarray  # (detectors, reactors) m
    extras: dict = field(default_factory=dict)


def build_inputs(release: Release) -> Inputs:
    mesh = make_mesh(release)
    isotopes = release.isotopes
    ff = np.array([float(_param(release, "reactor_fission_fractions", "fission_fractions", i)) for i in isotopes])
    nu = np.array(
        [
            float(_param(release, "antineutrinos_per_fission_huber_mueller", "antineutrinos_per_fission", i))
            for i in isotopes
        ]
    )
    epf = np.array([_value_sigma(release, "reactor_energy_per_fission", "energy_per_fission", i)[0] for i in isotopes])
    exposure = make_exposure(release, float(ff @ epf) / float(ff @ nu))
    hm = np.array([interp_exp(mesh.enu, *release.hm[i]) for i in isotopes])
    neq = np.array(
        [
            interp_linear_zero(mesh.enu, *release.nonequilibrium[i])
            if i in release.nonequilibrium
            else np.zeros(len(mesh.enu))
            for i in isotopes
        ]
    )
    snf = np.array([interp_linear_zero(mesh.enu, *release.snf[r]) for r in release.reactors])
    base = release.parameters["baselines"]["parameters"]["baseline"]
    baselines = np.array([[float(base[d][r]) for r in release.reactors] for d in release.detectors])
    return Inputs(release, mesh, exposure, exposure.pairs, hm, neq, snf, baselines)
