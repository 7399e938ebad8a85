"""Reactor antineutrino flux at a detector, per core, on the antineutrino-energy grid.

For a core of thermal power P at baseline L with fission fractions f_i (i = ²³⁵U, ²³⁸U, ²³⁹Pu, ²⁴¹Pu):

    Φ(E) = N · P / (Σ_i f_i e_i) · [Σ_i f_i S_i(E) (1 + c_SNF C_SNF(E)) + c_NEQ Σ_i f_i S_i(E) C_i(E)] / (4π L²)

in antineutrinos / (cm² s MeV), with e_i the energy released per fission (so P/Σf_i e_i is the fission
rate), S_i the isotope spectra per fission (Huber–Mueller, exponential-polynomial or tabulated),
C_i the non-equilibrium and C_SNF the spent-fuel corrections (switched on/off in the config, scaled by
the nuisances c_NEQ = ``flux.noneq`` and c_SNF = ``flux.snf``, nominal 1), and N the flux
normalisation of the config (measured/predicted flux ratio, 1 for pure Huber–Mueller).

A measured reference spectrum's uncertainty (``[flux.reference_covariance]``) multiplies Φ by
m(E) = 1 + Σ_k M_k(E) z_k with unit-Gaussian z_k, the eigenmodes of its relative covariance
(:func:`reference_modes`): rate and shape uncertainty together, with their correlations.

The SNF correction is relative to the equilibrium spectrum without the non-equilibrium term, as in
the Daya Bay release that provides it.
"""

from __future__ import annotations

import math

import numpy as np

from .._numba import kernel
from ..config.objects import ISOTOPES, Core, IsotopeSpectra, ReferenceCovariance
from ..constants import MEV_IN_JOULE


def exp_poly_spectrum(enu: np.ndarray, coeffs: tuple[float, ...], fit_max: float = np.inf) -> np.ndarray:
    """S(E) = exp(Σ_k α_k E^(k−1)) [1/(fission MeV)] (Huber 2011 / Mueller 2011 fit form); above
    ``fit_max`` the exponent continues linearly with the value and slope it has at ``fit_max``."""
    enu = np.asarray(enu, dtype=float)
    poly = np.polynomial.Polynomial(np.asarray(coeffs))
    exponent = poly(enu)
    above = enu > fit_max
    if np.any(above):
        exponent = np.where(above, poly(fit_max) + poly.deriv()(fit_max) * (enu - fit_max), exponent)
    return np.exp(exponent)


def tabulated_spectrum(enu: np.ndarray, energy: np.ndarray, density: np.ndarray) -> np.ndarray:
    """Log-linear interpolation of a tabulated spectrum (the release's own mesh interpolation is
    exponential); log-linear extrapolation from the two end points outside the mesh."""
    enu = np.asarray(enu, dtype=float)
    logd = np.log(density)
    out = np.interp(enu, energy, logd)
    lo, hi = enu < energy[0], enu > energy[-1]
    out[lo] = logd[0] + (enu[lo] - energy[0]) * (logd[1] - logd[0]) / (energy[1] - energy[0])
    out[hi] = logd[-1] + (enu[hi] - energy[-1]) * (logd[-1] - logd[-2]) / (energy[-1] - energy[-2])
    return np.exp(out)


def isotope_spectra(enu: np.ndarray, spectra: IsotopeSpectra) -> np.ndarray:
    """Isotope spectra S_i(E) per fission, shape (4, len(enu)), isotopes in ISOTOPES order."""
    if spectra.form == "exp_poly":
        return np.array([exp_poly_spectrum(enu, spectra.exp_poly[iso], spectra.exp_poly_fit_max) for iso in ISOTOPES])
    if spectra.form == "table":
        return np.array(
            [tabulated_spectrum(enu, spectra.table_energy[iso], spectra.table_density[iso]) for iso in ISOTOPES]
        )
    raise ValueError(f"unknown spectrum form {spectra.form!r} (accepted: exp_poly, table)")


def nonequilibrium_corrections(enu: np.ndarray, spectra: IsotopeSpectra) -> np.ndarray:
    """C_i(E), shape (4, len(enu)); zero outside each table and for isotopes without one."""
    out = np.zeros((len(ISOTOPES), len(enu)))
    for k, iso in enumerate(ISOTOPES):
        if iso in spectra.nonequilibrium_energy:
            out[k] = np.interp(
                enu, spectra.nonequilibrium_energy[iso], spectra.nonequilibrium_correction[iso], left=0.0, right=0.0
            )
    return out


def snf_correction(enu: np.ndarray, spectra: IsotopeSpectra) -> np.ndarray:
    """C_SNF(E); zero above the table (the spent-fuel contribution ends near 3.5 MeV)."""
    c = spectra.snf_correction
    return np.interp(enu, spectra.snf_energy, c, left=c[0], right=0.0)


def reference_modes(enu: np.ndarray, reference: ReferenceCovariance | None) -> np.ndarray:
    """M (N × K): the relative change of the reference spectrum at the nodes ``enu`` per unit of each
    eigenmode z_k of a measured spectrum's covariance (:meth:`ReferenceCovariance.modes`), linearly
    interpolated between the centres of the measurement's bins and constant beyond the first and last
    centre; m(E) = 1 + M z. Without a measured covariance M has no columns."""
    enu = np.asarray(enu, dtype=float)
    if reference is None:
        return np.zeros((len(enu), 0))
    modes = reference.modes()
    centres = reference.centres
    return np.column_stack([np.interp(enu, centres, modes[:, k]) for k in range(modes.shape[1])])


def free_shape_modes(enu: np.ndarray, nodes: tuple[float, ...] | None) -> np.ndarray:
    """M (N × K): hat functions on the mesh ``nodes`` at the E_ν nodes ``enu`` — the relative change of
    the reference spectrum per unit of each node's weight z_k, linearly interpolated between the mesh
    nodes and constant beyond the first and last; m(E) = 1 + M z. Without a mesh M has no columns."""
    enu = np.asarray(enu, dtype=float)
    if not nodes:
        return np.zeros((len(enu), 0))
    mesh = np.asarray(nodes, dtype=float)
    eye = np.eye(len(mesh))
    return np.column_stack([np.interp(enu, mesh, eye[k]) for k in range(len(mesh))])


def core_scales(cores: tuple[Core, ...], energy_per_fission: tuple[float, ...], normalisation: float) -> np.ndarray:
    """N P/(Σ f_i e_i)/(4π L²) per core in fissions/(cm² s)."""
    e_f = np.asarray(energy_per_fission)
    out = np.empty(len(cores))
    for r, core in enumerate(cores):
        mean_energy = float(np.dot(core.fission_fractions, e_f))  # MeV per fission
        fission_rate = core.power_gw * 1e9 / (mean_energy * MEV_IN_JOULE)  # fissions / s
        area = 4.0 * math.pi * (core.baseline_m * 100.0) ** 2  # cm²
        out[r] = normalisation * fission_rate / area
    return out


def core_flux_numpy(spec, neq, snf, fractions, scales, use_snf, c_neq, c_snf):
    """Φ_r(E) for cores r (rows): spec, neq (4, N); snf (N,); fractions (R, 4); scales (R,) fissions/(cm² s);
    use_snf (R,) 1.0 where the core has a spent-fuel pool in the model."""
    eq = fractions @ spec  # (R, N)
    noneq = fractions @ (spec * neq)
    return scales[:, None] * (eq * (1.0 + c_snf * use_snf[:, None] * snf[None, :]) + c_neq * noneq)


@kernel
def core_flux_kernel(spec, neq, snf, fractions, scales, use_snf, c_neq, c_snf):
    """Numba twin of :func:`core_flux_numpy`."""
    n_r = fractions.shape[0]
    n_i = spec.shape[0]
    n_e = spec.shape[1]
    out = np.empty((n_r, n_e))
    for r in range(n_r):
        for e in range(n_e):
            eq = 0.0
            noneq = 0.0
            for i in range(n_i):
                s = fractions[r, i] * spec[i, e]
                eq += s
                noneq += s * neq[i, e]
            out[r, e] = scales[r] * (eq * (1.0 + c_snf * use_snf[r] * snf[e]) + c_neq * noneq)
    return out


def core_flux_adjoint(y, spec, neq, snf, fractions, scales, use_snf, c_neq, c_snf, energy_per_fission, nominal):
    """Gradient contraction of the flux stage: for weights y (R, N) returns
    (Σ y ∂Φ/∂c_NEQ, Σ y ∂Φ/∂c_SNF, Σ_j y_rj ∂Φ_rj/∂δ_ri as (R, 4)), where the fission fractions are
    f_ri = nominal_ri (1 + δ_ri) = ``fractions`` and the scale P/(Σ f e)/(4πL²) follows them.

    Φ_rj = scale_r [eq_rj (1 + c_SNF u_r snf_j) + c_NEQ neq_rj], eq = Σ_i f_ri S_ij,
    neq = Σ_i f_ri S_ij C_ij, scale_r ∝ 1/Σ_i f_ri e_i.
    """
    eq = fractions @ spec
    noneq = fractions @ (spec * neq)
    boost = 1.0 + c_snf * use_snf[:, None] * snf[None, :]
    flux = scales[:, None] * (eq * boost + c_neq * noneq)
    ys = y * scales[:, None]
    d_neq = float(np.sum(ys * noneq))
    d_snf = float(np.sum(ys * eq * use_snf[:, None] * snf[None, :]))
    # ∂Φ_rj/∂f_ri = scale_r S_ij (boost_rj + c_NEQ C_ij) − Φ_rj e_i / Σ_i f_ri e_i
    d_f = (ys * boost) @ spec.T + c_neq * ys @ (spec * neq).T
    d_f -= np.sum(y * flux, axis=1)[:, None] * energy_per_fission[None, :] / (fractions @ energy_per_fission)[:, None]
    return d_neq, d_snf, d_f * nominal
