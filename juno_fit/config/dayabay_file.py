"""The configuration of a Daya Bay analysis (``[experiment] model = "dayabay"``): which release
format, the CNP variance convention, the statistic, the free oscillation parameters and the
systematic groups; read by :func:`parse_dayabay_config` from the validated top-level table."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from .limits import DM2_41_MAX
from .objects import MODEL_FREE, MODEL_PARAMETERS

DYB_SYSTEMATICS = (
    "solar",  # sin²2θ12, Δm²21 (survival_probability_solar.yaml)
    "resolution",  # a, b, c (detector_eres.yaml)
    "nonlinearity",  # four LSNL pulls (detector_lsnl.yaml)
    "iav",  # off-diagonal IAV scale per detector (detector_iav_offdiag_scale.yaml)
    "detector_relative",  # efficiency and energy scale per detector, correlated (detector_relative.yaml)
    "energy_per_fission",  # reactor_energy_per_fission.yaml
    "thermal_power",  # reactor_thermal_power_uncertainty.yaml, per reactor
    "snf",  # reactor_snf.yaml, per reactor
    "nonequilibrium",  # reactor_nonequilibrium_correction.yaml, per reactor and isotope
    "fission_fractions",  # reactor_fission_fractions_scale.yaml, per reactor, correlated isotopes
    "background_rates",  # the five backgrounds' rate uncertainties
    "hm_correlated",  # Huber–Mueller correlated shape uncertainty (one parameter)
    "hm_uncorrelated",  # Huber–Mueller uncorrelated, per isotope and 50 keV node
)
DYB_OSCILLATION = ("sin2_2theta13", "dm2_32", "sin2_2theta12", "dm2_21")


@dataclass(frozen=True)
class DayaBayFit:
    statistic: str = "covariance"  # the CNP χ² with a systematic covariance matrix, or "pulls"
    free: tuple[str, ...] = ("sin2_2theta13", "dm2_32")
    spectrum_free: bool = True
    systematics: dict[str, bool] = field(default_factory=lambda: dict.fromkeys(DYB_SYSTEMATICS, True))
    minos: bool = True
    retries: int = 3
    constraints: dict[str, tuple[float, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class DayaBayOscillation:
    ordering: str = "normal"
    matter: str = "vacuum"  # or "knp": the Khan–Nunokawa–Parke effective parameters (arXiv:1910.12900)
    density: float = 2.45  # g/cm³ (GNA v06b, PHYSICS.md §5.7); used when matter = "knp"
    electron_fraction: float = 0.5
    model: str = "standard"  # the hypothesis of the survival probability ([oscillation] model)
    extra: tuple[tuple[str, float], ...] = ()  # true values of its own parameters

    @property
    def dm2_31(self) -> float:  # the sign of the ordering, for code that asks the JUNO config's way
        return 1.0 if self.ordering == "normal" else -1.0


@dataclass(frozen=True)
class DayaBayConfig:
    """A Daya Bay analysis: which release format, which statistic, which systematics."""

    name: str
    file: str
    text: str = field(repr=False)
    description: str = ""
    release_format: str = "hdf5"
    cnp_variance: str = "nominal"  # the CNP variance at the nominal prediction (published) or "current"
    background_sigma: str = "relative"  # "relative" (σ/R) or "official" (σ used as relative, as the model code)
    oscillation: DayaBayOscillation = field(default_factory=DayaBayOscillation)
    fit: DayaBayFit = field(default_factory=DayaBayFit)
    seed: int = 20260101
    exposure_days: float = 0.0  # not used: the release fixes the exposure
    model: str = "dayabay"

    def for_joint(self, shared: set[str]) -> DayaBayConfig:
        """This config inside a joint fit that measures the parameters ``shared`` (in this config's
        names): the solar parameters' uncertainty (the ``solar`` group) is then not applied again."""
        if not ({"sin2_2theta12", "dm2_21"} & shared) or not self.fit.systematics.get("solar"):
            return self
        systematics = {**self.fit.systematics, "solar": False}
        return dataclasses.replace(self, fit=dataclasses.replace(self.fit, systematics=systematics))

    joint_note = "the solar-parameter uncertainty (systematics group 'solar') is off: the joint fit measures them"

    def with_ordering(self, ordering: str) -> DayaBayConfig:
        return dataclasses.replace(self, oscillation=dataclasses.replace(self.oscillation, ordering=ordering))


def parse_dayabay_config(t, name: str, description: str, seed: int, cfile: str, text: str) -> DayaBayConfig:
    """The config's tables beyond [experiment] (``t`` is the validated top-level table)."""
    dt = t.table("dayabay", {})
    release_format = dt.choice("release", ("hdf5", "root"), "hdf5")
    cnp_variance = dt.choice("cnp_variance", ("nominal", "current"), "nominal")
    background_sigma = dt.choice("background_sigma", ("relative", "official"), "relative")
    ordering = dt.choice("ordering", ("normal", "inverted"), "normal")
    matter = dt.choice("matter")
    density = dt.number("density")
    electron_fraction = dt.number("electron_fraction")
    dt.finish()
    # [oscillation]: only the hypothesis and its parameters (the release gives the standard ones)
    ot = t.table("oscillation", {})
    model = ot.choice("model")
    for other, names in MODEL_PARAMETERS.items():
        for key in names:
            if key not in MODEL_PARAMETERS[model] and ot.has(key):
                ot.fail(key, f'a parameter of model = "{other}", not of model = "{model}"')
    extra = tuple((key, ot.number(key)) for key in MODEL_PARAMETERS[model])
    for key, value in extra:
        if key == "dm2_41" and not 0.0 < value <= DM2_41_MAX:
            ot.fail(key, f"must be in (0, {DM2_41_MAX:g}] eV² (beyond the mesh's resolution it is averaged per cell)")
    ot.finish()
    accepted = DYB_OSCILLATION + MODEL_PARAMETERS[model]
    ft = t.table("fit", {})
    statistic = ft.choice("statistic", ("covariance", "pulls"), "covariance")
    free = ft.get("parameters", list, ["sin2_2theta13", "dm2_32", *MODEL_FREE[model]])
    for p in free:
        if p not in accepted:
            ft.fail("parameters", f"unknown oscillation parameter {p!r} (accepted: {', '.join(accepted)})")
    spectrum = ft.choice("spectrum", ("free", "fixed"), "free")
    minos = ft.get("minos", bool, True)
    retries = ft.get("retries", int, 3)
    if not 0 <= retries <= 50:
        ft.fail("retries", f"must be in [0, 50], got {retries}")
    ft.finish()
    st = t.table("systematics", {})
    systematics = {s: st.get(s, bool, True) for s in DYB_SYSTEMATICS}
    st.finish()
    t.finish()
    fit = DayaBayFit(statistic, tuple(free), spectrum == "free", systematics, minos, retries, {})
    return DayaBayConfig(
        name,
        cfile,
        text,
        description,
        release_format,
        cnp_variance,
        background_sigma,
        DayaBayOscillation(ordering, matter, density, electron_fraction, model, extra),
        fit,
        seed,
    )
