"""What a valid input is: one rule per key of every input file, and the limits of the whole model.

Every key a config, detector, site or isotope-spectra file may hold has a :class:`Rule` here: its
type, default, accepted range, unit and the reason for the range. The readers
(:mod:`juno_fit.config.reading`) look each key up here, so a range is written once; the configuration
reference (``python -m juno_fit.config > docs/configuration.md``) is generated from the
same table, and a test keeps the two identical.

Ranges follow one principle: a value is accepted when the model represents it faithfully and it
describes a reactor experiment; everything else is refused before any expensive work, with the
file, the key and the accepted values. The limits that are not about one key (file sizes, TOML
nesting, the sizes of the integration grids and matrices a config implies, the largest event counts
the statistics handle to per-mille precision) are the constants below, each with its reason.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, replace
from typing import Any

from .limits import (  # noqa: F401 - re-exported: the limits that are not about one key
    DM2_41_MAX,
    EARTH_DIAMETER_KM,
    MAX_COUNTS,
    MAX_ENU_NODES,
    MAX_EXPOSURE_DAYS,
    MAX_FINE_BINS,
    MAX_FOLD_WORK,
    MAX_MATRIX_ENTRIES,
    MAX_NAME_LENGTH,
    MAX_NESTING,
    MAX_RECO_BINS,
    MAX_TABLE_BYTES,
    MAX_TEXT_LENGTH,
    MAX_TOML_BYTES,
    MIN_EXPOSURE_DAYS,
    identifier_problem,
    text_problem,
)

REQUIRED = object()  # a Rule default: the key must be given

# --------------------------------------------------------------------------------------------------
# Rules per key
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """How one key is validated and documented.

    ``kind``: "number", "integer", "bool", "choice", "string" (a file or column name), "text" (free
    text), "name" (an identifier), "duration", "array", "table". Ranges apply to numbers and integers;
    ``lo_open``/``hi_open`` exclude the bound itself.
    """

    kind: str
    doc: str
    default: Any = REQUIRED
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    unit: str = ""
    choices: tuple[str, ...] = ()
    why: str = ""
    min_nonzero: float | None = None  # 0 or at least this (prior widths: 0 switches the prior off)

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def interval(self) -> str:
        if self.min_nonzero is not None:
            return f"0 or [{self.min_nonzero:g}, {'inf' if self.hi is None else f'{self.hi:g}'}]"
        left = "(" if self.lo_open or self.lo is None else "["
        right = ")" if self.hi_open or self.hi is None else "]"
        lo = "-inf" if self.lo is None else f"{self.lo:g}"
        hi = "inf" if self.hi is None else f"{self.hi:g}"
        return f"{left}{lo}, {hi}{right}"

    def accepts(self, value: float) -> bool:
        if not math.isfinite(value):
            return False
        if self.min_nonzero is not None and value != 0 and abs(value) < self.min_nonzero:
            return False
        if self.lo is not None and (value <= self.lo if self.lo_open else value < self.lo):
            return False
        return not (self.hi is not None and (value >= self.hi if self.hi_open else value > self.hi))


def _n(doc: str, default: Any = REQUIRED, lo=None, hi=None, *, unit="", why="", lo_open=False, hi_open=False) -> Rule:
    return Rule("number", doc, default, lo, hi, lo_open, hi_open, unit, (), why)


def _c(doc: str, choices: tuple[str, ...], default: Any = REQUIRED) -> Rule:
    return Rule("choice", doc, default, choices=choices)


def _b(doc: str, default: Any = True) -> Rule:
    return Rule("bool", doc, default)


def _s(doc: str, default: Any = REQUIRED, kind: str = "string") -> Rule:
    return Rule(kind, doc, default)


_FRACTION = "a fraction of the total"
_REL = "relative (0.01 = 1 %)"
_SRC = _s("where the values of this table come from (free text)", "", "text")

RULES: dict[str, Rule] = {
    # ----- config file -------------------------------------------------------------------------
    "config.experiment.name": _s("name of the experiment in outputs", "the file name", "name"),
    "config.experiment.description": _s("one line shown in outputs and plots", "", "text"),
    "config.experiment.model": _c("experiment kind", ("juno", "dayabay"), "juno"),
    "config.experiment.seed": Rule(
        "integer",
        "seed of the pseudo-experiments (toy k uses SeedSequence(seed, k))",
        20260101,
        0,
        2**63 - 1,
        why="stored as a 64-bit signed integer in data and ensemble files",
    ),
    "config.experiment.exposure": Rule(
        "duration",
        'days of data taking: "100d", "6y" (1 y = 365.25 d) or a number of days',
        REQUIRED,
        MIN_EXPOSURE_DAYS,
        MAX_EXPOSURE_DAYS,
        unit="d",
        why="below an hour a JUNO-size detector sees about two reactor events; no model holds for 1,000 years",
    ),
    "config.detectors.*.detector": _s("detector file: a shipped name (detector/NAME.toml) or a path"),
    "config.detectors.*.site": _s("reactor-site file: a shipped name (spectra/NAME.toml) or a path"),
    "config.detectors.*.override": Rule("table", "values replacing those of the detector file, merged key by key", {}),
    "config.detectors.*.site_override": Rule("table", "values replacing those of the site file, merged key by key", {}),
    "config.oscillation.sin2_theta12": _n("true sin²θ12", REQUIRED, 0.0, 1.0, lo_open=True, hi_open=True),
    "config.oscillation.sin2_theta13": _n("true sin²θ13", REQUIRED, 0.0, 1.0, lo_open=True, hi_open=True),
    "config.oscillation.dm2_21": _n(
        "true Δm²21",
        REQUIRED,
        0.0,
        1.0,
        lo_open=True,
        unit="eV²",
        why="also at most [numerics] dm2_max and below |dm2_31|",
    ),
    "config.oscillation.dm2_31": _n(
        "true Δm²31; its sign is the ordering (> 0 normal, < 0 inverted)",
        REQUIRED,
        -1.0,
        1.0,
        unit="eV²",
        why="non-zero, |dm2_31| > dm2_21 and |dm2_31| ≤ [numerics] dm2_max (the fastest oscillation the grid resolves)",
    ),
    "config.oscillation.model": _c(
        "hypothesis of the survival probability: three flavours, three plus one sterile neutrino, wave-packet "
        "decoherence, or scalar non-standard interactions",
        ("standard", "sterile_3p1", "decoherence", "scalar_nsi"),
        "standard",
    ),
    "config.oscillation.dm2_41": _n(
        "true Δm²41 = m4² − m1² (model = sterile_3p1, required there)",
        REQUIRED,
        0.0,
        DM2_41_MAX,
        lo_open=True,
        unit="eV²",
        why="beyond what the E_ν grid resolves ([numerics] dm2_max) the sterile oscillation is averaged exactly "
        "over each node's cell",
    ),
    "config.oscillation.sin2_theta14": _n(
        "true sin²θ14, |U_e4|² (model = sterile_3p1)", 0.0, 0.0, 1.0, hi_open=True, why="0 is the standard model"
    ),
    "config.oscillation.sigma_rel": _n(
        "true σ_rel = σ_p/p, relative momentum spread of the wave packet (model = decoherence)",
        0.0,
        0.0,
        1.0,
        why="0 is the standard model; damping exp(−2 σ_rel² Δij²) of each interference term",
    ),
    "config.oscillation.eta_ee": _n(
        "true η_ee, scalar NSI: δM_ee = η_ee √|Δm²31| (model = scalar_nsi)",
        0.0,
        -1.0,
        1.0,
        why="0 is the standard model",
    ),
    "config.oscillation.lightest_mass": _n(
        "lightest neutrino mass, m1 (normal) or m3 (inverted ordering) (model = scalar_nsi)",
        0.01,
        0.0,
        1.0,
        unit="eV",
        why="scalar NSI shift the mass matrix linearly, so the absolute masses enter (0.01 eV: arXiv:2602.05564)",
    ),
    "config.oscillation.matter": _c(
        "matter effect: vacuum, Khan–Nunokawa–Parke closed form, or exact 3×3 diagonalisation (slow)",
        ("vacuum", "knp", "exact"),
        "knp",
    ),
    "config.oscillation.density": _n(
        "matter density along the baseline (GNA v06b: 2.45)",
        2.45,
        0.0,
        22.6,
        unit="g/cm³",
        why="0 (vacuum) up to the densest element, osmium (22.6 g/cm³)",
    ),
    "config.oscillation.electron_fraction": _n("electrons per nucleon Y_e (GNA v06b: 0.5)", 0.5, 0.0, 1.0),
    "config.oscillation.density_uncertainty": _n("prior width of matter.density", 0.0, 0.0, 22.6, unit="g/cm³"),
    "config.flux.spectra": _s("isotope-spectra file: a shipped name (spectra/NAME.toml) or a path", "huber_mueller"),
    "config.flux.form": _c(
        "isotope spectra as exponential-polynomial fits or tables", ("exp_poly", "table"), "exp_poly"
    ),
    "config.flux.nonequilibrium": _b("apply the non-equilibrium correction"),
    "config.flux.snf": _b("add the spent-nuclear-fuel correction"),
    "config.flux.normalisation": _n(
        "overall flux scale relative to the isotope spectra (Daya Bay measured/HM: 0.952)",
        1.0,
        0.0,
        2.0,
        lo_open=True,
        why="measured reactor fluxes lie within a few per cent of the predictions",
    ),
    "config.flux.normalisation_uncertainty": _n("prior width of flux.norm", 0.0, 0.0, 1.0, unit=_REL),
    "config.flux.shape_correction.table": _s("CSV (E_MeV, ratio): R(E_ν) multiplying the reference spectrum"),
    "config.flux.shape_correction.source": _SRC,
    "config.flux.reference_covariance.table": _s(
        "measured reference spectra with their covariance (format of Daya Bay's unfolded spectra, arXiv:2501.00746)"
    ),
    "config.flux.reference_covariance.spectrum": _c(
        "which spectrum of the file: its relative covariance is the reference spectrum's uncertainty",
        ("U235", "Pu239", "total"),
        "total",
    ),
    "config.flux.reference_covariance.source": _SRC,
    "config.flux.free_shape.start": _n("first node of the free shape's E_ν mesh", REQUIRED, 1.8, 20.0, unit="MeV"),
    "config.flux.free_shape.stop": _n("last node of the mesh (E_ν, included)", REQUIRED, 1.8, 20.0, unit="MeV"),
    "config.flux.free_shape.step": _n("node spacing of the mesh", REQUIRED, 0.005, 5.0, unit="MeV"),
    "config.flux.free_shape.uncertainty": _n("prior width of each mesh weight (0: free)", 0.0, 0.0, 1.0, unit=_REL),
    "config.flux.free_shape.source": _SRC,
    "config.ibd.cross_section": _c("IBD cross section", ("vogel_beacom", "strumia_vissani"), "vogel_beacom"),
    "config.ibd.neutron_lifetime": _n(
        "neutron lifetime normalising the cross section (PDG 2020: 879.4 ± 0.6 s)",
        879.4,
        800.0,
        1000.0,
        unit="s",
        why="every measurement since 1990 lies within this range",
    ),
    "config.fit.statistic": _c(
        "test statistic (Daya Bay kind: covariance or pulls)",
        ("poisson", "cnp", "pearson", "neyman", "covariance", "pulls"),
        "poisson",
    ),
    "config.fit.parameters": Rule("array", "free oscillation parameters (the others are fixed at their true values)"),
    "config.fit.minos": _b("MINOS intervals of the free oscillation parameters"),
    "config.fit.treatment": _c(
        "nuisances with priors: fitted (pulls) or a covariance matrix", ("pulls", "covariance"), "pulls"
    ),
    "config.fit.retries": Rule("integer", "MIGRAD restarts when a minimum is not valid", 3, 0, 50),
    "config.fit.constraints": Rule(
        "table",
        "external Gaussian priors NAME = [mean, σ] on an oscillation parameter (mean in its accepted range, "
        "0 < σ ≤ the width of that range) or on the magnitude of a derived quantity, dm2_32, dm2_ee, dm2_mumu "
        "or sin2_2theta13 (0 < σ ≤ mean ≤ 1)",
        {},
    ),
    "config.fit.derived.sin2_theta23": _n(
        "sin²θ23 in the Δm²μμ of a dm2_mumu constraint (P_ee does not contain it)",
        0.5,
        0.0,
        1.0,
        lo_open=True,
        hi_open=True,
        why="a round value inside the global fits' range; set the one of the measurement you use",
    ),
    "config.fit.derived.delta_cp": _n(
        "δ_CP in the Δm²μμ of a dm2_mumu constraint",
        180.0,
        0.0,
        360.0,
        hi_open=True,
        unit="degrees",
        why="enters as cos δ sin θ13 sin 2θ12 tan θ23 Δm²21, about 1e-5 eV²",
    ),
    "config.fit.spectrum": _c("Daya Bay kind: reactor spectrum factors free or fixed", ("free", "fixed"), "free"),
    "config.systematics.*": _b("switch one systematic uncertainty on (true) or off (false)"),
    "config.numerics.enu_max": _n("top of the antineutrino-energy grid", 13.0, 2.0, 30.0, unit="MeV"),
    "config.numerics.edep_bin": _n("width of the fine deposited-energy bins", 0.005, 1e-4, 0.1, unit="MeV"),
    "config.numerics.edep_onset": _n(
        "range above the kinematic minimum covered by narrower bins", 0.1, 0.0, 2.0, unit="MeV"
    ),
    "config.numerics.edep_onset_bin": _n("width of those narrower bins", 0.001, 1e-5, 0.1, unit="MeV"),
    "config.numerics.edep_scale_energy": _n(
        "above it the fine-bin width grows ∝ E (0: constant width)", 3.0, 0.0, 20.0, unit="MeV"
    ),
    "config.numerics.edep_bin_max": _n("widest fine bin", 0.02, 1e-4, 0.2, unit="MeV"),
    "config.numerics.panel_nodes": Rule("integer", "Gauss–Legendre nodes per E_ν panel", 3, 2, 12),
    "config.numerics.panel_phase": _n(
        "largest advance of the fastest phase 2Δ31 per E_ν panel", 2.0, 0.01, 3.0, unit="rad"
    ),
    "config.numerics.panel_max": _n("widest E_ν panel", 0.1, 0.001, 1.0, unit="MeV"),
    "config.numerics.dm2_max": _n(
        "largest |Δm²31| the E_ν grid resolves (true values, constraints and fits stay below it)",
        3.0e-3,
        1e-5,
        1.0,
        unit="eV²",
    ),
    "config.dayabay.release": _c("format of the Daya Bay release to read", ("hdf5", "root"), "hdf5"),
    "config.dayabay.cnp_variance": _c(
        "CNP variance at the nominal or the current prediction", ("nominal", "current"), "nominal"
    ),
    "config.dayabay.background_sigma": _c(
        "background rate uncertainties relative (σ/R) or as the official model applies them",
        ("relative", "official"),
        "relative",
    ),
    "config.dayabay.ordering": _c("mass ordering of the fit's start", ("normal", "inverted"), "normal"),
    "config.dayabay.matter": _c("P_ee in vacuum (as published) or in matter (KNP)", ("vacuum", "knp"), "vacuum"),
    "config.dayabay.density": _n(
        "rock density along the baselines (the JUNO sensitivity value, GNA v06b: 2.45)",
        2.45,
        0.0,
        22.6,
        unit="g/cm³",
        why="0 (vacuum) up to the densest element, osmium (22.6 g/cm³)",
    ),
    "config.dayabay.electron_fraction": _n("electrons per nucleon Y_e (GNA v06b: 0.5)", 0.5, 0.0, 1.0),
    # ----- detector file -----------------------------------------------------------------------
    "detector.name": _s("detector name", "the key under [detectors]", "name"),
    "detector.description": _s("one line describing the detector", "", "text"),
    "detector.source": _SRC,
    "detector.target_protons": _n(
        "free protons in the target (JUNO 20 kt: 1.435e33)",
        REQUIRED,
        0.0,
        1e36,
        lo_open=True,
        why="1e36 protons is 14 Mt of scintillator, 700 JUNOs",
    ),
    "detector.efficiency": _n("IBD selection efficiency", REQUIRED, 0.0, 1.0, lo_open=True),
    "detector.duty_cycle": _n(
        "fraction of the exposure with the reactors on (JUNO: 11/12)", 1.0, 0.0, 1.0, lo_open=True
    ),
    "detector.energy_scale": _n("nominal energy scale", 1.0, 0.5, 1.5),
    "detector.uncertainties.source": _SRC,
    "detector.uncertainties.efficiency": _n("prior width of det.eff", 0.0, 0.0, 1.0, unit=_REL),
    "detector.uncertainties.energy_scale": _n("prior width of det.escale", 0.0, 0.0, 1.0, unit=_REL),
    "detector.uncertainties.resolution_a": _n("prior width of det.res.a", 0.0, 0.0, 1.0, unit="absolute"),
    "detector.uncertainties.resolution_b": _n("prior width of det.res.b", 0.0, 0.0, 1.0, unit="absolute"),
    "detector.uncertainties.resolution_c": _n("prior width of det.res.c", 0.0, 0.0, 1.0, unit="absolute"),
    "detector.resolution.a": _n(
        "stochastic term of σ_E/E = √(a²/E + b² + c²/E²)", REQUIRED, 0.0, 1.0, why="not all of a, b, c zero"
    ),
    "detector.resolution.b": _n("constant term", REQUIRED, 0.0, 1.0),
    "detector.resolution.c": _n("noise term", REQUIRED, 0.0, 1.0),
    "detector.resolution.source": _SRC,
    "detector.response.model": _c("response: closed-form or matrices", ("analytic", "matrix"), "analytic"),
    "detector.response.step": _n("visible-energy bin width of the matrix response", 0.01, 0.001, 0.1, unit="MeV"),
    "detector.nonlinearity.model": _c("LSNL from tabulated curves, or none (E_vis = E_dep)", ("curves", "none")),
    "detector.nonlinearity.table": _s("CSV with E_MeV, the nominal curve and the pull curves (values > 0, finite)"),
    "detector.nonlinearity.nominal": _s("column of the nominal curve", "nominal"),
    "detector.nonlinearity.pulls": Rule("array", "columns of the pull curves (one nuisance each)", []),
    "detector.nonlinearity.source": _SRC,
    "detector.binning.edges": Rule(
        "array",
        f"reconstructed-energy bin edges, strictly increasing, in [0, 100] MeV, at most {MAX_RECO_BINS} bins",
        None,
    ),
    "detector.binning.segments": Rule(
        "array",
        f"[[lo, hi, width], ...] in MeV instead of edges; at most {MAX_RECO_BINS} bins in all",
        None,
    ),
    "detector.backgrounds.*.rate_per_day": _n(
        "rate after selection",
        REQUIRED,
        0.0,
        1e6,
        unit="1/day",
        why="1e6 a day is 10⁴ times any reactor IBD rate; over 1,000 years it stays below the count limit",
    ),
    "detector.backgrounds.*.rate_uncertainty": _n(
        "prior width of the rate scale", 0.0, 0.0, 10.0, unit=_REL, why="wider than 1,000 % is no prior"
    ),
    "detector.backgrounds.*.shape_uncertainty": _n("bin-to-bin shape uncertainty", 0.0, 0.0, 1.0, unit=_REL),
    "detector.backgrounds.*.source": _SRC,
    "detector.backgrounds.*.shape": _c("how the shape is given", ("table", "histogram", "reactor", "flat")),
    "detector.backgrounds.*.table": _s("CSV of the shape (table and histogram shapes)"),
    "detector.backgrounds.*.energy_column": _s("table shape: energy column", "E_vis_MeV"),
    "detector.backgrounds.*.value_column": _s("column of the values", "rate_per_day_per_20keV"),
    "detector.backgrounds.*.values": _c("histogram values per bin or per MeV", ("per_bin", "per_mev")),
    "detector.backgrounds.*.value_scale": _n("factor applied to the histogram values", 1.0, 0.0, 1e12, lo_open=True),
    "detector.backgrounds.*.edge_columns": Rule("array", "histogram: [lo, hi] edge columns", None),
    "detector.backgrounds.*.center_width_columns": Rule("array", "histogram: [centre, width] columns", None),
    "detector.backgrounds.*.range": Rule("array", "flat shape: [lo, hi] in MeV, 0 ≤ lo < hi ≤ 100"),
    # ----- site file ---------------------------------------------------------------------------
    "site.name": _s("site name", REQUIRED, "name"),
    "site.description": _s("one line describing the site", "", "text"),
    "site.source": _SRC,
    "site.fission_fractions.*": _n(
        "default fission fraction of an isotope (the four sum to 1 ± 0.01)", REQUIRED, 0.0, 1.0
    ),
    "site.cores.*.label": _s("core name in outputs", "the core's key", "text"),
    "site.cores.*.source": _SRC,
    "site.cores.*.power_gw": _n(
        "thermal power (0 switches a core off; at least one core per detector must be on)",
        REQUIRED,
        0.0,
        50.0,
        unit="GW_th",
        why="the largest cores are about 4.6 GW_th",
    ),
    "site.cores.*.baseline_km": _n(
        "distance to the detector: a number, or a table by detector name",
        REQUIRED,
        0.001,
        EARTH_DIAMETER_KM,
        unit="km",
        why="from 1 m (a core is metres across) to the Earth's diameter",
    ),
    "site.cores.*.fission_fractions.*": _n(
        "fission fraction of an isotope in this core (sum 1 ± 0.01)", REQUIRED, 0.0, 1.0
    ),
    "site.cores.*.snf": _b("this core has a spent-fuel pool"),
    "site.uncertainties.source": _SRC,
    "site.uncertainties.core_power": _n("prior width of each flux.core.* scale", 0.0, 0.0, 1.0, unit=_REL),
    "site.uncertainties.fission_fractions.*": _n(
        "relative uncertainty of an isotope's fission fraction", 0.0, 0.0, 1.0
    ),
    "site.uncertainties.fission_fraction_correlation": Rule(
        "array",
        "4×4 correlation of the isotopes' fission fractions (symmetric, unit diagonal, positive definite)",
        None,
    ),
    # ----- isotope-spectra file ----------------------------------------------------------------
    "spectra.name": _s("model name", "the file name", "name"),
    "spectra.description": _s("one line describing the model", "", "text"),
    "spectra.exp_poly.source": _SRC,
    "spectra.exp_poly.fit_max": _n(
        "upper end of the fits' range (exponential continuation above)", 8.0, 2.0, 30.0, unit="MeV"
    ),
    "spectra.exp_poly.*": Rule("array", "coefficients α_k of exp(Σ α_k E^(k−1)), 1–10 finite numbers, per isotope"),
    "spectra.table.source": _SRC,
    "spectra.table.*": _s("CSV (E_MeV, N_density) per isotope"),
    "spectra.energy_per_fission.source": _SRC,
    "spectra.energy_per_fission.*": _n("energy released per fission", REQUIRED, 150.0, 250.0, unit="MeV"),
    "spectra.nonequilibrium.source": _SRC,
    "spectra.nonequilibrium.scale_uncertainty": _n("prior width of flux.noneq", 0.0, 0.0, 10.0, unit=_REL),
    "spectra.nonequilibrium.*": _s("CSV (E_MeV, C) per isotope"),
    "spectra.snf.source": _SRC,
    "spectra.snf.scale_uncertainty": _n("prior width of flux.snf", 0.0, 0.0, 10.0, unit=_REL),
    "spectra.snf.column": _s("column of the correction, or mean (of all columns)"),
    "spectra.snf.table": _s("CSV of the spent-fuel correction"),
    "spectra.reference_shape.source": _SRC,
    "spectra.reference_shape.energy_column": _s("energy column", "E_MeV"),
    "spectra.reference_shape.value_column": _s("column of the uncertainty"),
    "spectra.reference_shape.unit": _c("unit of the values", ("percent", "fraction")),
    "spectra.reference_shape.table": _s("CSV of the bin-to-bin reference-shape uncertainty (≥ 0)"),
}

# Prior widths: 0 switches a prior off; a width below MIN_PRIOR_WIDTH (relative, or in the key's
# unit) fixes the parameter just as well but makes MINUIT's steps and the pull terms overflow.
MIN_PRIOR_WIDTH = 1e-6
for _path, _rule in list(RULES.items()):
    if _rule.kind == "number" and "uncertaint" in _path and _rule.lo == 0.0:
        RULES[_path] = replace(
            _rule, min_nonzero=MIN_PRIOR_WIDTH, why=_rule.why or "0 switches the prior off; narrower priors overflow"
        )

# Oscillation parameters that constraints and fits can name, with their accepted ranges (the same as
# the true values; Δm² limits are tightened to [numerics] dm2_max by the model).
PARAMETER_RULES = {name.rsplit(".", 1)[1]: RULES[name] for name in RULES if name.startswith("config.oscillation.")}


def all_stars(path: str) -> list[str]:
    """``path`` with every combination of its parts replaced by ``*``, fewest stars first."""
    parts = path.split(".")
    out = []
    for k in range(len(parts) + 1):
        for idx in itertools.combinations(range(len(parts)), k):
            out.append(".".join("*" if i in idx else p for i, p in enumerate(parts)))
    return out


def rule(path: str) -> Rule | None:
    """The rule of a schema path such as ``site.cores.TS1.fission_fractions.U235``: the exact entry,
    else the entry with ``*`` for user-chosen names (detector, core, background) and isotopes, the
    fewest stars first."""
    if path in RULES:
        return RULES[path]
    if path.count(".") > 6:
        return None
    for probe in all_stars(path)[1:]:
        if probe in RULES:
            return RULES[probe]
    return None
