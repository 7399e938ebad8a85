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
import re
import unicodedata
from dataclasses import dataclass, replace
from typing import Any

REQUIRED = object()  # a Rule default: the key must be given

# --------------------------------------------------------------------------------------------------
# Limits that are not about one key
# --------------------------------------------------------------------------------------------------

MAX_TOML_BYTES = 1 << 20  # 1 MiB; the shipped inputs are 1-10 kB
MAX_TABLE_BYTES = 16 << 20  # 16 MiB for a CSV table named by an input file (the largest shipped: 26 kB)
MAX_NESTING = 16  # tables/arrays inside each other; the deepest shipped key is 6 levels down
MAX_NAME_LENGTH = 64
MAX_TEXT_LENGTH = 4000

# Grid and matrix sizes a config may imply (per detector). The nominal JUNO model has about 1,300
# fine deposited-energy bins, 1,700 E_ν nodes (two baseline groups) and 1e5 response-matrix
# entries; the accuracy study's reference (0.5 keV bins, 4× finer panels) needs about 10× that. The
# budgets leave another factor of 10-20 and keep a model build under a minute and its matrices
# under 1 GiB.
MAX_RECO_BINS = 10_000
MAX_FINE_BINS = 300_000
MAX_ENU_NODES = 300_000
MAX_MATRIX_ENTRIES = 60_000_000  # entries of a banded fold or response matrix (8 bytes each)
# Element operations of a fold-matrix integration (E_ν integration points × the most fine bins one
# point reaches): 3e5 for the nominal model (0.15 s), 2.5e7 for a grid as fine as the accuracy
# study's reference (10 s); the budget is four times that (about 40 s on one core).
MAX_FOLD_WORK = 100_000_000

# Largest expected or observed count the statistics accept, per detector and exposure: a
# Poisson deviance or χ² built from counts N loses about N × 2.2e-16 to rounding, which must stay
# far below the 1e-3 that per-mille parameter precision needs.
MAX_COUNTS = 1e12

# Exposure limits in days: shorter than an hour a JUNO-size detector sees about two reactor events
# (no spectrum); beyond 1,000 years no detector or reactor model holds.
MIN_EXPOSURE_DAYS = 1.0 / 24.0
MAX_EXPOSURE_DAYS = 1000 * 365.25

EARTH_DIAMETER_KM = 12_742.0  # the longest straight baseline between two points on Earth (mean radius 6,371 km)

_IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_+\-]*")
# Unicode bidirectional controls (can reorder what a terminal shows) are refused in any text.
_BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C)}


def identifier_problem(name: str) -> str | None:
    """Why ``name`` cannot name a detector, core, background or experiment (None when it can).

    Names become parts of parameter names (``flux.core.TS1``, ``bkg.geo.rate``) and file names, so
    they are letters, digits, ``_``, ``+`` and ``-`` only, starting with a letter or digit.
    """
    if not name:
        return "is empty"
    if len(name) > MAX_NAME_LENGTH:
        return f"is {len(name)} characters long (at most {MAX_NAME_LENGTH})"
    if not _IDENTIFIER.fullmatch(name):
        return "may hold only letters, digits, '_', '+' and '-', starting with a letter or digit"
    return None


def text_problem(text: str) -> str | None:
    """Why ``text`` cannot be a label, description or source (None when it can): printable
    characters only (no control or bidirectional-override characters), at most MAX_TEXT_LENGTH."""
    if len(text) > MAX_TEXT_LENGTH:
        return f"is {len(text)} characters long (at most {MAX_TEXT_LENGTH})"
    for ch in text:
        if ch in _BIDI or (unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") and ch != "\t"):
            return f"holds the control character U+{ord(ch):04X} (only printable text is accepted)"
    return None


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
        "external Gaussian priors NAME = [mean, σ]: mean in the parameter's accepted range, "
        "0 < σ ≤ the width of that range, both finite",
        {},
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


# --------------------------------------------------------------------------------------------------
# The configuration reference
# --------------------------------------------------------------------------------------------------

_FILES = {
    "config": "Config files (`configs/*.toml`)",
    "detector": "Detector files (`detector/*.toml`)",
    "site": "Reactor-site files (`spectra/*_site.toml`)",
    "spectra": "Isotope-spectra files (`spectra/huber_mueller.toml`)",
}


def _default_text(r: Rule) -> str:
    if r.required:
        return "required"
    if isinstance(r.default, str):
        return r.default if r.default.startswith("the ") else f'"{r.default}"'
    if isinstance(r.default, bool):
        return "true" if r.default else "false"
    if r.default is None:
        return "—"
    if isinstance(r.default, dict | list):
        return "empty"
    return f"{r.default:g}"


def _accepted_text(r: Rule) -> str:
    if r.kind in ("number", "integer"):
        return r.interval() + (f" {r.unit}" if r.unit else "")
    if r.kind == "duration":
        return f"{r.lo * 24:g} h to {r.hi / 365.25:g} y"
    if r.kind == "choice":
        return ", ".join(f'"{c}"' for c in r.choices)
    if r.kind == "name":
        return f"letters, digits, _ + - (≤ {MAX_NAME_LENGTH})"
    if r.kind == "text":
        return f"printable text (≤ {MAX_TEXT_LENGTH})"
    return r.kind


def _limit_rows() -> list[str]:
    rows = [
        (
            "input TOML file",
            f"≤ {MAX_TOML_BYTES >> 10} KiB, nesting ≤ {MAX_NESTING}, a regular file",
            "shipped inputs are 1–10 kB, 6 levels deep; pipes, devices and folders are not read",
        ),
        (
            "CSV table named by an input",
            f"≤ {MAX_TABLE_BYTES >> 20} MiB, a regular file, finite numbers",
            "the largest shipped table is 26 kB",
        ),
        ("reconstructed bins per detector", f"≤ {MAX_RECO_BINS:,}", "the response matrix and the data stay small"),
        ("fine deposited-energy bins per detector", f"≤ {MAX_FINE_BINS:,}", "10× the accuracy study's reference"),
        (
            "E_ν nodes per baseline group",
            f"≤ {MAX_ENU_NODES:,}",
            "set by dm2_max, the baseline, panel_phase, panel_max and panel_nodes",
        ),
        ("entries of a fold or response matrix", f"≤ {MAX_MATRIX_ENTRIES:,}", "under 0.5 GiB each"),
        ("steps of a fold-matrix integration", f"≤ {MAX_FOLD_WORK:,}", "a build under a minute"),
        (
            "expected or observed counts per detector",
            f"≤ {MAX_COUNTS:g}",
            "rounding of the statistic (N × 2.2e-16) stays ≪ 1e-3",
        ),
        (
            "\\|dm2_31\\|, dm2_21, Δm² constraints and fit limits",
            "≤ [numerics] dm2_max",
            "the E_ν grid resolves oscillations up to dm2_max",
        ),
    ]
    return [f"| {a} | {b} | {c} |" for a, b, c in rows]


def reference_markdown() -> str:
    """The configuration reference (docs/configuration.md), generated from :data:`RULES`."""
    lines = [
        "# Configuration reference",
        "",
        "Generated from `juno_fit/config/rules.py` by `python -m juno_fit.config`; do not edit by hand.",
        "Every key is checked when a config is read: a value outside its accepted range, of the wrong",
        "type, non-finite, or an unknown key is refused with one line naming the file, the key and the",
        "accepted values (exit code 2). `*` stands for a name you choose (detector, core, background) or",
        "an isotope (U235, U238, Pu239, Pu241).",
        "",
        "## Limits of the whole model",
        "",
        "| limit | value | why |",
        "|---|---|---|",
        *_limit_rows(),
        "| reactor cores | at least one core per detector with power_gw > 0 | no reactor signal, nothing to fit |",
        "| names of detectors, cores, backgrounds | letters, digits, _ + - | they become parameter names |",
        "",
    ]
    for prefix, title in _FILES.items():
        lines += [f"## {title}", "", "| key | meaning | type | default | accepted | why |", "|---|---|---|---|---|---|"]
        for path, r in RULES.items():
            if not path.startswith(prefix + "."):
                continue
            key = path[len(prefix) + 1 :]
            kind = {"number": "number", "integer": "integer", "duration": "duration"}.get(r.kind, r.kind)
            why, doc = r.why.replace("|", "\\|"), r.doc.replace("|", "\\|")
            lines.append(f"| `{key}` | {doc} | {kind} | {_default_text(r)} | {_accepted_text(r)} | {why} |")
        lines.append("")
    return "\n".join(lines)
