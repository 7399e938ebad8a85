"""The Daya Bay nGd model (PRL 130, 161802 (2023)) built from the full data release.

Every input comes from the release (:mod:`juno_fit.dayabay_release`): spectra, rates, live times,
baselines, response matrices and the parameter YAMLs with their uncertainties. The model follows the
collaboration's published analysis model (the ``dayabay-model`` package defines it; it was read for
understanding, this is an independent implementation):

1. Reactor antineutrinos. Reactor r delivers to detector d in period p a number of fissions of
   isotope i, N_rdpi = ξ_r E_th,rdp φ_ri / Ē_r, with E_th,rdp = Σ_days W_r(t) τ_d(t) the thermal energy
   during the detector's effective live time τ_d(t) (daily live time × efficiency), W_r(t) = R_ν,r(t)
   Ē_nom/N̄_nom the weekly ν̄ rate of the release turned into a thermal power with the nominal mean
   energy and ν̄ yield per fission, φ_ri = |f_i s_ri| the (scaled) fission fractions and
   Ē_r = Σ_i e_i φ_ri. Spectra: Huber–Mueller per isotope (log-linear interpolation of the release's
   50 keV tables), times the free spectrum correction F(E_ν) = exp(p(E_ν)) with p log-linearly
   interpolated between 19 nodes (extrapolated), times the Huber–Mueller uncertainty factors
   (1 + η_ik σ^unc_ik)(1 + ζ σ^corr_ik) linearly interpolated between the 226 nodes; plus the
   non-equilibrium part c^neq_ri S_i C^neq_i and the spent-fuel part c^snf_r T_eff Φ^snf_r (nominal
   power, nominal spectra). Each is scaled by target protons, efficiency and 1/(4πL²).
2. Counts per 0.05 MeV deposited-energy bin: ∫ dE_dep ∫ dcosθ σ_VB(E_ν, cosθ) (dE_ν/dE_dep) P_ee(E_ν, L)
   × spectrum(E_ν), Gauss–Legendre with 5 nodes per bin and 3 in cosθ, with E_ν(E_dep, cosθ) from
   exact two-body kinematics; P_ee in vacuum, parametrised by sin²2θ13, Δm²32 (signed: the ordering),
   sin²2θ12 and Δm²21, Δm²31 = Δm²32 + Δm²21.
3. Detector: IAV matrix (off-diagonal scaled per detector, columns renormalised), the LSNL as an
   axis-distortion matrix of E_vis = s_d [y₀(E) + Σ a_k (y_k − y₀)(E)] (curves refined by cubic
   interpolation, linearly extrapolated to 0.5–12.1 MeV), the resolution σ/E = √(a² + b²/E + c²/E²)
   as a Gaussian matrix at bin centres, the detector normalisation, rebinning to the final 26 bins.
4. Backgrounds: accidentals from the daily rates, ⁹Li/⁸He, fast neutrons, AmC, ¹³C(α,n) from the
   rate tables, each on its released shape; uncertainty structures as in the release (accidentals
   and (α,n) per detector and period, ⁹Li/⁸He and fast neutrons correlated within a hall and period,
   AmC correlated everywhere).
5. χ²: CNP with the systematic uncertainties as a covariance matrix J Jᵀ built once at the nominal
   point (J: analytic for the Huber–Mueller node parameters, four-point differences of 0.1 σ for the
   rest, as the collaboration's model), or with pull terms. Its gradient is exact and in reverse mode:
   through the response matrices and the integration to the oscillation, spectrum and reactor
   parameters, and into the resolution, nonlinearity and IAV matrices themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._numba import kernel
from .config.dayabay_file import (
    DYB_OSCILLATION,
    DYB_SYSTEMATICS,
    DayaBayConfig,
)
from .constants import SECONDS_PER_DAY
from .dayabay_release import Release
from .physics.ibd import VogelBeacom
from .stages import DetectorPrediction, StagedCache

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
    edep, w, cos, b = (np.ravel(a) for a in (edep, w, cos, b))
    ee = edep - me
    ok = ee > me
    ve = np.where(ok, np.sqrt(np.maximum(1.0 - me * me / np.where(ok, ee * ee, 1.0), 0.0)), 0.0)
    delta = (mn * mn - mp * mp - me * me) / (2.0 * mp)
    enu = (ee + delta) / (1.0 - (ee / mp) * (1.0 - ve * cos))
    den = mp - ee * (1.0 - ve * cos)
    jac = np.where(ok & (den > 0), (mp + enu * (1.0 - cos / np.where(ok, ve, 1.0))) / np.where(den > 0, den, 1.0), 0.0)
    tau = float(pdg["NeutronLifeTime"])
    xs = VogelBeacom(tau).dsigma_dcos(enu, cos)
    weight = w * xs * jac
    keep = weight > 0
    return Mesh(len(mid), b[keep].astype(np.int64), enu[keep], weight[keep])


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


def iav_matrix(base: np.ndarray, scale: float) -> np.ndarray:
    """Off-diagonal elements scaled, each non-empty column renormalised to 1."""
    m = base * scale
    np.fill_diagonal(m, np.diag(base))
    sums = m.sum(axis=0)
    return np.divide(m, sums, out=np.zeros_like(m), where=sums != 0)


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


def distortion_matrix(edges: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """M[i, j]: fraction of source bin j (uniformly populated) whose image under the piecewise-linear,
    increasing map x → y lies in target bin i; parts outside the curve's domain or range are lost.

    With x(E) the inverse map (clamped to the domain), the part of source bin j = [a_j, b_j] landing
    in target bin i is [max(a_j, x(e_i)), min(b_j, x(e_i+1))]."""
    if np.any(np.diff(y) <= 0):
        raise ValueError("the energy map must be increasing")
    inv = np.interp(edges, y, x)  # clamped to [x[0], x[-1]] outside the range
    a = np.clip(edges[:-1], x[0], x[-1])
    b = np.clip(edges[1:], x[0], x[-1])
    overlap = np.minimum(b[None, :], inv[1:, None]) - np.maximum(a[None, :], inv[:-1, None])
    return np.maximum(overlap, 0.0) / np.diff(edges)[None, :]


def distortion_adjoint(edges: np.ndarray, x: np.ndarray, y: np.ndarray, u: np.ndarray, v: np.ndarray):
    """Derivative of Σ_n u_nᵀ M v_n, M = :func:`distortion_matrix` (edges, x, y), with respect to the
    inverse-mapped edges e_k = x(E_k): returns (e, ∂/∂e, y'(e)). Target bin i gains what e_{i+1} moves
    over and loses what e_i moves over, both in the source bin holding the edge (density 1/width);
    edges mapped outside the curve's range are clamped and do not move."""
    inv = np.interp(edges, y, x)
    width = np.diff(edges)
    n_t = len(width)
    j = np.clip(np.searchsorted(edges, inv, side="right") - 1, 0, n_t - 1)
    upper = np.zeros((u.shape[0], n_t + 1))  # u of the target bin whose upper edge is k
    upper[:, 1:] = u
    lower = np.zeros((u.shape[0], n_t + 1))  # u of the target bin whose lower edge is k
    lower[:, :-1] = u
    sens = np.sum((upper - lower) * v[:, j], axis=0) / width[j]
    sens[(edges <= y[0]) | (edges >= y[-1])] = 0.0
    q = np.clip(np.searchsorted(x, inv, side="right") - 1, 0, len(x) - 2)
    slope = (y[q + 1] - y[q]) / (x[q + 1] - x[q])
    return inv, sens, slope


def iav_derivative(base: np.ndarray, scale: float) -> np.ndarray:
    """∂ iav_matrix(base, scale) / ∂scale: with S_j = D_j + s O_j the column sums, (off − M O_j)/S_j."""
    off = base.copy()
    np.fill_diagonal(off, 0.0)
    o = off.sum(axis=0)
    m = iav_matrix(base, scale)
    sums = np.diag(base) + scale * o
    return np.divide(off - m * o[None, :], sums[None, :], out=np.zeros_like(m), where=sums[None, :] != 0)


def resolution_matrix(edges: np.ndarray, a: float, b: float, c: float) -> np.ndarray:
    """R[j, i] = ΔE_j N(E_j; E_i, σ(E_i)) at bin centres, σ/E = √(a² + b²/E + c²/E²); no renormalisation."""
    centres = 0.5 * (edges[1:] + edges[:-1])
    width = np.diff(edges)
    sigma = centres * np.sqrt(a * a + b * b / centres + c * c / (centres * centres))
    z = (centres[:, None] - centres[None, :]) / sigma[None, :]
    r = width[:, None] * np.exp(-0.5 * z * z) / (np.sqrt(2.0 * np.pi) * sigma[None, :])
    r[r < RESOLUTION_CUTOFF] = 0.0
    return r


def rebin_matrix(fine: np.ndarray, final: np.ndarray) -> np.ndarray:
    """0/1 matrix summing fine bins into final bins (fine bins outside the final range are dropped)."""
    idx = np.searchsorted(np.round(fine, 9), np.round(final, 9))
    if not np.allclose(fine[idx], final, atol=1e-9):
        raise ValueError("the final bin edges are not fine-bin edges")
    m = np.zeros((len(final) - 1, len(fine) - 1))
    for k in range(len(final) - 1):
        m[k, idx[k] : idx[k + 1]] = 1.0
    return m


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


# --------------------------------------------------------------------------------------------------
# Kernels (each with its NumPy twin)
# --------------------------------------------------------------------------------------------------


def pee_numpy(enu, baselines, s2t13, dm32, s2t12, dm21, factor):
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
def pee_kernel(enu, baselines, s2t13, dm32, s2t12, dm21, factor, want_derivatives, solar):
    """Numba twin of :func:`pee_numpy` (derivatives only when ``want_derivatives``), given the solar
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


def raw_numpy(p, f, a, b, bins, det_of_pair, n_bins):
    """Counts per fine deposited-energy bin: raw[k, bin] = Σ_r Σ_points∈bin P (F A + B)."""
    vals = np.einsum("krp,krp->kp", p[det_of_pair], f[None, None, :] * a + b)
    out = np.zeros((a.shape[0], n_bins))
    for k in range(a.shape[0]):
        out[k] = np.bincount(bins, weights=vals[k], minlength=n_bins)
    return out


@kernel
def raw_kernel(p, f, a, b, bins, det_of_pair, n_bins):
    """Numba twin of :func:`raw_numpy`."""
    n_pairs, n_r, n = a.shape
    out = np.zeros((n_pairs, n_bins))
    for k in range(n_pairs):
        d = det_of_pair[k]
        for r in range(n_r):
            for i in range(n):
                out[k, bins[i]] += p[d, r, i] * (f[i] * a[k, r, i] + b[k, r, i])
    return out


def raw_adjoint_numpy(p, dp, f, a, b, bins, det_of_pair, adj):
    """Given adj = ∂χ²/∂raw (pairs × bins): (∂χ²/∂(sin²2θ13, Δm²32, sin²2θ12, Δm²21), ∂χ²/∂F per point)."""
    g_pt = adj[:, bins]  # (pairs, points)
    common = f[None, None, :] * a + b
    pk = p[det_of_pair]
    g = np.array([np.sum(g_pt[:, None, :] * dp[q][det_of_pair] * common) for q in range(4)])
    g_f = np.sum(g_pt[:, None, :] * pk * a, axis=(0, 1))
    return g, g_f


@kernel
def raw_adjoint_kernel(p, dp, f, a, b, bins, det_of_pair, adj):
    """Numba twin of :func:`raw_adjoint_numpy`."""
    n_pairs, n_r, n = a.shape
    g = np.zeros(4)
    g_f = np.zeros(n)
    for k in range(n_pairs):
        d = det_of_pair[k]
        for r in range(n_r):
            for i in range(n):
                w = adj[k, bins[i]]
                if w == 0.0:
                    continue
                common = f[i] * a[k, r, i] + b[k, r, i]
                for q in range(4):
                    g[q] += w * dp[q, d, r, i] * common
                g_f[i] += w * p[d, r, i] * a[k, r, i]
    return g, g_f


# --------------------------------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------------------------------


@dataclass
class Nuisances:
    """Systematic directions for the covariance matrix: per group, unit-normal directions as
    {parameter index: shift per unit}, and the prior covariance blocks for the pull terms."""

    groups: dict[str, list[dict[int, float]]]


def hall(detector: str) -> str:
    """AD<h><n> is detector n of experimental hall h (the release's naming)."""
    return f"EH{detector[2]}"


def build_parameters(release: Release, cfg: DayaBayConfig) -> tuple:
    from .parameters import CorrelatedBlock, Parameter, ParameterSet

    pulls = cfg.fit.statistic == "pulls"
    on = cfg.fit.systematics
    params: list = []
    blocks: list = []
    groups: dict[str, list[list[tuple[str, float]]]] = {g: [] for g in DYB_SYSTEMATICS}

    def nuisance(group: str, name: str, value: float, sigma: float, description: str, **kw) -> None:
        active = on[group] and sigma > 0
        free = active and pulls and not group.startswith("hm_")
        params.append(
            Parameter(name, value, error=sigma if free else None, fixed=not free, description=description, **kw)
        )
        if active:
            groups[group].append([(name, sigma)])

    def block(group: str, names: list[str], values: list[float], cov: np.ndarray, description: str) -> None:
        active = on[group]
        free = active and pulls
        for n, v in zip(names, values, strict=True):
            params.append(Parameter(n, v, fixed=not free, description=description))
        if free:
            blocks.append(CorrelatedBlock(tuple(names), np.array(values, dtype=float), cov))
        if active:
            chol = np.linalg.cholesky(cov)
            for m in range(len(names)):
                groups[group].append([(n, float(chol[i, m])) for i, n in enumerate(names) if chol[i, m] != 0.0])

    sign = 1.0 if cfg.oscillation.ordering == "normal" else -1.0
    s2t13 = float(_param(release, "survival_probability", "SinSq2Theta13"))
    dm32 = float(_param(release, "survival_probability", "DeltaMSq32"))
    free_osc = set(cfg.fit.free)
    params.append(
        Parameter(
            "sin2_2theta13",
            s2t13,
            limits=(0.0, 1.0),
            fixed="sin2_2theta13" not in free_osc,
            description="sin²2θ13",
            step=1e-3,
        )
    )
    params.append(
        Parameter(
            "dm2_32",
            sign * abs(dm32),
            limits=(0.0, 1.0) if sign > 0 else (-1.0, 0.0),
            fixed="dm2_32" not in free_osc,
            description="Δm²32 [eV²] (negative: inverted ordering)",
            step=2e-5,
        )
    )
    for key, name, text in (("SinSq2Theta12", "sin2_2theta12", "sin²2θ12"), ("DeltaMSq21", "dm2_21", "Δm²21 [eV²]")):
        value, sigma = _value_sigma(release, "survival_probability_solar", key)
        if name in free_osc:
            params.append(
                Parameter(name, value, limits=(0.0, 1.0) if name == "sin2_2theta12" else (0.0, None), description=text)
            )
        else:
            nuisance("solar", name, value, sigma, text)
    for k in range(len(release.spectrum_mesh)):
        params.append(
            Parameter(
                f"spec.{k:02d}",
                0.0,
                fixed=not cfg.fit.spectrum_free,
                description=f"ln of the free spectrum factor at {release.spectrum_mesh[k]:.2f} MeV",
                step=0.01,
            )
        )
    for term, key in zip("abc", ("a_nonuniform", "b_stat", "c_noise"), strict=True):
        value, sigma = _value_sigma(release, "detector_eres", "eres", key)
        nuisance("resolution", f"det.res.{term}", value, sigma, f"resolution {key}")
    lsnl_value, lsnl_sigma = _value_sigma(release, "detector_lsnl", "lsnl_scale_a")
    for k in range(len(release.lsnl) - 1):
        nuisance("nonlinearity", f"det.lsnl.pull{k}", lsnl_value, lsnl_sigma, f"LSNL pull {k}")

    def correlated(stem: str, key: str) -> tuple[list[str], list[float], np.ndarray]:
        """The YAML's correlated set ``key`` of ``stem``: its names, central values and covariance."""
        table = release.parameters[stem]["correlations"][key]
        names = table["names"]
        value_sigma = [_value_sigma(release, stem, key, n) for n in names]
        sig = np.array([s for _, s in value_sigma])
        return names, [v for v, _ in value_sigma], np.array(table["matrix"], dtype=float) * np.outer(sig, sig)

    keys, rel_values, rel_cov = correlated("detector_relative", "detector_relative")
    short = {"efficiency_factor": "eff", "energy_scale_factor": "escale"}
    for d in release.detectors:
        block(
            "detector_relative",
            [f"det.{d}.{short[k]}" for k in keys],
            rel_values,
            rel_cov,
            f"relative efficiency and energy scale of {d}",
        )
        value, sigma = _value_sigma(release, "detector_iav_offdiag_scale", "iav_offdiag_scale_factor")
        nuisance("iav", f"det.{d}.iav", value, sigma, f"IAV off-diagonal scale of {d}")
    for i in release.isotopes:
        value, sigma = _value_sigma(release, "reactor_energy_per_fission", "energy_per_fission", i)
        nuisance("energy_per_fission", f"reactor.epf.{i}", value, sigma, f"energy per fission of {i} [MeV]")
    ff_names, ff_values, ff_cov = correlated("reactor_fission_fractions_scale", "fission_fractions_scale")
    for r in release.reactors:
        value, sigma = _value_sigma(release, "reactor_thermal_power_uncertainty", "thermal_power_scale")
        nuisance("thermal_power", f"reactor.power.{r}", value, sigma, f"thermal power scale of {r}")
        value, sigma = _value_sigma(release, "reactor_snf", "snf_scale")
        nuisance("snf", f"reactor.snf.{r}", value, sigma, f"spent-fuel scale of {r}")
        for i in release.isotopes:
            if i in release.nonequilibrium:
                value, sigma = _value_sigma(release, "reactor_nonequilibrium_correction", "nonequilibrium_scale")
                nuisance("nonequilibrium", f"reactor.neq.{r}.{i}", value, sigma, f"non-equilibrium scale of {r} {i}")
        block(
            "fission_fractions",
            [f"reactor.ff.{r}.{i}" for i in ff_names],
            ff_values,
            ff_cov,
            f"fission-fraction scales of {r}",
        )
    # backgrounds
    acc_value, acc_sigma = _value_sigma(release, "background_rate_scale_accidentals", "accidentals")
    for period, det in release.pairs():
        nuisance(
            "background_rates",
            f"bkg.accidentals.{period}.{det}",
            acc_value,
            acc_sigma,
            f"accidentals scale {det} {period}",
        )
        value, sigma = _value_sigma(release, "background_rates_uncorrelated", "alpha_neutron", period, det)
        nuisance(
            "background_rates", f"bkg.alpha_neutron.{period}.{det}", value, sigma, f"(α,n) rate {det} {period} [/day]"
        )
    value, sigma = _value_sigma(release, "background_rate_uncertainty_scale_amc", "amc")
    nuisance("background_rates", "bkg.amc", value, sigma, "AmC rate shift (σ units)")
    for kind in ("lithium_helium", "fast_neutrons"):
        value, sigma = _value_sigma(release, "background_rate_uncertainty_scale_site", kind)
        for period in release.periods:
            for h in sorted({hall(d) for p, d in release.pairs() if p == period}):
                nuisance(
                    "background_rates",
                    f"bkg.{kind}.{h}.{period}",
                    value,
                    sigma,
                    f"{kind} rate shift {h} {period} (σ units)",
                )
    # Huber–Mueller shape uncertainties: one correlated parameter and one per isotope and node
    nuisance("hm_correlated", "hm.corr", 0.0, 1.0, "Huber–Mueller correlated shape uncertainty (σ units)")
    for i in release.isotopes:
        for n in range(len(release.hm_uncertainty["uncorr"][i][0])):
            nuisance("hm_uncorrelated", f"hm.uncorr.{i}.{n:03d}", 0.0, 1.0, f"Huber–Mueller {i} node {n} (σ units)")
    pset = ParameterSet(params, blocks)
    nuis = Nuisances(
        {g: [{pset.index(n): s for n, s in direction} for direction in dirs] for g, dirs in groups.items()}
    )
    return pset, nuis


# --------------------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpectrumInfo:
    """One observed spectrum (detector × period) as the data-set code sees a detector."""

    name: str
    bin_edges: np.ndarray

    @property
    def n_bins(self) -> int:
        return len(self.bin_edges) - 1


@dataclass
class _Spectrum:
    det: SpectrumInfo

    @property
    def reco_edges(self) -> np.ndarray:  # the data-set code checks a file's binning against these
        return self.det.bin_edges


class DayaBayModel(StagedCache):
    """Expected counts of the 21 Daya Bay spectra (detector × period) in the final 26 bins.

    ``predict(θ)`` returns one :class:`~juno_fit.stages.DetectorPrediction` per spectrum (IBD and
    the five backgrounds); the stages are cached on the parameters they read, like the JUNO model's.
    """

    def __init__(self, config: DayaBayConfig, *, backend: str = "numba", release: Release | None = None):
        from .dayabay_release import load_release

        if backend not in ("numba", "numpy"):
            raise ValueError(f"unknown backend {backend!r} (accepted: numba, numpy)")
        self.config = config
        self.backend = backend
        rel = release if release is not None else load_release(config.release_format)
        self.release = rel
        inp = build_inputs(rel)
        self.inputs = inp
        self.parameters, self.nuisances = build_parameters(rel, config)
        self.pairs = inp.pairs
        self.fine_edges = rel.ibd_edges
        self.final_edges = rel.final_edges
        self.rebin = rebin_matrix(self.fine_edges, self.final_edges)
        self.detectors = [_Spectrum(SpectrumInfo(f"{d}.{p}", self.final_edges)) for p, d in self.pairs]
        self.det_of_pair = np.array([rel.detectors.index(d) for _, d in self.pairs], dtype=np.int64)
        self.factor = rel.constants["survival_probability_argument_factor"]
        # reactor side
        iso = rel.isotopes
        self.ff0 = np.array([float(_param(rel, "reactor_fission_fractions", "fission_fractions", i)) for i in iso])
        epf0 = np.array([_value_sigma(rel, "reactor_energy_per_fission", "energy_per_fission", i)[0] for i in iso])
        e_nom = float(self.ff0 @ epf0)
        n_protons = float(_param(rel, "detector_n_protons_nominal", "n_protons_nominal_ad"))
        corr = rel.parameters["detector_n_protons_correction"]["parameters"]["n_protons_correction"]
        eps = float(_param(rel, "detector_efficiency", "efficiency"))
        geo = 1e-4 / (4.0 * np.pi * inp.baselines**2)  # 1/(4πL²) in cm⁻² for L in m
        self.kgeo = np.array(
            [
                [n_protons * float(corr[d]) * geo[rel.detectors.index(d), r] * eps for r in range(len(rel.reactors))]
                for _, d in self.pairs
            ]
        )
        self.thermal = inp.exposure.thermal_energy
        self.tau = inp.exposure.eff_livetime
        w = inp.mesh.weight
        self.sw = inp.hm * w
        self.sneq_w = inp.hm * inp.neq * w
        w_nom = (
            float(_param(rel, "reactor_thermal_power_nominal", "nominal_thermal_power"))
            * rel.constants["conversion_reactor_power"]
        )
        fis_snf = self.ff0 * w_nom / e_nom
        self.phi_snf_w = (fis_snf @ inp.hm)[None, :] * inp.snf * w
        self.has_neq = np.array([1.0 if i in rel.nonequilibrium else 0.0 for i in iso])
        nodes = rel.hm_uncertainty["uncorr"][iso[0]][0]
        self.hm_sigma_unc = np.array([np.interp(nodes, *rel.hm_uncertainty["uncorr"][i]) for i in iso])
        self.hm_sigma_corr = np.array([np.interp(nodes, *rel.hm_uncertainty["corr"][i]) for i in iso])
        self.hm_idx, self.hm_w = linear_weights(inp.mesh.enu, nodes)
        self.spec_idx, self.spec_w = linear_weights(inp.mesh.enu, rel.spectrum_mesh)
        # detector side
        self.lsnl_x, self.lsnl_y0, self.lsnl_dy = refine_lsnl(rel)
        # backgrounds
        self.bkg_kinds = rel.backgrounds
        self.bkg_shapes = {
            b: np.array(
                [
                    self.rebin @ (rel.background_shapes[p][b][d] / rel.background_shapes[p][b][d].sum())
                    for p, d in self.pairs
                ]
            )
            for b in self.bkg_kinds
        }
        self.tau_days = self.tau / SECONDS_PER_DAY
        self.acc_counts = inp.exposure.accidentals
        self.bkg_rate = {}
        for b in ("amc", "lithium_helium", "fast_neutrons"):
            vs = [_value_sigma(rel, "background_rates_correlated", b, p, d) for p, d in self.pairs]
            rate = np.array([v for v, _ in vs])
            sigma = np.array([s for _, s in vs])
            rel_sigma = sigma / rate if config.background_sigma == "relative" else sigma
            self.bkg_rate[b] = (rate, rel_sigma)
        self._index()
        self._cache = {}

    # ----- indices -----
    def _index(self) -> None:
        p = self.parameters
        rel = self.release
        ix = p.index
        self.i_osc = np.array([ix(n) for n in DYB_OSCILLATION], dtype=np.int64)
        self.i_spec = np.array([ix(f"spec.{k:02d}") for k in range(len(rel.spectrum_mesh))], dtype=np.int64)
        self.i_power = np.array([ix(f"reactor.power.{r}") for r in rel.reactors], dtype=np.int64)
        self.i_snf = np.array([ix(f"reactor.snf.{r}") for r in rel.reactors], dtype=np.int64)
        self.i_epf = np.array([ix(f"reactor.epf.{i}") for i in rel.isotopes], dtype=np.int64)
        self.i_ff = np.array([[ix(f"reactor.ff.{r}.{i}") for i in rel.isotopes] for r in rel.reactors], dtype=np.int64)
        self.i_neq = np.array(
            [
                [ix(f"reactor.neq.{r}.{i}") if i in rel.nonequilibrium else -1 for i in rel.isotopes]
                for r in rel.reactors
            ],
            dtype=np.int64,
        )
        self.i_hm_corr = ix("hm.corr")
        n_nodes = self.hm_sigma_unc.shape[1]
        self.i_hm_unc = np.array(
            [[ix(f"hm.uncorr.{i}.{n:03d}") for n in range(n_nodes)] for i in rel.isotopes], dtype=np.int64
        )
        self.i_res = np.array([ix(f"det.res.{t}") for t in "abc"], dtype=np.int64)
        self.i_pulls = np.array([ix(f"det.lsnl.pull{k}") for k in range(self.lsnl_dy.shape[0])], dtype=np.int64)
        self.i_eff = np.array([ix(f"det.{d}.eff") for d in rel.detectors], dtype=np.int64)
        self.i_escale = np.array([ix(f"det.{d}.escale") for d in rel.detectors], dtype=np.int64)
        self.i_iav = np.array([ix(f"det.{d}.iav") for d in rel.detectors], dtype=np.int64)
        self.i_acc = np.array([ix(f"bkg.accidentals.{p_}.{d}") for p_, d in self.pairs], dtype=np.int64)
        self.i_alpha = np.array([ix(f"bkg.alpha_neutron.{p_}.{d}") for p_, d in self.pairs], dtype=np.int64)
        self.i_amc = ix("bkg.amc")
        self.i_site = {
            b: np.array([ix(f"bkg.{b}.{hall(d)}.{p_}") for p_, d in self.pairs], dtype=np.int64)
            for b in ("lithium_helium", "fast_neutrons")
        }
        neq = self.i_neq[self.i_neq >= 0]
        self.idx_hm = np.concatenate([[self.i_hm_corr], self.i_hm_unc.ravel()]).astype(np.int64)
        self.idx_ab = np.concatenate(
            [self.idx_hm, self.i_power, self.i_snf, self.i_epf, self.i_ff.ravel(), neq]
        ).astype(np.int64)
        self.idx_common = np.concatenate([self.i_res, self.i_pulls]).astype(np.int64)
        self.idx_bkg = np.concatenate([self.i_acc, self.i_alpha, [self.i_amc], *self.i_site.values()]).astype(np.int64)

    # ----- stages -----
    def _hm_factor(self, theta: np.ndarray) -> np.ndarray:
        """C^HM_i at the mesh points: node factors (1 + η σ^unc)(1 + ζ σ^corr), linearly interpolated."""

        def compute():
            eta = theta[self.i_hm_unc]
            zeta = theta[self.i_hm_corr]
            node = (1.0 + eta * self.hm_sigma_unc) * (1.0 + zeta * self.hm_sigma_corr)
            return node[:, self.hm_idx] * self.hm_w[0] + node[:, self.hm_idx + 1] * self.hm_w[1]

        return self._stage("hm", theta, self.idx_hm, compute)

    def _kmain(self, theta: np.ndarray) -> np.ndarray:
        """Fissions × protons × efficiency / (4πL²) per (pair, reactor, isotope)."""
        phi = np.abs(self.ff0[None, :] * theta[self.i_ff])  # (reactors, isotopes)
        e_bar = phi @ theta[self.i_epf]
        per_fission = theta[self.i_power][:, None] * phi / e_bar[:, None]
        return self.thermal[:, :, None] * per_fission[None, :, :] * self.kgeo[:, :, None]

    def _ab(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        def compute():
            k_main = self._kmain(theta)
            sc = self.sw * self._hm_factor(theta)
            a = np.einsum("kri,ip->krp", k_main, sc)
            c_neq = np.where(self.i_neq >= 0, theta[np.maximum(self.i_neq, 0)], 0.0)  # (reactors, isotopes)
            b = np.einsum("kri,ip->krp", k_main * c_neq[None], self.sneq_w)
            k_snf = self.tau[:, None] * self.kgeo * theta[self.i_snf][None, :]
            b += k_snf[:, :, None] * self.phi_snf_w[None, :, :]
            return np.ascontiguousarray(a), np.ascontiguousarray(b)

        return self._stage("ab", theta, self.idx_ab, compute)

    def _pee(self, theta: np.ndarray, derivatives: bool = False):
        s2t13, dm32, s2t12, dm21 = (float(x) for x in theta[self.i_osc])
        enu, base = self.inputs.mesh.enu, self.inputs.baselines

        def compute():
            if self.backend == "numba":
                solar = self._stage(
                    "solar", theta, self.i_osc[3:], lambda: solar_phase_kernel(enu, base, dm21, self.factor)
                )
                return pee_kernel(enu, base, s2t13, dm32, s2t12, dm21, self.factor, derivatives, solar)
            p, dp = pee_numpy(enu, base, s2t13, dm32, s2t12, dm21, self.factor)
            return p, (dp if derivatives else np.empty((4, 0, 0, 0)))

        if derivatives:
            return self._stage("pee_d", theta, self.i_osc, compute)
        hit = self._cache.get("pee_d")
        if hit is not None and hit[0] == theta[self.i_osc].tobytes():
            return hit[1]
        return self._stage("pee", theta, self.i_osc, compute)

    def _free_factor(self, theta: np.ndarray) -> np.ndarray:
        def compute():
            p = theta[self.i_spec]
            return np.exp(p[self.spec_idx] * self.spec_w[0] + p[self.spec_idx + 1] * self.spec_w[1])

        return self._stage("free", theta, self.i_spec, compute)

    def raw(self, theta: np.ndarray) -> np.ndarray:
        """IBD counts per spectrum and fine deposited-energy bin (before the detector response)."""

        def compute():
            p, _ = self._pee(theta)
            f = self._free_factor(theta)
            a, b = self._ab(theta)
            fn = raw_kernel if self.backend == "numba" else raw_numpy
            return fn(p, f, a, b, self.inputs.mesh.bin, self.det_of_pair, self.inputs.mesh.n_bins)

        idx = np.concatenate([self.i_osc, self.i_spec, self.idx_ab])
        return self._stage("raw", theta, idx, compute)

    def response(self, theta: np.ndarray, d: int) -> np.ndarray:
        """Final-bin response of detector d: Rebin · R_res · M_lsnl(s_d) · M_iav(s_iav,d), (26 × 240)."""
        idx = np.concatenate([self.idx_common, [self.i_escale[d], self.i_iav[d]]]).astype(np.int64)

        def compute():
            rr = self._stage("res", theta, self.i_res, lambda: self.rebin @ self._resolution(theta))
            return rr @ (self._lsnl(theta, d) @ self._iav(theta, d))

        return self._stage(f"resp{d}", theta, idx, compute)

    # the factors of the response, each cached on its own parameters (the gradient reuses them)
    def _resolution(self, theta: np.ndarray) -> np.ndarray:
        a, b, c = (float(x) for x in theta[self.i_res])
        return self._stage("res_fine", theta, self.i_res, lambda: resolution_matrix(self.fine_edges, a, b, c))

    def _lsnl_curve(self, theta: np.ndarray, d: int) -> tuple[np.ndarray, np.ndarray]:
        """(s_d, y₀ + Σ a_k Δ_k): the energy map of detector d is their product."""
        return float(theta[self.i_escale[d]]), self.lsnl_y0 + theta[self.i_pulls] @ self.lsnl_dy

    def _lsnl(self, theta: np.ndarray, d: int) -> np.ndarray:
        def compute():
            scale, shape = self._lsnl_curve(theta, d)
            return distortion_matrix(self.fine_edges, self.lsnl_x, scale * shape)

        idx = np.append(self.i_pulls, self.i_escale[d])
        return self._stage(f"lsnl{d}", theta, idx, compute)

    def _iav(self, theta: np.ndarray, d: int) -> np.ndarray:
        i = self.i_iav[d]
        return self._stage(f"iav{d}", theta, np.array([i]), lambda: iav_matrix(self.release.iav, float(theta[i])))

    def backgrounds(self, theta: np.ndarray) -> dict[str, np.ndarray]:
        """Background counts per spectrum and final bin, by kind."""

        def compute():
            counts = {
                "accidentals": theta[self.i_acc] * self.acc_counts,
                "alpha_neutron": theta[self.i_alpha] * self.tau_days,
            }
            rate, s = self.bkg_rate["amc"]
            counts["amc"] = rate * self.tau_days * (1.0 + s * theta[self.i_amc])
            for b in ("lithium_helium", "fast_neutrons"):
                rate, s = self.bkg_rate[b]
                counts[b] = rate * self.tau_days * (1.0 + s * theta[self.i_site[b]])
            return {b: counts[b][:, None] * self.bkg_shapes[b] for b in self.bkg_kinds}

        return self._stage("bkg", theta, self.idx_bkg, compute)

    def ibd(self, theta: np.ndarray) -> np.ndarray:
        raw = self.raw(theta)
        eff = theta[self.i_eff]
        out = np.empty((len(self.pairs), len(self.final_edges) - 1))
        for k, d in enumerate(self.det_of_pair):
            out[k] = eff[d] * (self.response(theta, int(d)) @ raw[k])
        return out

    def predict(self, theta: np.ndarray | None = None, *, cores: bool = False):
        theta = self.parameters.values() if theta is None else np.asarray(theta, dtype=float)
        ibd = self.ibd(theta)
        bkg = self.backgrounds(theta)
        return [
            DetectorPrediction(s.det.name, self.final_edges, ibd[k], {b: bkg[b][k] for b in self.bkg_kinds})
            for k, s in enumerate(self.detectors)
        ]

    def expected(self, theta: np.ndarray) -> list[np.ndarray]:
        theta = np.asarray(theta, dtype=float)
        total = self.ibd(theta) + sum(self.backgrounds(theta).values())
        return list(total)

    def total(self, theta: np.ndarray) -> np.ndarray:
        """All 546 expected counts, spectra concatenated in the model's order."""
        return np.concatenate(self.expected(theta))

    def theta(self, **updates: float) -> np.ndarray:
        return self.parameters.vector(updates)

    def real_data(self) -> list[np.ndarray]:
        """The observed spectra of the release in the final bins."""
        return [self.rebin @ self.release.ibd[p][d] for p, d in self.pairs]

    # ----- gradient with respect to the oscillation and spectrum parameters -----
    def _raw_adjoint(self, theta: np.ndarray, adjoint: np.ndarray) -> np.ndarray:
        """∂χ²/∂raw (spectra × fine bins) from ∂χ²/∂μ (spectra × final bins)."""
        raw_adj = np.empty((len(self.pairs), self.inputs.mesh.n_bins))
        eff = theta[self.i_eff]
        for k, d in enumerate(self.det_of_pair):
            raw_adj[k] = eff[d] * (self.response(theta, int(d)).T @ adjoint[k])
        return raw_adj

    def gradient_free(self, theta: np.ndarray, adjoint: np.ndarray) -> np.ndarray:
        """∂χ²/∂θ for the oscillation and free-spectrum parameters, given ∂χ²/∂μ (spectra × bins);
        zero for the other parameters (their derivatives are not needed with the covariance χ²)."""
        theta = np.asarray(theta, dtype=float)
        return self._gradient_free(theta, self._raw_adjoint(theta, adjoint))

    def _gradient_free(self, theta: np.ndarray, raw_adj: np.ndarray) -> np.ndarray:
        p, dp = self._pee(theta, derivatives=True)
        f = self._free_factor(theta)
        a, b = self._ab(theta)
        fn = raw_adjoint_kernel if self.backend == "numba" else raw_adjoint_numpy
        g_osc, g_f = fn(p, dp, f, a, b, self.inputs.mesh.bin, self.det_of_pair, np.ascontiguousarray(raw_adj))
        grad = np.zeros(len(theta))
        grad[self.i_osc] = g_osc
        gf = g_f * f
        n_spec = len(self.i_spec)
        grad[self.i_spec] = np.bincount(self.spec_idx, gf * self.spec_w[0], minlength=n_spec) + np.bincount(
            self.spec_idx + 1, gf * self.spec_w[1], minlength=n_spec
        )
        return grad

    def gradient(self, theta: np.ndarray, adjoint: np.ndarray) -> np.ndarray:
        """∂χ²/∂θ for every parameter except the Huber–Mueller ones, given ∂χ²/∂μ (spectra × bins).

        All in closed form, in reverse mode: through the response matrices to the fine spectra, through
        the integration to the oscillation, spectrum and reactor parameters (thermal power, fission
        fractions, energy per fission, non-equilibrium, spent fuel), and into the response itself
        (efficiency, resolution, LSNL pulls, energy and IAV scales); background rates directly."""
        theta = np.asarray(theta, dtype=float)
        adjoint = np.asarray(adjoint, dtype=float)
        raw_adj = self._raw_adjoint(theta, adjoint)
        grad = self._gradient_free(theta, raw_adj)
        self._gradient_reactor(theta, raw_adj, grad)
        self._gradient_detector(theta, adjoint, grad)
        self._gradient_backgrounds(theta, adjoint, grad)
        return grad

    def _gradient_reactor(self, theta: np.ndarray, raw_adj: np.ndarray, grad: np.ndarray) -> None:
        p, _ = self._pee(theta)
        f = self._free_factor(theta)
        # w[k, r, point] = ∂χ²/∂raw at the point's bin × P_ee: raw = Σ_r,points w-weighted (F a + b)
        w = raw_adj[:, self.inputs.mesh.bin][:, None, :] * p[self.det_of_pair]
        sc = self.sw * self._hm_factor(theta)
        g_a = np.einsum("krp,ip->kri", w, f[None, :] * sc)
        g_b = np.einsum("krp,ip->kri", w, self.sneq_w)
        g_snf = np.einsum("krp,rp->kr", w, self.phi_snf_w)
        has = self.i_neq >= 0
        c_neq = np.where(has, theta[np.maximum(self.i_neq, 0)], 0.0)
        k_main = self._kmain(theta)
        np.add.at(grad, self.i_neq[has], (k_main * g_b).sum(axis=0)[has])
        np.add.at(grad, self.i_snf, (g_snf * self.tau[:, None] * self.kgeo).sum(axis=0))
        # k_main[k, r, i] = T[k, r] q_ri with q_ri = W_r φ_ri / Ē_r, φ_ri = |f_i s_ri|, Ē_r = Σ_i φ_ri e_i
        g_q = ((g_a + c_neq[None] * g_b) * (self.thermal * self.kgeo)[:, :, None]).sum(axis=0)
        s = theta[self.i_ff]
        phi = np.abs(self.ff0[None, :] * s)
        e = theta[self.i_epf]
        ebar = phi @ e
        power = theta[self.i_power]
        h = (g_q * phi).sum(axis=1)
        np.add.at(grad, self.i_power, h / ebar)
        common = power * h / (ebar * ebar)
        d_phi = g_q * (power / ebar)[:, None] - common[:, None] * e[None, :]
        np.add.at(grad, self.i_ff, d_phi * self.ff0[None, :] * np.sign(self.ff0[None, :] * s))
        np.add.at(grad, self.i_epf, -(common[:, None] * phi).sum(axis=0))

    def _gradient_detector(self, theta: np.ndarray, adjoint: np.ndarray, grad: np.ndarray) -> None:
        """Efficiencies, resolution, LSNL pulls, energy and IAV scales in closed form, through the
        derivatives of the Gaussian resolution matrix, of the edges of the nonlinearity's
        axis-distortion matrix and of the IAV matrix (R_d = Rebin · Res · M_lsnl · M_iav)."""
        raw = self.raw(theta)
        eff = theta[self.i_eff]
        a, b, c = (float(x) for x in theta[self.i_res])
        centres = 0.5 * (self.fine_edges[1:] + self.fine_edges[:-1])
        res = self._resolution(theta)
        g_res = np.zeros_like(res)  # ∂χ²/∂Res (fine × fine)
        by_det: dict[int, list[int]] = {}
        for k, d in enumerate(self.det_of_pair):
            by_det.setdefault(int(d), []).append(k)
        for d, ks in by_det.items():
            scale, shape = self._lsnl_curve(theta, d)
            y = scale * shape
            m_lsnl = self._lsnl(theta, d)
            s_iav = float(theta[self.i_iav[d]])
            m_iav = self._iav(theta, d)
            back = adjoint[ks] @ self.rebin  # ∂χ²/∂(fine reconstructed spectrum) / eff
            u = eff[d] * back @ res  # ∂χ²/∂(M_lsnl M_iav raw)
            v = raw[ks] @ m_iav.T  # M_iav raw
            w = v @ m_lsnl.T  # M_lsnl M_iav raw
            g_res += (eff[d] * back).T @ w
            grad[self.i_eff[d]] += float(np.sum(back * (w @ res.T)))
            # nonlinearity: the edge x(E_k) moves by −(∂y/∂θ)(x)/y'(x)
            inv, sens, slope = distortion_adjoint(self.fine_edges, self.lsnl_x, y, u, v)
            weight = -sens / slope
            grad[self.i_escale[d]] += float(weight @ np.interp(inv, self.lsnl_x, shape))
            for i, dy in zip(self.i_pulls, self.lsnl_dy, strict=True):
                grad[i] += scale * float(weight @ np.interp(inv, self.lsnl_x, dy))
            z = u @ m_lsnl  # ∂χ²/∂(M_iav raw)
            grad[self.i_iav[d]] += float(np.sum(iav_derivative(self.release.iav, s_iav) * (z.T @ raw[ks])))
        # Res[j, i] = ΔE_j N(E_j; E_i, σ_i): ∂Res/∂σ_i = Res (z² − 1)/σ_i; σ_i² = E_i² a² + E_i b² + c²
        sig = centres * np.sqrt(a * a + b * b / centres + c * c / (centres * centres))
        zz = (centres[:, None] - centres[None, :]) / sig[None, :]
        per_sigma = np.sum(g_res * res * (zz * zz - 1.0), axis=0) / sig
        for i, d_sigma in zip(self.i_res, (centres**2 * a / sig, centres * b / sig, c / sig), strict=True):
            grad[i] += float(per_sigma @ d_sigma)

    def _gradient_backgrounds(self, theta: np.ndarray, adjoint: np.ndarray, grad: np.ndarray) -> None:
        proj = {b: np.einsum("kb,kb->k", adjoint, self.bkg_shapes[b]) for b in self.bkg_kinds}
        np.add.at(grad, self.i_acc, self.acc_counts * proj["accidentals"])
        np.add.at(grad, self.i_alpha, self.tau_days * proj["alpha_neutron"])
        rate, s = self.bkg_rate["amc"]
        grad[self.i_amc] += np.sum(rate * self.tau_days * s * proj["amc"])
        for b in ("lithium_helium", "fast_neutrons"):
            rate, s = self.bkg_rate[b]
            np.add.at(grad, self.i_site[b], rate * self.tau_days * s * proj[b])

    # ----- systematic covariance matrix -----
    def jacobian(self, theta: np.ndarray, groups: list[str] | None = None, step: float = 0.1) -> np.ndarray:
        """∂μ/∂z (546 × directions) over the unit-normal nuisance directions of the active groups:
        the Huber–Mueller node uncertainties analytically (μ is linear in them), the others by a
        four-point central difference of step ``step`` σ."""
        theta = np.asarray(theta, dtype=float)
        groups = [g for g in DYB_SYSTEMATICS if g in (groups or DYB_SYSTEMATICS)]
        cols = []
        for g in groups:
            dirs = self.nuisances.groups[g]
            if not dirs:
                continue
            if g == "hm_uncorrelated":
                cols.append(self._jacobian_hm_uncorrelated(theta, dirs))
                continue
            for direction in dirs:
                idx = np.array(list(direction), dtype=np.int64)
                shift = np.array(list(direction.values()))

                def mu(z: float, idx=idx, shift=shift) -> np.ndarray:
                    t = theta.copy()
                    t[idx] += z * shift
                    return self.total(t)

                h = step
                cols.append(((4.0 / 3.0) * (mu(h / 2) - mu(-h / 2)) - (1.0 / 6.0) * (mu(h) - mu(-h))) / h)
        self.total(theta)  # leave the caches at θ
        return np.column_stack([c if c.ndim == 2 else c[:, None] for c in cols]) if cols else np.zeros((0, 0))

    def _jacobian_hm_uncorrelated(self, theta: np.ndarray, dirs: list[dict[int, float]]) -> np.ndarray:
        """Columns of the Huber–Mueller node parameters: μ is linear in each η_in, whose factor
        (1 + η σ) is interpolated linearly between nodes (ζ held at its value)."""
        n_iso, n_nodes = self.i_hm_unc.shape
        p, _ = self._pee(theta)
        f = self._free_factor(theta)
        k_main = self._kmain(theta)
        zeta = theta[self.i_hm_corr]
        corr_node = 1.0 + zeta * self.hm_sigma_corr  # (iso, nodes)
        out = np.zeros((len(self.pairs) * (len(self.final_edges) - 1), n_iso * n_nodes))
        eff = theta[self.i_eff]
        nb = len(self.final_edges) - 1
        bins = self.inputs.mesh.bin
        col_of = {}
        for i in range(n_iso):
            for n in range(n_nodes):
                col_of[int(self.i_hm_unc[i, n])] = i * n_nodes + n
        for k, d in enumerate(self.det_of_pair):
            resp = eff[d] * self.response(theta, int(d))
            pk = p[d]  # (reactors, points)
            for i in range(n_iso):
                # per point: Σ_r P K_main S w F × (other factor of the product at the point's nodes)
                u = (pk * k_main[k, :, i][:, None]).sum(axis=0) * self.sw[i] * f
                j = np.zeros((self.inputs.mesh.n_bins, n_nodes))
                for side in (0, 1):
                    node = self.hm_idx + side
                    other = corr_node[i, node]
                    np.add.at(j, (bins, node), u * self.hm_w[side] * other * self.hm_sigma_unc[i, node])
                out[k * nb : (k + 1) * nb, i * n_nodes : (i + 1) * n_nodes] = resp @ j
        keep = [col_of[next(iter(dct))] for dct in dirs]
        scale = np.array([next(iter(dct.values())) for dct in dirs])
        return out[:, keep] * scale[None, :]

    def covariance(self, theta: np.ndarray | None = None, groups: list[str] | None = None) -> np.ndarray:
        """V_syst = J Jᵀ at θ (default nominal) over the active systematic groups."""
        theta = self.parameters.values() if theta is None else np.asarray(theta, dtype=float)
        j = self.jacobian(theta, groups)
        return j @ j.T if j.size else np.zeros((len(self.total(theta)),) * 2)

    # ----- oscillation parameters and derived quantities for the fit code -----
    oscillation_names = DYB_OSCILLATION

    @staticmethod
    def derived_quantities(values: dict[str, float], covariance: np.ndarray, free: list[str]) -> dict:
        """sin²θ13 and Δm²31 = Δm²32 + Δm²21 with propagated errors."""
        import math

        s = values["sin2_2theta13"]
        root = math.sqrt(max(1.0 - s, 1e-300))
        quantities = {
            "sin2_theta13": (0.5 * (1.0 - root), {"sin2_2theta13": 0.25 / root}),
            "dm2_31": (values["dm2_32"] + values["dm2_21"], {"dm2_32": 1.0, "dm2_21": 1.0}),
        }
        out = {}
        for name, (value, grads) in quantities.items():
            g = np.array([grads.get(n, 0.0) for n in free])
            var = float(g @ covariance @ g) if covariance.size else 0.0
            out[name] = (float(value), math.sqrt(max(var, 0.0)))
        return out


# --------------------------------------------------------------------------------------------------
# The χ²
# --------------------------------------------------------------------------------------------------


def cnp_variance(d: np.ndarray, mu: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Combined Neyman–Pearson variance 3/(1/d + 2/μ) and its derivative in μ (μ/2 where d = 0)."""
    d_safe = np.where(d > 0, d, 1.0)
    den = np.where(d > 0, 1.0 / d_safe, 0.0) + 2.0 / mu
    var = 3.0 / den
    dvar = 6.0 / (mu * mu * den * den)
    return var, dvar


class DayaBayLikelihood:
    """CNP χ² of the Daya Bay spectra, with the systematic uncertainties either as a covariance
    matrix (``covariance``, the published treatment: χ² = rᵀ (V_syst + diag σ²_CNP)⁻¹ r, V_syst = J Jᵀ
    built once at the nominal point) or as pull terms (``pulls``: Σ r²/σ²_CNP + Σ z², the Huber–Mueller
    node uncertainties kept as a covariance matrix). With ``[dayabay] cnp_variance = "nominal"`` the CNP
    variance stays at the nominal prediction, as in the published fit; ``"current"`` follows μ."""

    def __init__(self, model: DayaBayModel, data: list[np.ndarray], statistic: str | None = None):
        from scipy.linalg import cho_factor

        self.model = model
        self.statistic = statistic or model.config.fit.statistic
        if self.statistic not in ("covariance", "pulls"):
            raise ValueError(f"unknown Daya Bay statistic {self.statistic!r} (accepted: covariance, pulls)")
        if len(data) != len(model.detectors):
            raise ValueError(f"data for {len(data)} spectra, model has {len(model.detectors)}")
        self.data = [np.ascontiguousarray(x, dtype=float) for x in data]
        self.d = np.concatenate(self.data)
        self.nb = model.detectors[0].det.n_bins
        theta0 = model.parameters.values()
        self.mu0 = model.total(theta0)
        on = [g for g in DYB_SYSTEMATICS if model.nuisances.groups[g]]
        groups = on if self.statistic == "covariance" else [g for g in on if g.startswith("hm_")]
        self.v_syst = covariance_cached(model, tuple(groups))
        self.current = model.config.cnp_variance == "current" or self.statistic == "pulls"
        self._chol = None
        if not self.current:
            var0, _ = cnp_variance(self.d, self.mu0)
            self._chol = cho_factor(self.v_syst + np.diag(var0), lower=True)
        self.use_matrix = bool(groups)
        self.exact_gradient = True
        params = model.parameters
        blocked = {n for b in params.blocks for n in b.names}
        self._pull = [
            (params.index(p.name), p.centre, p.error)
            for p in params
            if not p.fixed and p.error is not None and p.name not in blocked
        ]
        self._blocks = [
            (np.array([params.index(n) for n in b.names]), b.mean, np.linalg.inv(b.covariance)) for b in params.blocks
        ]

    @property
    def n_bins(self) -> int:
        return len(self.d)

    @property
    def ndof(self) -> int:
        params = self.model.parameters
        blocked = {n for b in params.blocks for n in b.names}
        free = sum(1 for p in params if not p.fixed and p.error is None and p.name not in blocked)
        return self.n_bins - free

    def _data_value_grad(self, theta: np.ndarray, want_grad: bool):
        from scipy.linalg import cho_factor, cho_solve

        try:
            mu = self.model.total(theta)
        except ValueError:  # an unphysical point (a non-increasing energy map): no χ² there
            return np.inf, None
        if not np.all(np.isfinite(mu)) or np.any(mu <= 0):
            return np.inf, None
        r = self.d - mu
        if self.use_matrix:
            if self.current:
                var, dvar = cnp_variance(self.d, mu)
                chol = cho_factor(self.v_syst + np.diag(var), lower=True)
                y = cho_solve(chol, r)
                g_mu = -2.0 * y - y * y * dvar
            else:
                y = cho_solve(self._chol, r)
                g_mu = -2.0 * y
            value = float(r @ y)
        else:
            var, dvar = cnp_variance(self.d, mu)
            value = float(np.sum(r * r / var))
            g_mu = -2.0 * r / var - (r * r / (var * var)) * dvar
        return value, (g_mu if want_grad else None)

    def data_terms(self, theta: np.ndarray) -> float:
        return self._data_value_grad(np.asarray(theta, dtype=float), False)[0]

    def prior_terms(self, theta: np.ndarray) -> float:
        theta = np.asarray(theta, dtype=float)
        total = sum(((theta[i] - c) / s) ** 2 for i, c, s in self._pull)
        for idx, mean, inv in self._blocks:
            dz = theta[idx] - mean
            total += float(dz @ inv @ dz)
        return float(total)

    def __call__(self, theta: np.ndarray) -> float:
        theta = np.asarray(theta, dtype=float)
        value = self.data_terms(theta)
        return value + self.prior_terms(theta) if np.isfinite(value) else value

    def value_and_grad(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """χ² and its gradient: in the oscillation and free-spectrum parameters with the covariance
        treatment (the others are fixed there), in every free parameter with pull terms."""
        theta = np.asarray(theta, dtype=float)
        value, g_mu = self._data_value_grad(theta, True)
        if g_mu is None:
            return value, np.zeros(len(theta))
        adjoint = g_mu.reshape(-1, self.nb)
        if self.statistic == "pulls":
            grad = self.model.gradient(theta, adjoint)
        else:
            grad = self.model.gradient_free(theta, adjoint)
        for i, c, s in self._pull:
            grad[i] += 2.0 * (theta[i] - c) / (s * s)
        for idx, mean, inv in self._blocks:
            grad[idx] += 2.0 * inv @ (theta[idx] - mean)
        return value + self.prior_terms(theta), grad

    def grad(self, theta: np.ndarray) -> np.ndarray:
        return self.value_and_grad(theta)[1]


def covariance_cached(model: DayaBayModel, groups: tuple[str, ...]) -> np.ndarray:
    """V_syst at the nominal point over ``groups``, computed once per model (it does not depend on data)."""
    if not groups:
        return np.zeros((sum(s.det.n_bins for s in model.detectors),) * 2)
    cache = model.__dict__.setdefault("_covariances", {})
    if groups not in cache:
        cache[groups] = model.covariance(None, list(groups))
    return cache[groups]


DayaBayModel.likelihood_class = DayaBayLikelihood
