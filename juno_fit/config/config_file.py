"""Config files (``configs/*.toml``): the experiment, its detectors, the true oscillation
parameters, the flux model, the IBD cross section, the numerical settings, the fit and the
systematics switches; :func:`load_config` reads one with everything it refers to."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..resources import input_dir
from . import checks, rules
from .dayabay_file import parse_dayabay_config
from .detector_file import read_detector
from .inputs import data_file, load_csv, resolve_config_path
from .objects import (
    DERIVED_QUANTITIES,
    IBD,
    MODEL_FREE,
    MODEL_PARAMETERS,
    OSCILLATION_PARAMETERS,
    STATISTICS,
    SYSTEMATICS,
    Config,
    Fit,
    Flux,
    FreeShape,
    Numerics,
    Oscillation,
)
from .reading import Table, is_real, parse_exposure, read_toml
from .reference_file import read_reference_covariance
from .spectra_file import read_spectra


def _model_parameters(t: Table, model: str) -> tuple[tuple[str, float], ...]:
    """The true values of the hypothesis' own parameters; a key of another hypothesis is refused."""
    own = MODEL_PARAMETERS[model]
    for other, names in MODEL_PARAMETERS.items():
        for name in names:
            if name not in own and t.has(name):
                t.fail(name, f'a parameter of model = "{other}", not of model = "{model}"')
    return tuple((name, t.number(name)) for name in own)


def read_oscillation(t: Table) -> Oscillation:
    model = t.choice("model")
    osc = Oscillation(
        sin2_theta12=t.number("sin2_theta12"),
        sin2_theta13=t.number("sin2_theta13"),
        dm2_21=t.number("dm2_21"),
        dm2_31=t.number("dm2_31"),
        matter=t.choice("matter"),
        density=t.number("density"),
        electron_fraction=t.number("electron_fraction"),
        density_uncertainty=t.number("density_uncertainty"),
        model=model,
        extra=_model_parameters(t, model),
    )
    if osc.dm2_31 == 0.0:
        t.fail("dm2_31", "must be non-zero (its sign selects the ordering: > 0 normal, < 0 inverted)")
    if abs(osc.dm2_31) <= osc.dm2_21:
        t.fail("dm2_31", f"|dm2_31| must exceed dm2_21 = {osc.dm2_21:g}, got {osc.dm2_31:g}")
    t.finish()
    return osc


def _constraints(ct: Table, names: tuple[str, ...]) -> dict[str, tuple[float, float]]:
    """External Gaussian priors NAME = [mean, σ] on the oscillation parameters ``names``: a finite mean
    in the parameter's accepted range, a finite σ in (0, width of that range]."""
    out: dict[str, tuple[float, float]] = {}
    for name in ct.data:
        if name not in names and name not in DERIVED_QUANTITIES:
            accepted = ", ".join((*names, *DERIVED_QUANTITIES))
            ct.fail(name, f"unknown oscillation parameter or derived quantity (accepted: {accepted})")
        pair = ct.get(name, list)
        if not (len(pair) == 2 and all(is_real(x) for x in pair)):
            ct.fail(name, "must be [mean, sigma] of an external Gaussian constraint")
        mean, sigma = float(pair[0]), float(pair[1])
        if name in DERIVED_QUANTITIES:  # on the magnitude |q|
            if not (math.isfinite(mean) and math.isfinite(sigma) and 0.0 < sigma <= mean <= 1.0):
                ct.fail(name, f"needs 0 < sigma ≤ mean ≤ 1 (a constraint on |{name}|), got [{mean:g}, {sigma:g}]")
            out[name] = (mean, sigma)
            continue
        r = rules.PARAMETER_RULES[name]
        width = r.hi - r.lo
        if not r.accepts(mean):
            ct.fail(name, f"the mean must be a finite number in {r.interval()} (the parameter's range), got {mean:g}")
        if not (math.isfinite(sigma) and 0.0 < sigma <= width):
            ct.fail(name, f"sigma must be a finite number in (0, {width:g}], got {sigma:g}")
        if sigma < rules.MIN_PRIOR_WIDTH * abs(mean):
            ct.fail(
                name,
                f"sigma must be at least {rules.MIN_PRIOR_WIDTH:g} × |mean| = {rules.MIN_PRIOR_WIDTH * abs(mean):g} "
                f"(a narrower prior fixes the parameter; remove it from [fit] parameters instead), got {sigma:g}",
            )
        out[name] = (mean, sigma)
    ct.finish()
    return out


def read_fit(t: Table, st: Table, model: str = "standard") -> Fit:
    statistic = t.choice("statistic", STATISTICS)
    names = OSCILLATION_PARAMETERS + MODEL_PARAMETERS[model]
    free = t.get("parameters", list, list(OSCILLATION_PARAMETERS + MODEL_FREE[model]))
    for name in free:
        if name not in names:
            shown = name if isinstance(name, str) and len(name) <= 40 else "an entry"
            t.fail("parameters", f"unknown oscillation parameter {shown!r} (accepted: {', '.join(names)})")
    if len(set(free)) != len(free):
        t.fail("parameters", "names a parameter twice")
    minos = t.get("minos", bool)
    retries = t.integer("retries")
    constraints = _constraints(t.table("constraints"), names) if t.has("constraints") else {}
    dt = t.table("derived", {})
    derived_inputs = {"sin2_theta23": dt.number("sin2_theta23"), "delta_cp": dt.number("delta_cp")}
    dt.finish()
    treatment = t.choice("treatment")
    if treatment == "covariance" and statistic == "poisson":
        t.fail("treatment", 'a covariance matrix needs a χ² statistic: set statistic = "cnp", "pearson" or "neyman"')
    t.finish()
    systematics = {name: st.get(name, bool, True) for name in SYSTEMATICS}
    st.finish()
    return Fit(statistic, tuple(free), systematics, minos, retries, constraints, treatment, derived_inputs)


def _shape_correction(ft: Table, folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """Multiplicative reference-spectrum correction R(E_ν) from a table (E_MeV, ratio), relative to
    the config's folder unless a bare name under spectra/ is meant (``tables/...``)."""
    st = ft.table("shape_correction")
    st.text("source")
    name = st.string("table")
    path = Path(name)
    if not path.is_absolute() and not (folder / path).is_file():
        folder = input_dir("spectra")
    cols = load_csv(data_file(folder, name, st, "table"), ["E_MeV", "ratio"], st, "table")
    if np.any(np.diff(cols["E_MeV"]) <= 0) or np.any(cols["ratio"] <= 0):
        st.fail("table", "needs strictly increasing energies and positive ratios")
    st.finish()
    return cols["E_MeV"], cols["ratio"]


MAX_SHAPE_NODES = 1000  # free reference-shape weights (each a fit parameter)


def _free_shape(ft: Table) -> FreeShape:
    """``[flux.free_shape]``: the E_ν mesh start, stop (included) and step, and the weights' prior width."""
    st = ft.table("free_shape")
    source = st.text("source")
    start, stop, step = st.number("start"), st.number("stop"), st.number("step")
    if stop <= start:
        st.fail("stop", f"must be above start ({start:g} MeV), got {stop:g}")
    n = round((stop - start) / step) + 1
    if n > MAX_SHAPE_NODES:
        st.fail("step", f"gives {n} nodes (at most {MAX_SHAPE_NODES}): use a coarser step")
    if abs(start + (n - 1) * step - stop) > 1e-9 * max(1.0, stop):
        st.fail("step", f"must divide stop − start = {stop - start:g} MeV into whole steps, got {step:g}")
    uncertainty = st.number("uncertainty")
    if 0.0 < uncertainty < 1e-6:
        st.fail("uncertainty", f"must be 0 (free) or at least 1e-6 (narrower priors overflow), got {uncertainty:g}")
    st.finish()
    return FreeShape(tuple(float(x) for x in start + step * np.arange(n)), uncertainty, source)


def read_numerics(t: Table) -> Numerics:
    n = Numerics(
        enu_max=t.number("enu_max"),
        edep_bin=t.number("edep_bin"),
        edep_onset=t.number("edep_onset"),
        edep_onset_bin=t.number("edep_onset_bin"),
        edep_scale_energy=t.number("edep_scale_energy"),
        edep_bin_max=t.number("edep_bin_max"),
        panel_nodes=t.integer("panel_nodes"),
        panel_phase=t.number("panel_phase"),
        panel_max=t.number("panel_max"),
        dm2_max=t.number("dm2_max"),
    )
    t.finish()
    return n


def _overridden(data: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """``data`` with the tables and keys of ``overrides`` merged in (a table into a table, key by key)."""
    out = dict(data)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _overridden(out[key], value)
        else:
            out[key] = value
    return out


def load_config(
    name_or_path: str | Path, *, exposure: str | float | None = None, overrides: dict[str, Any] | None = None
) -> Config:
    """Read and validate a config with everything it refers to.

    Parameters
    ----------
    name_or_path : str or Path
        A shipped config name (``"juno_nominal"``) or a path to a TOML file.
    exposure : str or float, optional
        Replaces the config's exposure ("100d", "6y" or days).
    overrides : dict, optional
        Tables and keys merged into the file's before it is validated, e.g. ``{"fit": {"statistic":
        "cnp"}, "oscillation": {"dm2_31": 2.5e-3}}``; validated like the file's own (an error names the
        key). The config's text (its provenance in data sets and results) records them as a comment.

    Raises
    ------
    ConfigError
        Naming the file, the key and the accepted values, for any value the model cannot represent.
    """
    path = resolve_config_path(name_or_path)
    data, text = read_toml(path)
    cfile = str(path)
    if overrides:
        data = _overridden(data, overrides)
        text += "\n# overrides given to load_config: " + json.dumps(overrides, default=str) + "\n"
    t = Table(data, cfile, "", None, "config")

    et = t.table("experiment")
    name = et.name("name", path.stem)
    description = et.text("description")
    kind = et.choice("model")
    seed = et.integer("seed")
    if kind == "dayabay":
        et.finish()
        if exposure is not None:
            raise ConfigError(
                cfile, "experiment.exposure", "a Daya Bay config takes its exposure from the data release"
            )
        return parse_dayabay_config(t, name, description, seed, cfile, text)
    exposure_days = parse_exposure(et.raw("exposure"), cfile, "experiment.exposure")
    et.finish()
    if exposure is not None:
        exposure_days = parse_exposure(exposure, "--exposure", "exposure")

    dets_t = t.table("detectors")
    if not dets_t.data:
        dets_t.fail("", "must define at least one detector ([detectors.NAME] with detector = ..., site = ...)")
    detectors = tuple(read_detector(dname, dets_t.table(dname), cfile) for dname in dets_t.names())
    dets_t.finish()

    osc = read_oscillation(t.table("oscillation"))

    ft = t.table("flux")
    form = ft.choice("form")
    spectra = read_spectra(ft.string("spectra"), form, cfile, "flux.spectra")
    flux = Flux(
        spectra=spectra,
        nonequilibrium=ft.get("nonequilibrium", bool),
        snf=ft.get("snf", bool),
        normalisation=ft.number("normalisation"),
        normalisation_uncertainty=ft.number("normalisation_uncertainty"),
        shape_correction=_shape_correction(ft, path.parent) if ft.has("shape_correction") else None,
        reference_covariance=(read_reference_covariance(ft, path.parent) if ft.has("reference_covariance") else None),
        free_shape=_free_shape(ft) if ft.has("free_shape") else None,
    )
    ft.finish()

    it = t.table("ibd", {})
    ibd = IBD(cross_section=it.choice("cross_section"), neutron_lifetime=it.number("neutron_lifetime"))
    it.finish()

    numerics = read_numerics(t.table("numerics", {}))
    fit = read_fit(t.table("fit", {}), t.table("systematics", {}), osc.model)
    t.finish()
    checks.check_oscillation(osc, fit, numerics, cfile)
    checks.check_sizes(detectors, numerics, cfile)
    return Config(name, cfile, text, description, exposure_days, detectors, osc, flux, ibd, numerics, fit, seed)
