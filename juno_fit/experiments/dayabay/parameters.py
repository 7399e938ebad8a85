"""The parameters of the Daya Bay model from the release's parameter tables: oscillation, free spectrum,
and every systematic group, with the directions used by the covariance matrix and the priors used by the
pull terms."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...config.dayabay_file import DYB_SYSTEMATICS, DayaBayConfig
from ...config.limits import DM2_41_MAX
from ...dayabay_release import Release
from .inputs import (
    _param,
    _value_sigma,
)

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
    from ...parameters import CorrelatedBlock, Parameter, ParameterSet

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
    hypothesis_limits = {"dm2_41": (0.0, DM2_41_MAX), "sin2_theta14": (0.0, 1.0), "sigma_rel": (0.0, 1.0)}
    steps = {"dm2_41": 1e-4, "sin2_theta14": 5e-3, "sigma_rel": 1e-3}
    for name, value in cfg.oscillation.extra:
        params.append(
            Parameter(
                name,
                value,
                limits=hypothesis_limits.get(name, (None, None)),
                fixed=name not in free_osc,
                description=f"{name} ([oscillation] model = {cfg.oscillation.model})",
                step=steps.get(name, 1e-3),
            )
        )
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
