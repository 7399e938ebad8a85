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

from ...config.dayabay_file import DYB_OSCILLATION, DYB_SYSTEMATICS, DayaBayConfig, parse_dayabay_config
from ...physics.response_matrices import distortion_adjoint, distortion_matrix, rebin_matrix
from ...physics.response_matrices import leakage_derivative as iav_derivative
from ...physics.response_matrices import leakage_matrix as iav_matrix
from .inputs import (
    GL_COS_NODES,
    GL_EDEP_NODES,
    LSNL_RANGE,
    LSNL_REFINE,
    RESOLUTION_CUTOFF,
    Exposure,
    Inputs,
    Mesh,
    build_inputs,
    interp_exp,
    interp_linear_zero,
    linear_weights,
    make_exposure,
    make_mesh,
    period_detectors,
    refine_lsnl,
    resolution_matrix,
)
from .kernels import (
    pee_kernel,
    pee_numpy,
    raw_adjoint_kernel,
    raw_adjoint_numpy,
    raw_kernel,
    raw_numpy,
    solar_phase_kernel,
)
from .likelihood import DayaBayLikelihood, cnp_variance, covariance_cached
from .model import DayaBayModel, SpectrumInfo
from .parameters import Nuisances, build_parameters, hall

__all__ = [
    "DYB_OSCILLATION",
    "DYB_SYSTEMATICS",
    "GL_COS_NODES",
    "GL_EDEP_NODES",
    "LSNL_RANGE",
    "LSNL_REFINE",
    "RESOLUTION_CUTOFF",
    "DayaBayConfig",
    "DayaBayLikelihood",
    "DayaBayModel",
    "Exposure",
    "Inputs",
    "Mesh",
    "Nuisances",
    "SpectrumInfo",
    "build_inputs",
    "build_parameters",
    "cnp_variance",
    "covariance_cached",
    "distortion_adjoint",
    "distortion_matrix",
    "hall",
    "iav_derivative",
    "iav_matrix",
    "interp_exp",
    "interp_linear_zero",
    "linear_weights",
    "make_exposure",
    "make_mesh",
    "parse_dayabay_config",
    "pee_kernel",
    "pee_numpy",
    "period_detectors",
    "raw_adjoint_kernel",
    "raw_adjoint_numpy",
    "raw_kernel",
    "raw_numpy",
    "rebin_matrix",
    "refine_lsnl",
    "resolution_matrix",
    "solar_phase_kernel",
]
