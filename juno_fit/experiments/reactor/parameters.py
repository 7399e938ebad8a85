"""The parameter registry of the JUNO-like reactor model (:mod:`juno_fit.experiments.reactor.model`): the oscillation
parameters with their external constraints, and every nuisance parameter the model reads, at the
config's nominal point, with the priors of the uncertainties switched on in ``[systematics]`` (the
others held fixed). Names follow DESIGN.md §3: ``flux.norm``, ``flux.ref.pcK``, ``flux.shape.K``, ``flux.core.<core>``,
``flux.ff.<core>.<isotope>``, ``det.eff``, ``det.escale``, ``det.lsnl.pullK``, ``det.res.{a,b,c}``,
``bkg.<name>.rate`` (``det.<detector>.`` and ``bkg.<detector>.`` when a config has several detectors)."""

from __future__ import annotations

import numpy as np

from ...config import ISOTOPES, Config, Detector
from ...config.limits import DM2_41_MAX
from ...parameters import CorrelatedBlock, Parameter, ParameterSet


def detector_prefix(config: Config, det: Detector) -> str:
    """ "det." for a single-detector config, "det.<NAME>." otherwise."""
    return "det." if len(config.detectors) == 1 else f"det.{det.name}."


def background_prefix(config: Config, det: Detector) -> str:
    return "bkg." if len(config.detectors) == 1 else f"bkg.{det.name}."


def build_parameters(config: Config) -> ParameterSet:
    """The registry of every parameter the model reads, at the config's nominal (true) point, with
    the priors of the uncertainties switched on in ``[systematics]`` (others held fixed)."""
    osc = config.oscillation
    on = config.fit.systematics
    free = set(config.fit.free)

    # the covariance treatment keeps the nuisances at their nominal values (fixed) and the likelihood
    # turns their priors into a covariance matrix of the expected counts
    held = {"fixed": True} if config.fit.treatment == "covariance" else {}

    def prior(switch: str, sigma: float) -> dict:
        """Gaussian prior of width sigma when the systematic is on and has a size, else fixed."""
        return {"error": sigma, **held} if on[switch] and sigma > 0 else {"fixed": True}

    dm2_max = config.numerics.dm2_max  # the E_ν grid resolves oscillations up to it (config/checks.py)
    descriptions = {
        "sin2_theta12": ("sin²θ12", (0.0, 1.0)),
        "sin2_theta13": ("sin²θ13", (0.0, 1.0)),
        "dm2_21": ("Δm²21 [eV²]", (0.0, dm2_max)),
        "dm2_31": ("Δm²31 [eV²] (negative: inverted ordering)", (-dm2_max, dm2_max)),
    }
    params = []
    for name, (text, limits) in descriptions.items():
        constraint = config.fit.constraints.get(name)  # an external measurement: Gaussian prior
        prior_terms = {"error": constraint[1], "prior_mean": constraint[0]} if constraint else {}
        params.append(
            Parameter(name, getattr(osc, name), limits=limits, fixed=name not in free, description=text, **prior_terms)
        )
    # the hypothesis' own parameters ([oscillation] model): (description, limits, first MIGRAD step)
    extras = {
        "dm2_41": ("Δm²41 [eV²] (sterile)", (0.0, DM2_41_MAX), 1e-5),
        "sin2_theta14": ("sin²θ14 = |U_e4|² (sterile)", (0.0, 1.0), 5e-3),
        "sigma_rel": ("σ_rel = σ_p/p (wave-packet decoherence)", (0.0, 1.0), 1e-3),
        "eta_ee": ("η_ee (scalar NSI)", (-1.0, 1.0), 1e-3),
        "lightest_mass": ("lightest neutrino mass [eV] (scalar NSI)", (0.0, 1.0), 1e-3),
    }
    for name, value in osc.extra:
        text, limits, step = extras[name]
        constraint = config.fit.constraints.get(name)
        prior_terms = {"error": constraint[1], "prior_mean": constraint[0]} if constraint else {}
        params.append(
            Parameter(name, value, limits=limits, fixed=name not in free, description=text, step=step, **prior_terms)
        )
    blocks: list[CorrelatedBlock] = []
    if osc.matter != "vacuum":
        params.append(
            Parameter(
                "matter.density",
                osc.density,
                limits=(0.0, None),
                description="matter density [g/cm³]",
                **prior("matter_density", osc.density_uncertainty),
            )
        )
    params.append(
        Parameter(
            "flux.norm",
            1.0,
            limits=(0.0, None),
            description="reactor flux scale",
            **prior("flux_normalisation", config.flux.normalisation_uncertainty),
        )
    )
    spectra = config.flux.spectra
    if config.flux.snf:
        params.append(
            Parameter(
                "flux.snf", 1.0, description="spent-fuel correction scale", **prior("snf", spectra.snf_uncertainty)
            )
        )
    if config.flux.nonequilibrium:
        params.append(
            Parameter(
                "flux.noneq",
                1.0,
                description="non-equilibrium correction scale",
                **prior("nonequilibrium", spectra.nonequilibrium_uncertainty),
            )
        )
    ref = config.flux.reference_covariance
    if ref is not None:
        for k in range(ref.modes().shape[1]):
            params.append(
                Parameter(
                    f"flux.ref.pc{k}",
                    0.0,
                    description=f"reference spectrum, eigenmode {k} of its measured covariance (unit prior)",
                    **prior("reference_spectrum", 1.0),
                )
            )
    shape = config.flux.free_shape
    if shape is not None:
        width = {"error": shape.uncertainty} if shape.uncertainty > 0 else {}
        for k, e in enumerate(shape.nodes):
            params.append(
                Parameter(
                    f"flux.shape.{k}",
                    0.0,
                    limits=(-1.0, None),
                    fixed=not on["free_shape"],
                    description=f"reference-spectrum shape weight at E_ν = {e:.3f} MeV (free mesh)",
                    step=0.01,
                    **width,
                )
            )
    seen: set[str] = set()
    for det in config.detectors:
        site = det.site
        for core in site.cores:
            if core.name in seen:
                continue
            seen.add(core.name)
            params.append(
                Parameter(
                    f"flux.core.{core.name}",
                    1.0,
                    limits=(0.0, None),
                    description=f"{core.label} flux scale",
                    **prior("core_power", site.core_power_uncertainty),
                )
            )
            names = tuple(f"flux.ff.{core.name}.{iso}" for iso in ISOTOPES)
            sigma = np.asarray(site.fission_fraction_sigma)
            use = on["fission_fractions"] and np.all(sigma > 0)
            for name, iso in zip(names, ISOTOPES, strict=True):
                params.append(
                    Parameter(
                        name,
                        0.0,
                        limits=(-1.0, None),
                        fixed=not use or bool(held),
                        description=f"{core.label} {iso} fission fraction, relative shift",
                    )
                )
            if use:
                cov = site.fission_fraction_correlation * np.outer(sigma, sigma)
                blocks.append(CorrelatedBlock(names, np.zeros(len(names)), cov))
    for det in config.detectors:
        d = detector_prefix(config, det)
        params.append(
            Parameter(
                f"{d}eff",
                1.0,
                limits=(0.0, None),
                description=f"{det.name} efficiency scale",
                **prior("efficiency", det.efficiency_uncertainty),
            )
        )
        params.append(
            Parameter(
                f"{d}escale",
                det.energy_scale,
                limits=(0.5, 1.5),
                description=f"{det.name} energy scale",
                **prior("energy_scale", det.energy_scale_uncertainty * det.energy_scale),
            )
        )
        for k in range(len(det.nonlinearity.pulls)):
            params.append(
                Parameter(
                    f"{d}lsnl.pull{k}", 0.0, description=f"{det.name} LSNL pull {k}", **prior("nonlinearity", 1.0)
                )
            )
        res = det.resolution
        for term, value, sigma in zip("abc", (res.a, res.b, res.c), det.resolution_uncertainty, strict=True):
            params.append(
                Parameter(
                    f"{d}res.{term}",
                    value,
                    limits=(0.0, None),
                    description=f"{det.name} resolution term {term}",
                    **prior("resolution", sigma),
                )
            )
        b = background_prefix(config, det)
        for bkg in det.backgrounds:
            params.append(
                Parameter(
                    f"{b}{bkg.name}.rate",
                    1.0,
                    limits=(0.0, None),
                    description=f"{det.name} {bkg.name} rate scale",
                    **prior("background_rates", bkg.rate_uncertainty),
                )
            )
    return ParameterSet(params, blocks)
