"""The frozen objects a validated configuration is made of, and the names they use.

:func:`juno_fit.config.load_config` builds them; nothing else does. Units are those of the model
(MeV, m, eV², GW_th, days); the config boundary converts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

ISOTOPES = ("U235", "U238", "Pu239", "Pu241")
DAYS_PER_YEAR = 365.25  # Julian year: the JUNO common inputs count 6 years as 6 × 365.25 d (PHYSICS.md §1.3)


@dataclass(frozen=True)
class Oscillation:
    """True oscillation parameters and the matter-effect treatment.

    ``dm2_31`` is signed: negative means inverted ordering. ``density`` in g/cm³.
    """

    sin2_theta12: float
    sin2_theta13: float
    dm2_21: float
    dm2_31: float
    matter: str  # "vacuum", "knp" (Khan–Nunokawa–Parke closed form) or "exact" (3×3 diagonalisation)
    density: float
    electron_fraction: float
    density_uncertainty: float = 0.0  # g/cm³, prior width of matter.density
    model: str = "standard"  # the hypothesis of the survival probability (MODEL_PARAMETERS)
    extra: tuple[tuple[str, float], ...] = ()  # true values of the hypothesis' own parameters

    @property
    def ordering(self) -> str:
        return "normal" if self.dm2_31 > 0 else "inverted"

    @property
    def parameter_names(self) -> tuple[str, ...]:
        """The oscillation parameters of the model: the standard four, then the hypothesis' own."""
        return OSCILLATION_PARAMETERS + MODEL_PARAMETERS[self.model]

    def value(self, name: str) -> float:
        """True value of an oscillation parameter (standard or of the hypothesis)."""
        return dict(self.extra)[name] if name in MODEL_PARAMETERS[self.model] else getattr(self, name)


@dataclass(frozen=True)
class Core:
    """One reactor core as seen by one detector."""

    name: str
    label: str
    power_gw: float
    baseline_m: float
    fission_fractions: tuple[float, float, float, float]  # order of ISOTOPES
    snf: bool


@dataclass(frozen=True)
class Site:
    """Reactor cores and their uncertainties: per-core power (uncorrelated between cores) and
    per-isotope relative fission-fraction uncertainties with their correlation (within a core)."""

    name: str
    file: str
    cores: tuple[Core, ...]
    core_power_uncertainty: float = 0.0
    fission_fraction_sigma: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    fission_fraction_correlation: np.ndarray = field(default_factory=lambda: np.eye(4), repr=False)


@dataclass(frozen=True)
class Resolution:
    """σ_E/E = sqrt(a²/E + b² + c²/E²), E the visible energy in MeV (JUNO convention, PHYSICS.md §1.4)."""

    a: float
    b: float
    c: float


@dataclass(frozen=True)
class Nonlinearity:
    """LSNL as E_vis/E_dep = f0(E) + Σ_k w_k (f_k(E) − f0(E)); ``model = "none"`` means f = 1."""

    model: str
    energy: np.ndarray = field(repr=False)
    nominal: np.ndarray = field(repr=False)
    pulls: np.ndarray = field(repr=False)  # shape (n_pulls, n_points)
    source: str = ""


@dataclass(frozen=True)
class Background:
    """A background as rate × normalised shape in visible energy.

    ``shape`` is
    - "table": points (``energy``, ``density``) of the spectrum, linearly interpolated, zero outside;
    - "histogram": a histogram (``hist_lo``, ``hist_hi``, ``hist_density`` per MeV), flat in each bin;
    - "reactor": a reactor spectrum with the survival probability averaged over the fast oscillations,
      folded through this detector's response (reactors not modelled as signal cores);
    - "flat": uniform in visible energy over ``flat_range``.
    """

    name: str
    rate_per_day: float
    rate_uncertainty: float
    shape_uncertainty: float
    shape: str
    energy: np.ndarray | None = field(default=None, repr=False)
    density: np.ndarray | None = field(default=None, repr=False)
    hist_lo: np.ndarray | None = field(default=None, repr=False)
    hist_hi: np.ndarray | None = field(default=None, repr=False)
    hist_density: np.ndarray | None = field(default=None, repr=False)
    flat_range: tuple[float, float] | None = None
    source: str = ""


@dataclass(frozen=True)
class Detector:
    name: str
    file: str
    target_protons: float
    efficiency: float
    duty_cycle: float
    energy_scale: float
    resolution: Resolution
    nonlinearity: Nonlinearity
    bin_edges: np.ndarray = field(repr=False)
    backgrounds: tuple[Background, ...]
    site: Site
    efficiency_uncertainty: float = 0.0  # relative
    energy_scale_uncertainty: float = 0.0  # relative
    resolution_uncertainty: tuple[float, float, float] = (0.0, 0.0, 0.0)  # absolute, on a, b, c
    response_model: str = "analytic"  # or "matrix" (juno_fit/physics/response_matrices.py)
    response_step: float = 0.01  # MeV, the matrix response's visible-energy bins

    @property
    def n_bins(self) -> int:
        return len(self.bin_edges) - 1


@dataclass(frozen=True)
class IsotopeSpectra:
    """Isotope antineutrino spectra, energy per fission and corrections (spectra/<name>.toml)."""

    name: str
    form: str  # "exp_poly" or "table"
    exp_poly: dict[str, tuple[float, ...]] = field(repr=False)
    exp_poly_fit_max: float
    table_energy: dict[str, np.ndarray] = field(repr=False)
    table_density: dict[str, np.ndarray] = field(repr=False)
    energy_per_fission: tuple[float, float, float, float]
    nonequilibrium_energy: dict[str, np.ndarray] = field(repr=False)
    nonequilibrium_correction: dict[str, np.ndarray] = field(repr=False)
    snf_energy: np.ndarray = field(repr=False)
    snf_correction: np.ndarray = field(repr=False)
    nonequilibrium_uncertainty: float = 0.0  # relative, on the correction's scale
    snf_uncertainty: float = 0.0  # relative, on the correction's scale
    shape_energy: np.ndarray | None = field(default=None, repr=False)  # reference-spectrum shape uncertainty
    shape_sigma: np.ndarray | None = field(default=None, repr=False)  # relative, per reconstructed bin


@dataclass(frozen=True)
class ReferenceCovariance:
    """Relative covariance of a measured reference spectrum on its E_ν bins (MeV)."""

    spectrum: str
    edges: np.ndarray = field(repr=False)
    values: np.ndarray = field(repr=False)  # the spectrum, 10⁻⁴³ cm²/fission/MeV
    relative: np.ndarray = field(repr=False)  # C_ij / (s_i s_j)
    source: str = ""

    def modes(self, threshold: float = 1e-9) -> np.ndarray:
        """Columns U_k √λ_k of the eigen-decomposition of the relative covariance, largest first, for
        the eigenvalues above ``threshold`` × the largest: δ = Σ_k z_k (U_k √λ_k) with z_k ~ N(0, 1)
        has exactly this covariance (up to the dropped modes)."""
        lam, vec = np.linalg.eigh(self.relative)
        order = np.argsort(lam)[::-1]
        lam, vec = lam[order], vec[:, order]
        keep = lam > threshold * lam[0]
        return vec[:, keep] * np.sqrt(lam[keep])

    @property
    def centres(self) -> np.ndarray:
        return 0.5 * (self.edges[1:] + self.edges[:-1])


@dataclass(frozen=True)
class Flux:
    spectra: IsotopeSpectra
    nonequilibrium: bool
    snf: bool
    normalisation: float
    normalisation_uncertainty: float = 0.0  # relative, correlated between all cores
    shape_correction: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)  # (E_ν, ratio)
    reference_covariance: ReferenceCovariance | None = field(default=None, repr=False)
    free_shape: FreeShape | None = None


@dataclass(frozen=True)
class FreeShape:
    """A free reference-spectrum shape: one multiplicative weight 1 + z_k per node of an E_ν mesh,
    linearly interpolated between the nodes, seen by every detector of the config; ``uncertainty`` is
    the prior width of each z_k (0: free, no prior)."""

    nodes: tuple[float, ...]
    uncertainty: float = 0.0
    source: str = ""


@dataclass(frozen=True)
class IBD:
    cross_section: str  # "vogel_beacom" or "strumia_vissani"
    neutron_lifetime: float  # s


@dataclass(frozen=True)
class Numerics:
    """Integration grids (see physics/kinematics.py)."""

    enu_max: float  # MeV, upper end of the antineutrino-energy grid
    edep_bin: float  # MeV, width of the fine deposited-energy bins
    edep_onset: float  # MeV above the kinematic minimum covered by narrower bins
    edep_onset_bin: float  # MeV, their width
    edep_scale_energy: float  # MeV above which the fine-bin width grows ∝ E (0: constant width)
    edep_bin_max: float  # MeV, widest fine bin
    panel_nodes: int  # Gauss–Legendre nodes per antineutrino-energy panel
    panel_phase: float  # rad, largest advance of the fastest oscillation phase 2Δ31 per panel
    panel_max: float  # MeV, widest panel
    dm2_max: float  # eV², largest |Δm²31| the grid must resolve


SYSTEMATICS = (
    "flux_normalisation",
    "core_power",
    "fission_fractions",
    "snf",
    "nonequilibrium",
    "reference_shape",
    "reference_spectrum",
    "free_shape",
    "efficiency",
    "energy_scale",
    "nonlinearity",
    "resolution",
    "matter_density",
    "background_rates",
    "background_shapes",
)
STATISTICS = ("poisson", "cnp", "pearson", "neyman")
OSCILLATION_PARAMETERS = ("sin2_theta12", "sin2_theta13", "dm2_21", "dm2_31")
# ``[oscillation] model`` → the parameters of that hypothesis beyond the standard four (their physics is
# in juno_fit/physics/hypotheses/, their rules in rules.py)
MODEL_PARAMETERS: dict[str, tuple[str, ...]] = {
    "standard": (),
    "sterile_3p1": ("dm2_41", "sin2_theta14"),
    "decoherence": ("sigma_rel",),
    "scalar_nsi": ("eta_ee", "lightest_mass"),
}
# quantities derived from the standard parameters that [fit] constraints may constrain (their formulas:
# juno_fit/physics/derived.py), and the inputs of Δm²μμ that P_ee does not contain ([fit.derived])
DERIVED_QUANTITIES = ("dm2_32", "dm2_ee", "dm2_mumu", "sin2_2theta13")
# the hypothesis' parameters free unless [fit] parameters says otherwise (Δm²41 is scanned, not fitted)
MODEL_FREE: dict[str, tuple[str, ...]] = {
    "standard": (),
    "sterile_3p1": ("sin2_theta14",),
    "decoherence": ("sigma_rel",),
    "scalar_nsi": ("eta_ee",),
}


@dataclass(frozen=True)
class Fit:
    """How to fit: the statistic, which oscillation parameters are free, which systematic
    uncertainties enter (``systematics``: name → on/off, names in SYSTEMATICS), MINOS, retries."""

    statistic: str = "poisson"
    free: tuple[str, ...] = OSCILLATION_PARAMETERS
    systematics: dict[str, bool] = field(default_factory=lambda: dict.fromkeys(SYSTEMATICS, True))
    minos: bool = True
    retries: int = 3
    constraints: dict[str, tuple[float, float]] = field(default_factory=dict)  # name → (mean, σ)
    treatment: str = "pulls"  # systematics with priors: "pulls" (fitted) or "covariance" (a matrix in the χ²)
    derived_inputs: dict[str, float] = field(default_factory=lambda: {"sin2_theta23": 0.5, "delta_cp": 180.0})


@dataclass(frozen=True)
class Config:
    name: str
    file: str
    text: str = field(repr=False)
    description: str
    exposure_days: float
    detectors: tuple[Detector, ...]
    oscillation: Oscillation
    flux: Flux
    ibd: IBD
    numerics: Numerics
    fit: Fit = field(default_factory=Fit)
    seed: int = 0

    def with_ordering(self, ordering: str) -> Config:
        """This config with its true point in ``ordering``: the other ordering's Δm²31 keeps
        |Δm²ee| = |Δm²31 − sin²θ12 Δm²21|, and an external constraint on Δm²31 is mirrored the same way."""
        import dataclasses

        if ordering == self.oscillation.ordering:
            return self
        if ordering not in ("normal", "inverted"):
            raise ValueError(f"unknown ordering {ordering!r} (accepted: normal, inverted)")
        osc = self.oscillation

        def mirror(dm31: float) -> float:
            return -dm31 + 2.0 * osc.sin2_theta12 * osc.dm2_21

        constraints = dict(self.fit.constraints)
        if "dm2_31" in constraints:
            mean, sigma = constraints["dm2_31"]
            constraints["dm2_31"] = (mirror(mean), sigma)
        return dataclasses.replace(
            self,
            oscillation=dataclasses.replace(osc, dm2_31=mirror(osc.dm2_31)),
            fit=dataclasses.replace(self.fit, constraints=constraints),
        )
