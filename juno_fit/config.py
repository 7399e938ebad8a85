"""Read juno-fit configuration files (TOML) into frozen, validated objects.

A config (``configs/*.toml``) names, for each detector, a detector description
(``detector/<name>.toml``) and a reactor site (``spectra/<name>.toml``), plus the true oscillation
parameters, the flux model, the IBD cross section, the exposure and the numerical settings. Any value
of a detector or site file can be overridden from the config (``[detectors.X.override]`` and
``[detectors.X.site_override]``, merged key by key).

Every problem raises :class:`~juno_fit.errors.ConfigError` naming the file, the dotted key and the
accepted values; the command line prints it on one line and exits with code 2.

Units are converted here and nowhere else: baselines km → m, exposure "6y"/"100d" → days.
"""

from __future__ import annotations

import copy
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ConfigError
from .resources import available, input_dir

ISOTOPES = ("U235", "U238", "Pu239", "Pu241")
DAYS_PER_YEAR = 365.25  # Julian year: the JUNO common inputs count 6 years as 6 × 365.25 d (PHYSICS.md §1.3)
_MISSING = object()


# --------------------------------------------------------------------------------------------------
# Frozen result objects
# --------------------------------------------------------------------------------------------------


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

    @property
    def ordering(self) -> str:
        return "normal" if self.dm2_31 > 0 else "inverted"


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
class Flux:
    spectra: IsotopeSpectra
    nonequilibrium: bool
    snf: bool
    normalisation: float
    normalisation_uncertainty: float = 0.0  # relative, correlated between all cores
    shape_correction: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)  # (E_ν, ratio)


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


# --------------------------------------------------------------------------------------------------
# Reading helpers
# --------------------------------------------------------------------------------------------------


def read_toml(path: Path) -> tuple[dict[str, Any], str]:
    """Parse a TOML file; a missing file or a syntax error is a ConfigError naming the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(str(path), "", "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), "", f"cannot read file ({exc})") from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), "", f"malformed TOML: {exc}") from None


def _type_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {
        float: "a number",
        int: "an integer",
        str: "a string",
        bool: "true or false",
        list: "an array",
        dict: "a table",
    }
    return " or ".join(names.get(k, k.__name__) for k in kinds)


class _Table:
    """A TOML table being validated: typed getters that name file and key, and unknown-key detection.

    ``origins`` maps dotted keys that came from a config override to (config file, config key), so
    an error in an overridden value names the line the user wrote.
    """

    def __init__(self, data: Any, file: str, prefix: str = "", origins: dict[str, tuple[str, str]] | None = None):
        self.file = file
        self.prefix = prefix
        self.origins = origins if origins is not None else {}
        if not isinstance(data, dict):
            self.fail("", f"must be a table, got {type(data).__name__}")
        self.data: dict[str, Any] = data
        self.used: set[str] = set()

    def path(self, key: str) -> str:
        return f"{self.prefix}{key}" if key else self.prefix.rstrip(".")

    def origin(self, key: str) -> tuple[str, str] | None:
        """(config file, config key) when ``key`` or a value under it came from a config override."""
        dotted = self.path(key)
        parts = dotted.split(".")
        plain_parts = [re.sub(r"\[\d+\]", "", p) for p in parts]
        for n in range(len(parts), 0, -1):
            probe = ".".join(plain_parts[:n])
            if probe in self.origins:
                file, ckey = self.origins[probe]
                rest = parts[n - 1][len(plain_parts[n - 1]) :] + "".join("." + p for p in parts[n:])
                return file, ckey + rest
        plain = ".".join(plain_parts)
        for okey, (file, ckey) in self.origins.items():
            if okey.startswith(plain + "."):  # a check on a table whose member was overridden
                return file, ckey[: len(ckey) - (len(okey) - len(plain))]
        return None

    def fail(self, key: str, message: str) -> None:
        origin = self.origin(key)
        if origin is not None:
            raise ConfigError(origin[0], origin[1], message)
        raise ConfigError(self.file, self.path(key), message)

    def has(self, key: str) -> bool:
        return key in self.data

    def raw(self, key: str, default: Any = _MISSING) -> Any:
        self.used.add(key)
        if key not in self.data:
            if default is _MISSING:
                self.fail(key, "missing required key")
            return default
        return self.data[key]

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = _MISSING) -> Any:
        value = self.raw(key, default)
        if value is default and key not in self.data:
            return value
        kinds = kind if isinstance(kind, tuple) else (kind,)
        ok = any(
            (isinstance(value, k) and not (k in (int, float) and isinstance(value, bool)))
            or (k is float and isinstance(value, int) and not isinstance(value, bool))
            for k in kinds
        )
        if not ok:
            self.fail(key, f"must be {_type_name(kind)}, got {_describe(value)}")
        return float(value) if kinds == (float,) else value

    def number(
        self,
        key: str,
        default: Any = _MISSING,
        *,
        lo: float | None = None,
        hi: float | None = None,
        lo_open: bool = False,
        hi_open: bool = False,
    ) -> float:
        value = self.get(key, float, default)
        if value is None:
            return value
        if not math.isfinite(value):
            self.fail(key, f"must be a finite number, got {value}")
        bad_lo = lo is not None and (value <= lo if lo_open else value < lo)
        bad_hi = hi is not None and (value >= hi if hi_open else value > hi)
        if bad_lo or bad_hi:
            self.fail(key, f"must be in {_interval(lo, hi, lo_open, hi_open)}, got {value:g}")
        return value

    def choice(self, key: str, choices: tuple[str, ...], default: Any = _MISSING) -> str:
        value = self.get(key, str, default)
        if value not in choices:
            self.fail(key, f"unknown value {value!r} (accepted: {', '.join(choices)})")
        return value

    def table(self, key: str, default: Any = _MISSING) -> _Table:
        value = self.raw(key, default)
        if not isinstance(value, dict):
            self.fail(key, f"must be a table, got {_describe(value)}")
        return _Table(value, self.file, f"{self.path(key)}.", self.origins)

    def finish(self) -> None:
        unknown = [k for k in self.data if k not in self.used]
        if unknown:
            accepted = ", ".join(sorted(self.used)) or "none"
            self.fail(unknown[0], f"unknown key (accepted here: {accepted})")


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return f"{type(value).__name__} {value!r}"


def _interval(lo: float | None, hi: float | None, lo_open: bool, hi_open: bool) -> str:
    left = "(" if lo_open or lo is None else "["
    right = ")" if hi_open or hi is None else "]"
    return f"{left}{'-inf' if lo is None else f'{lo:g}'}, {'inf' if hi is None else f'{hi:g}'}{right}"


def _merge(
    base: dict[str, Any], override: dict[str, Any], file: str, key: str, at: str, origins: dict[str, tuple[str, str]]
) -> dict[str, Any]:
    """Deep-merge ``override`` into a copy of ``base``, recording where each overridden key came from."""
    out = copy.deepcopy(base)
    for k, v in override.items():
        dotted = f"{at}{k}"
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v, file, f"{key}.{k}", f"{dotted}.", origins)
        else:
            out[k] = copy.deepcopy(v)
            origins[dotted] = (file, f"{key}.{k}")
    return out


def parse_exposure(value: Any, file: str, key: str) -> float:
    """Exposure in days of data taking from "100d", "6y", "20y", "2.5y" or a number of days."""
    if isinstance(value, bool):
        raise ConfigError(file, key, f'must be like "100d", "6y" or a number of days, got {value!r}')
    if isinstance(value, int | float):
        days = float(value)
    elif isinstance(value, str):
        m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([dy])\s*", value)
        if not m:
            raise ConfigError(file, key, f'must be like "100d", "6y" or a number of days, got {value!r}')
        days = float(m.group(1)) * (DAYS_PER_YEAR if m.group(2) == "y" else 1.0)
    else:
        raise ConfigError(file, key, f'must be like "100d", "6y" or a number of days, got {_describe(value)}')
    if not (math.isfinite(days) and days > 0):
        raise ConfigError(file, key, f"must be a positive duration, got {value!r}")
    return days


def _resolve_input(kind: str, name: str, file: str, key: str, label: str) -> Path:
    """Resolve ``name`` to a TOML file of ``kind``: a bare name is looked up among the shipped inputs,
    a path (with a slash or a .toml suffix) relative to the referring file."""
    is_path = "/" in name or name.endswith(".toml")
    if is_path:
        path = Path(name)
        if not path.is_absolute():
            path = Path(file).parent / path
        if not path.is_file():
            raise ConfigError(file, key, f"{label} file not found: {path}")
        return path
    path = input_dir(kind) / f"{name}.toml"
    if not path.is_file():
        names = available(kind)
        if kind == "spectra":  # sites and isotope-spectra models share spectra/: list the right kind
            names = [n for n in names if (label == "site") == _is_site(input_dir(kind) / f"{n}.toml")]
        listed = ", ".join(names) or "none"
        raise ConfigError(file, key, f"unknown {label} {name!r} (accepted: {listed}, or a path to a .toml file)")
    return path


def _is_site(path: Path) -> bool:
    try:
        return "cores" in tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return False


def _data_file(folder: Path, name: str, t: _Table, key: str) -> Path:
    """A data file named in an input file, relative to that file's folder, or to the config's folder
    when the name came from a config override."""
    path = Path(name)
    origin = t.origin(key)
    if origin is not None:
        folder = Path(origin[0]).parent
    if not path.is_absolute():
        path = folder / path
    if not path.is_file():
        t.fail(key, f"data file not found: {path}")
    return path


def read_csv_columns(path: Path, columns: list[str]) -> dict[str, np.ndarray]:
    """Named columns of a comma-separated table with ``#`` comment lines and one header line.

    Raises ValueError with a message naming the problem (the caller adds file and key).
    """
    try:
        lines = [ln.strip() for ln in Path(path).read_text(encoding="utf-8-sig").splitlines()]
    except OSError as exc:
        raise ValueError(f"cannot read {path} ({exc})") from None
    lines = [ln for ln in lines if ln and not ln.startswith("#")]
    if not lines:
        raise ValueError(f"{path} holds no table")
    header = [h.strip() for h in lines[0].split(",")]
    missing = [c for c in columns if c not in header]
    if missing:
        raise ValueError(f"{path} has no column {missing[0]!r} (columns: {', '.join(header)})")
    try:
        rows = np.array([[float(x) for x in ln.split(",")[: len(header)]] for ln in lines[1:]])
    except ValueError as exc:
        raise ValueError(f"{path}: non-numeric entry ({exc})") from None
    if rows.ndim != 2 or len(rows) < 2:
        raise ValueError(f"{path} needs at least two rows of data")
    return {c: rows[:, header.index(c)] for c in columns}


def load_csv(path: Path, columns: list[str], t: _Table, key: str) -> dict[str, np.ndarray]:
    """:func:`read_csv_columns` with errors reported against ``key`` of the file being validated."""
    try:
        return read_csv_columns(path, columns)
    except ValueError as exc:
        t.fail(key, str(exc))
        raise  # unreachable: fail raises


# --------------------------------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------------------------------


def _oscillation(t: _Table) -> Oscillation:
    osc = Oscillation(
        sin2_theta12=t.number("sin2_theta12", lo=0.0, hi=1.0),
        sin2_theta13=t.number("sin2_theta13", lo=0.0, hi=1.0),
        dm2_21=t.number("dm2_21", lo=0.0, lo_open=True, hi=1.0),
        dm2_31=t.number("dm2_31", lo=-1.0, hi=1.0),
        matter=t.choice("matter", ("vacuum", "knp", "exact"), "knp"),
        density=t.number("density", 2.45, lo=0.0, hi=30.0),  # g/cm³; JUNO default: GNA v06b (PHYSICS.md §5.7)
        electron_fraction=t.number("electron_fraction", 0.5, lo=0.0, hi=1.0),
        density_uncertainty=t.number("density_uncertainty", 0.0, lo=0.0, hi=30.0),
    )
    if osc.dm2_31 == 0.0:
        t.fail("dm2_31", "must be non-zero (its sign selects the ordering: > 0 normal, < 0 inverted)")
    if abs(osc.dm2_31) <= osc.dm2_21:
        t.fail("dm2_31", f"|dm2_31| must exceed dm2_21 = {osc.dm2_21:g}, got {osc.dm2_31:g}")
    t.finish()
    return osc


def _fractions(t: _Table, key: str) -> tuple[float, float, float, float]:
    ft = t.table(key)
    values = tuple(ft.number(iso, lo=0.0, hi=1.0) for iso in ISOTOPES)
    ft.finish()
    total = sum(values)
    if abs(total - 1.0) > 0.01:
        t.fail(key, f"fission fractions must sum to 1 (within 0.01), got {total:.4f}")
    return values  # type: ignore[return-value]


def _site(path: Path, detector: str, overrides: dict[str, Any], cfile: str, ckey: str) -> Site:
    data, _text = read_toml(path)
    origins: dict[str, tuple[str, str]] = {}
    if overrides:
        data = _merge(data, overrides, cfile, ckey, "", origins)
    t = _Table(data, str(path), "", origins)
    name = t.get("name", str)
    t.get("description", str, "")
    t.get("source", str, "")
    default_ff = _fractions(t, "fission_fractions") if t.has("fission_fractions") else None
    cores_t = t.table("cores")
    if not cores_t.data:
        cores_t.fail("", "must list at least one core (empty core list)")
    cores = []
    for cname in cores_t.data:
        c = cores_t.table(cname)
        label = c.get("label", str, cname)
        c.get("source", str, "")
        power = c.number("power_gw", lo=0.0, hi=50.0)
        if c.has("baseline_km") and isinstance(c.data["baseline_km"], dict):
            bt = c.table("baseline_km")
            if detector not in bt.data:
                bt.fail("", f"has no baseline for detector {detector!r} (given: {', '.join(bt.data) or 'none'})")
            for det in bt.data:
                bt.number(det, lo=0.0, lo_open=True)
            baseline_km = bt.number(detector, lo=0.0, lo_open=True)
        else:
            baseline_km = c.number("baseline_km", lo=0.0, lo_open=True, hi=20000.0)
        if c.has("fission_fractions"):
            ff = _fractions(c, "fission_fractions")
        elif default_ff is not None:
            ff = default_ff
        else:
            c.fail("fission_fractions", "missing (set it here or as the site's default fission_fractions)")
        snf = c.get("snf", bool, True)
        c.finish()
        cores.append(Core(cname, label, power, baseline_km * 1e3, ff, snf))
    power_unc, ff_sigma, ff_corr = 0.0, (0.0, 0.0, 0.0, 0.0), np.eye(4)
    if t.has("uncertainties"):
        ut = t.table("uncertainties")
        ut.get("source", str, "")
        power_unc = ut.number("core_power", 0.0, lo=0.0, hi=1.0)
        if ut.has("fission_fractions"):
            ft = ut.table("fission_fractions")
            ff_sigma = tuple(ft.number(iso, lo=0.0, hi=1.0) for iso in ISOTOPES)
            ft.finish()
        if ut.has("fission_fraction_correlation"):
            ff_corr = _correlation(ut, "fission_fraction_correlation", len(ISOTOPES))
        ut.finish()
    t.finish()
    return Site(
        name=name,
        file=str(path),
        cores=tuple(cores),
        core_power_uncertainty=power_unc,
        fission_fraction_sigma=ff_sigma,
        fission_fraction_correlation=ff_corr,
    )


def _correlation(t: _Table, key: str, n: int) -> np.ndarray:
    raw = t.get(key, list)
    try:
        m = np.array(raw, dtype=float)
    except (TypeError, ValueError):
        t.fail(key, f"must be a {n}×{n} array of numbers")
    if m.shape != (n, n):
        t.fail(key, f"must be a {n}×{n} matrix, got shape {m.shape}")
    if not np.allclose(m, m.T) or not np.allclose(np.diag(m), 1.0) or np.any(np.abs(m) > 1):
        t.fail(key, "must be symmetric with unit diagonal and entries in [-1, 1]")
    if np.min(np.linalg.eigvalsh(m)) <= 0:
        t.fail(key, "must be positive definite")
    return m


def _bin_edges(t: _Table) -> np.ndarray:
    if t.has("edges") and t.has("segments"):
        # an override giving one form replaces the other form of the detector file
        from_override = [k for k in ("edges", "segments") if t.origin(k) is not None]
        if len(from_override) == 1:
            other = "segments" if from_override[0] == "edges" else "edges"
            t.data = {k: v for k, v in t.data.items() if k != other}
    if t.has("edges") == t.has("segments"):
        t.fail("", "give exactly one of 'edges' (explicit list) or 'segments' ([[lo, hi, width], ...])")
    if t.has("edges"):
        raw = t.get("edges", list)
        try:
            edges = np.array([float(x) for x in raw])
        except (TypeError, ValueError):
            t.fail("edges", "must be an array of numbers")
    else:
        segs = t.get("segments", list)
        parts: list[float] = []
        for i, seg in enumerate(segs):
            if not (isinstance(seg, list) and len(seg) == 3 and all(isinstance(x, int | float) for x in seg)):
                t.fail(f"segments[{i}]", "must be [lo, hi, width] in MeV")
            lo, hi, width = (float(x) for x in seg)
            if width <= 0 or hi <= lo:
                t.fail(f"segments[{i}]", f"needs lo < hi and width > 0, got {seg}")
            n = round((hi - lo) / width)
            if n < 1 or abs(n * width - (hi - lo)) > 1e-9 * max(1.0, hi):
                t.fail(f"segments[{i}]", f"width {width:g} does not divide [{lo:g}, {hi:g}]")
            if parts and abs(parts[-1] - lo) > 1e-12:
                t.fail(f"segments[{i}]", f"starts at {lo:g} but the previous segment ends at {parts[-1]:g}")
            seg_edges = lo + width * np.arange(n + 1)
            seg_edges[-1] = hi
            parts.extend(seg_edges[1:] if parts else seg_edges)
        edges = np.array(parts)
    key = "edges" if t.has("edges") else "segments"
    if len(edges) < 2:
        t.fail(key, "needs at least two bin edges")
    if not np.all(np.isfinite(edges)):
        t.fail(key, "bin edges must be finite")
    if np.any(np.diff(edges) <= 0):
        i = int(np.argmax(np.diff(edges) <= 0))
        t.fail(key, f"bin edges must be strictly increasing (edge {i + 1} = {edges[i + 1]:g} follows {edges[i]:g})")
    if edges[0] < 0:
        t.fail(key, f"bin edges must be non-negative, got {edges[0]:g}")
    t.finish()
    return edges


def _nonlinearity(t: _Table, folder: Path) -> Nonlinearity:
    model = t.choice("model", ("curves", "none"))
    source = t.get("source", str, "")
    if model == "none":
        t.finish()
        empty = np.zeros(0)
        return Nonlinearity("none", empty, empty, np.zeros((0, 0)), source)
    path = _data_file(folder, t.get("table", str), t, "table")
    nominal_col = t.get("nominal", str, "nominal")
    pull_cols = t.get("pulls", list, [])
    if not all(isinstance(p, str) for p in pull_cols):
        t.fail("pulls", "must be an array of column names")
    cols = load_csv(path, ["E_MeV", nominal_col, *pull_cols], t, "table")
    energy = cols["E_MeV"]
    if np.any(np.diff(energy) <= 0):
        t.fail("table", f"{path}: energies must be strictly increasing")
    nominal = cols[nominal_col]
    if np.any(nominal <= 0):
        t.fail("table", f"{path}: the nonlinearity must be positive")
    pulls = np.array([cols[c] for c in pull_cols]) if pull_cols else np.zeros((0, len(energy)))
    t.finish()
    return Nonlinearity("curves", energy, nominal, pulls, source)


def _background(name: str, t: _Table, folder: Path) -> Background:
    rate = t.number("rate_per_day", lo=0.0)
    rate_unc = t.number("rate_uncertainty", 0.0, lo=0.0)
    shape_unc = t.number("shape_uncertainty", 0.0, lo=0.0)
    source = t.get("source", str, "")
    shape = t.choice("shape", ("table", "histogram", "reactor", "flat"))
    extra: dict[str, Any] = {}
    if shape == "table":
        path = _data_file(folder, t.get("table", str), t, "table")
        xcol = t.get("energy_column", str, "E_vis_MeV")
        ycol = t.get("value_column", str, "rate_per_day_per_20keV")
        cols = load_csv(path, [xcol, ycol], t, "table")
        x, y = cols[xcol], cols[ycol]
        if np.any(y < 0) or np.any(x < 0):
            t.fail("table", f"{path}: energies and rates must be non-negative")
        # Digitised tables can hold unsorted and repeated abscissae: sort and average the repeats.
        order = np.argsort(x, kind="stable")
        ux, inv = np.unique(x[order], return_inverse=True)
        extra["energy"] = ux
        extra["density"] = np.bincount(inv, weights=y[order]) / np.bincount(inv)
    elif shape == "histogram":
        path = _data_file(folder, t.get("table", str), t, "table")
        vcol = t.get("value_column", str)
        values = t.choice("values", ("per_bin", "per_mev"))
        scale = t.number("value_scale", 1.0, lo=0.0, lo_open=True)
        if t.has("edge_columns") == t.has("center_width_columns"):
            t.fail("", "give exactly one of edge_columns = [lo, hi] or center_width_columns = [center, width]")
        key = "edge_columns" if t.has("edge_columns") else "center_width_columns"
        pair = t.get(key, list)
        if not (len(pair) == 2 and all(isinstance(c, str) for c in pair)):
            t.fail(key, "must name two columns")
        cols = load_csv(path, [*pair, vcol], t, "table")
        if key == "edge_columns":
            lo, hi = cols[pair[0]], cols[pair[1]]
        else:
            lo = cols[pair[0]] - 0.5 * cols[pair[1]]
            hi = cols[pair[0]] + 0.5 * cols[pair[1]]
        if np.any(hi <= lo) or np.any(lo[1:] < hi[:-1] - 1e-9):
            t.fail("table", f"{path}: histogram bins must be increasing and non-overlapping")
        val = cols[vcol] * scale
        if np.any(val < 0):
            t.fail("table", f"{path}: histogram values must be non-negative")
        extra["hist_lo"], extra["hist_hi"] = lo, hi
        extra["hist_density"] = val / (hi - lo) if values == "per_bin" else val
    elif shape == "flat":
        rng = t.get("range", list)
        if not (len(rng) == 2 and all(isinstance(v, int | float) for v in rng) and rng[0] < rng[1]):
            t.fail("range", "must be [lo, hi] in MeV with lo < hi")
        extra["flat_range"] = (float(rng[0]), float(rng[1]))
    t.finish()
    return Background(name, rate, rate_unc, shape_unc, shape, source=source, **extra)


def _detector(dname: str, dt: _Table, cfile: str) -> Detector:
    ref = dt.get("detector", str)
    dpath = _resolve_input("detector", ref, cfile, f"{dt.prefix}detector", "detector")
    sref = dt.get("site", str)
    spath = _resolve_input("spectra", sref, cfile, f"{dt.prefix}site", "site")
    override = dt.get("override", dict, {})
    site_override = dt.get("site_override", dict, {})
    dt.finish()

    data, _text = read_toml(dpath)
    origins: dict[str, tuple[str, str]] = {}
    if override:
        data = _merge(data, override, cfile, f"{dt.prefix}override", "", origins)
    t = _Table(data, str(dpath), "", origins)
    t.get("name", str, dname)
    t.get("description", str, "")
    t.get("source", str, "")
    folder = dpath.parent
    target_protons = t.number("target_protons", lo=0.0, lo_open=True)
    efficiency = t.number("efficiency", lo=0.0, lo_open=True, hi=1.0)
    duty_cycle = t.number("duty_cycle", 1.0, lo=0.0, lo_open=True, hi=1.0)
    energy_scale = t.number("energy_scale", 1.0, lo=0.5, hi=1.5)
    rt = t.table("resolution")
    res = Resolution(rt.number("a", lo=0.0, hi=1.0), rt.number("b", lo=0.0, hi=1.0), rt.number("c", lo=0.0, hi=1.0))
    rt.get("source", str, "")
    rt.finish()
    if res.a == res.b == res.c == 0.0:
        rt.fail("", "a, b and c cannot all be zero (the response needs a finite resolution)")
    unc = {"efficiency": 0.0, "energy_scale": 0.0, "resolution_a": 0.0, "resolution_b": 0.0, "resolution_c": 0.0}
    if t.has("uncertainties"):
        ut = t.table("uncertainties")
        ut.get("source", str, "")
        for k in unc:
            unc[k] = ut.number(k, 0.0, lo=0.0, hi=1.0)
        ut.finish()
    nl = _nonlinearity(t.table("nonlinearity"), folder)
    edges = _bin_edges(t.table("binning"))
    bkgs = []
    if t.has("backgrounds"):
        bt = t.table("backgrounds")
        for bname in bt.data:
            bkgs.append(_background(bname, bt.table(bname), folder))
        bt.finish()
    t.finish()
    site = _site(spath, dname, site_override, cfile, f"{dt.prefix}site_override")
    return Detector(
        name=dname,
        file=str(dpath),
        target_protons=target_protons,
        efficiency=efficiency,
        duty_cycle=duty_cycle,
        energy_scale=energy_scale,
        resolution=res,
        nonlinearity=nl,
        bin_edges=edges,
        backgrounds=tuple(bkgs),
        site=site,
        efficiency_uncertainty=unc["efficiency"],
        energy_scale_uncertainty=unc["energy_scale"],
        resolution_uncertainty=(unc["resolution_a"], unc["resolution_b"], unc["resolution_c"]),
    )


def _spectra(name: str, form: str, cfile: str, key: str) -> IsotopeSpectra:
    path = _resolve_input("spectra", name, cfile, key, "isotope-spectra model")
    data, _ = read_toml(path)
    t = _Table(data, str(path))
    t.get("name", str, name)
    t.get("description", str, "")
    folder = path.parent
    ep = t.table("exp_poly")
    ep.get("source", str, "")
    fit_max = ep.number("fit_max", 8.0, lo=2.0, hi=30.0)
    exp_poly = {}
    for iso in ISOTOPES:
        coeffs = ep.get(iso, list)
        if not (1 <= len(coeffs) <= 10 and all(isinstance(c, int | float) for c in coeffs)):
            ep.fail(iso, "must be an array of 1-10 numbers (coefficients of exp(Σ α_k E^(k-1)))")
        exp_poly[iso] = tuple(float(c) for c in coeffs)
    ep.finish()
    tab = t.table("table")
    tab.get("source", str, "")
    table_energy, table_density = {}, {}
    for iso in ISOTOPES:
        cols = load_csv(_data_file(folder, tab.get(iso, str), tab, iso), ["E_MeV", "N_density"], tab, iso)
        if np.any(np.diff(cols["E_MeV"]) <= 0) or np.any(cols["N_density"] <= 0):
            tab.fail(iso, "needs strictly increasing energies and positive spectrum values")
        table_energy[iso], table_density[iso] = cols["E_MeV"], cols["N_density"]
    tab.finish()
    et = t.table("energy_per_fission")
    et.get("source", str, "")
    epf = tuple(et.number(iso, lo=150.0, hi=250.0) for iso in ISOTOPES)
    et.finish()
    nt = t.table("nonequilibrium")
    nt.get("source", str, "")
    neq_unc = nt.number("scale_uncertainty", 0.0, lo=0.0, hi=10.0)
    neq_e, neq_c = {}, {}
    for iso in ISOTOPES:
        if nt.has(iso):
            cols = load_csv(_data_file(folder, nt.get(iso, str), nt, iso), ["E_MeV", "C"], nt, iso)
            neq_e[iso], neq_c[iso] = cols["E_MeV"], cols["C"]
    nt.finish()
    st = t.table("snf")
    st.get("source", str, "")
    snf_unc = st.number("scale_uncertainty", 0.0, lo=0.0, hi=10.0)
    scol = st.get("column", str)
    spath = _data_file(folder, st.get("table", str), st, "table")
    if scol == "mean":
        header = next(ln for ln in spath.read_text().splitlines() if ln and not ln.startswith("#"))
        names = [h for h in header.split(",") if h != "E_MeV"]
        cols = load_csv(spath, ["E_MeV", *names], st, "table")
        snf_c = np.mean([cols[n] for n in names], axis=0)
    else:
        cols = load_csv(spath, ["E_MeV", scol], st, "column")
        snf_c = cols[scol]
    snf_e = cols["E_MeV"]
    st.finish()
    shape_e = shape_s = None
    if t.has("reference_shape"):
        rt = t.table("reference_shape")
        rt.get("source", str, "")
        ecol = rt.get("energy_column", str, "E_MeV")
        vcol = rt.get("value_column", str)
        factor = {"percent": 0.01, "fraction": 1.0}[rt.choice("unit", ("percent", "fraction"))]
        cols = load_csv(_data_file(folder, rt.get("table", str), rt, "table"), [ecol, vcol], rt, "table")
        order = np.argsort(cols[ecol], kind="stable")
        shape_e, inv = np.unique(cols[ecol][order], return_inverse=True)  # digitised: sort, average repeats
        shape_s = factor * np.bincount(inv, weights=cols[vcol][order]) / np.bincount(inv)
        if np.any(shape_s < 0):
            rt.fail("table", "uncertainties must be non-negative")
        rt.finish()
    t.finish()
    return IsotopeSpectra(
        name=name,
        form=form,
        exp_poly=exp_poly,
        exp_poly_fit_max=fit_max,
        table_energy=table_energy,
        table_density=table_density,
        energy_per_fission=epf,  # type: ignore[arg-type]
        nonequilibrium_energy=neq_e,
        nonequilibrium_correction=neq_c,
        snf_energy=snf_e,
        snf_correction=snf_c,
        nonequilibrium_uncertainty=neq_unc,
        snf_uncertainty=snf_unc,
        shape_energy=shape_e,
        shape_sigma=shape_s,
    )


def _fit(t: _Table, st: _Table) -> Fit:
    statistic = t.choice("statistic", STATISTICS, "poisson")
    free = t.get("parameters", list, list(OSCILLATION_PARAMETERS))
    for name in free:
        if name not in OSCILLATION_PARAMETERS:
            t.fail(
                "parameters", f"unknown oscillation parameter {name!r} (accepted: {', '.join(OSCILLATION_PARAMETERS)})"
            )
    minos = t.get("minos", bool, True)
    retries = t.get("retries", int, 3)
    if not 0 <= retries <= 50:
        t.fail("retries", f"must be in [0, 50], got {retries}")
    constraints: dict[str, tuple[float, float]] = {}
    if t.has("constraints"):
        ct = t.table("constraints")
        for name in ct.data:
            if name not in OSCILLATION_PARAMETERS:
                ct.fail(name, f"unknown oscillation parameter (accepted: {', '.join(OSCILLATION_PARAMETERS)})")
            pair = ct.get(name, list)
            if not (len(pair) == 2 and all(isinstance(x, int | float) and not isinstance(x, bool) for x in pair)):
                ct.fail(name, "must be [mean, sigma] of an external Gaussian constraint")
            if not pair[1] > 0:
                ct.fail(name, f"sigma must be positive, got {pair[1]}")
            constraints[name] = (float(pair[0]), float(pair[1]))
        ct.finish()
    t.finish()
    systematics = {name: st.get(name, bool, True) for name in SYSTEMATICS}
    st.finish()
    return Fit(statistic, tuple(free), systematics, minos, retries, constraints)


def _shape_correction(ft: _Table, folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """Multiplicative reference-spectrum correction R(E_ν) from a table (E_MeV, ratio), relative to
    the config's folder unless a bare name under spectra/ is meant (``tables/...``)."""
    st = ft.table("shape_correction")
    st.get("source", str, "")
    name = st.get("table", str)
    path = Path(name)
    if not path.is_absolute() and not (folder / path).is_file():
        folder = input_dir("spectra")
    cols = load_csv(_data_file(folder, name, st, "table"), ["E_MeV", "ratio"], st, "table")
    if np.any(np.diff(cols["E_MeV"]) <= 0) or np.any(cols["ratio"] <= 0):
        st.fail("table", "needs strictly increasing energies and positive ratios")
    st.finish()
    return cols["E_MeV"], cols["ratio"]


def _numerics(t: _Table) -> Numerics:
    n = Numerics(
        enu_max=t.number("enu_max", 13.0, lo=2.0, hi=30.0),
        edep_bin=t.number("edep_bin", 0.005, lo=1e-4, hi=0.1),
        edep_onset=t.number("edep_onset", 0.1, lo=0.0, hi=2.0),
        edep_onset_bin=t.number("edep_onset_bin", 0.001, lo=1e-5, hi=0.1),
        edep_scale_energy=t.number("edep_scale_energy", 3.0, lo=0.0, hi=20.0),
        edep_bin_max=t.number("edep_bin_max", 0.02, lo=1e-4, hi=0.2),
        panel_nodes=int(t.number("panel_nodes", 3, lo=2, hi=12)),
        panel_phase=t.number("panel_phase", 2.0, lo=0.01, hi=3.0),
        panel_max=t.number("panel_max", 0.1, lo=0.001, hi=1.0),
        dm2_max=t.number("dm2_max", 3.0e-3, lo=1e-5, hi=1.0),
    )
    if t.has("panel_nodes") and not isinstance(t.data["panel_nodes"], int):
        t.fail("panel_nodes", "must be an integer")
    t.finish()
    return n


# --------------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------------


def resolve_config_path(name_or_path: str | Path) -> Path:
    """A config given by name (``juno_nominal``) or by path (``configs/x.toml``, ``./x.toml``)."""
    text = str(name_or_path)
    if "/" in text or text.endswith(".toml") or Path(text).is_file():
        return Path(text)
    path = input_dir("configs") / f"{text}.toml"
    if not path.is_file():
        names = ", ".join(available("configs")) or "none"
        raise ConfigError(text, "", f"unknown config name (accepted: {names}, or a path to a .toml file)")
    return path


def load_config(name_or_path: str | Path, *, exposure: str | float | None = None) -> Config:
    """Read and validate a config with everything it refers to.

    Parameters
    ----------
    name_or_path : str or Path
        A shipped config name (``"juno_nominal"``) or a path to a TOML file.
    exposure : str or float, optional
        Replaces the config's exposure ("100d", "6y" or days).
    """
    path = resolve_config_path(name_or_path)
    data, text = read_toml(path)
    cfile = str(path)
    t = _Table(data, cfile)

    et = t.table("experiment")
    name = et.get("name", str, path.stem)
    description = et.get("description", str, "")
    kind = et.choice("model", ("juno", "dayabay"), "juno")
    seed = et.get("seed", int, 20260101)
    if seed < 0:
        et.fail("seed", f"must be a non-negative integer, got {seed}")
    if kind == "dayabay":
        et.finish()
        if exposure is not None:
            raise ConfigError(
                cfile, "experiment.exposure", "a Daya Bay config takes its exposure from the data release"
            )
        from .dayabay import parse_dayabay_config

        return parse_dayabay_config(t, name, description, seed, cfile, text)
    exposure_days = parse_exposure(et.raw("exposure"), cfile, "experiment.exposure")
    et.finish()
    if exposure is not None:
        exposure_days = parse_exposure(exposure, "--exposure", "exposure")

    dets_t = t.table("detectors")
    if not dets_t.data:
        dets_t.fail("", "must define at least one detector ([detectors.NAME] with detector = ..., site = ...)")
    detectors = tuple(_detector(dname, dets_t.table(dname), cfile) for dname in dets_t.data)
    dets_t.finish()

    osc = _oscillation(t.table("oscillation"))

    ft = t.table("flux")
    form = ft.choice("form", ("exp_poly", "table"), "exp_poly")
    spectra = _spectra(ft.get("spectra", str, "huber_mueller"), form, cfile, "flux.spectra")
    flux = Flux(
        spectra=spectra,
        nonequilibrium=ft.get("nonequilibrium", bool, True),
        snf=ft.get("snf", bool, True),
        normalisation=ft.number("normalisation", 1.0, lo=0.0, lo_open=True, hi=2.0),
        normalisation_uncertainty=ft.number("normalisation_uncertainty", 0.0, lo=0.0, hi=1.0),
        shape_correction=_shape_correction(ft, path.parent) if ft.has("shape_correction") else None,
    )
    ft.finish()

    it = t.table("ibd", {})
    ibd = IBD(
        cross_section=it.choice("cross_section", ("vogel_beacom", "strumia_vissani"), "vogel_beacom"),
        # PDG 2020 (Review of Particle Physics, PTEP 2020, 083C01): τ_n = 879.4 ± 0.6 s
        neutron_lifetime=it.number("neutron_lifetime", 879.4, lo=800.0, hi=1000.0),
    )
    it.finish()

    numerics = _numerics(t.table("numerics", {}))
    fit = _fit(t.table("fit", {}), t.table("systematics", {}))
    t.finish()
    return Config(name, cfile, text, description, exposure_days, detectors, osc, flux, ibd, numerics, fit, seed)
