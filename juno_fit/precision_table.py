"""Expected precision: relative 1σ errors of the free oscillation parameters on Asimov data.

For each exposure the model is built with that exposure, its Asimov data set is fitted (MIGRAD from
the true point, then HESSE), once with every systematic of the config (stat+syst) and once with all
of them switched off (stat only: nuisances fixed, no bin-to-bin covariance).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from .config import SYSTEMATICS, Config, load_config, parse_exposure
from .datasets import asimov_arrays
from .errors import ConfigError
from .fitting import fit
from .likelihood import Likelihood, warm_model


def precision_point(config: Config) -> dict[str, float]:
    """Relative 1σ errors of the free oscillation parameters from the Asimov fit of ``config``."""
    model = warm_model(config)
    result = fit(Likelihood(model, asimov_arrays(model)), minos=[], seed=config.seed)
    if not result.valid:
        raise RuntimeError(f"{config.name}: the Asimov fit did not converge ({'; '.join(result.messages)})")
    names = getattr(model, "oscillation_names", None) or config.fit.free
    # free parameters with a non-zero value (a relative error of sin²θ14 = 0 means nothing)
    return {
        name: result.errors[name] / abs(result.values[name])
        for name in names
        if name in result.free and result.values[name]
    }


def joint_precision(config, progress: Callable[[int, int], None] | None = None, *, client=None) -> dict:
    """The table of :func:`precision` for a joint config (juno_fit/joint.py) at its parts' own exposures,
    labelled "own": stat+syst, and stat only (every part's systematics off)."""
    tasks = [("rel", config), ("rel_stat", config.stat_only())]
    if client is None:
        rows = []
        for k, (_, cfg) in enumerate(tasks):
            rows.append(precision_point(cfg))
            if progress:
                progress(k + 1, len(tasks))
    else:
        from .parallel import dask_map

        rows = dask_map(precision_point, [(cfg,) for _, cfg in tasks], client=client, progress=progress)
    out: dict[str, dict[str, float]] = {}
    for (label, _), row in zip(tasks, rows, strict=True):
        for name, rel in row.items():
            out.setdefault(name, {})[label] = rel
    return {"own": out}


def precision(
    config: str | Config,
    exposures: list[str],
    progress: Callable[[int, int], None] | None = None,
    *,
    client=None,
) -> dict:
    """``{exposure: {parameter: {"rel": stat+syst, "rel_stat": stat only}}}`` for the free oscillation
    parameters of the config (a name, a path or a loaded :class:`~juno_fit.config.Config`) at each
    exposure ("100d", "6y" or days); with a Dask ``client`` each fit is a task."""
    base = load_config(config) if isinstance(config, str) else config
    if not hasattr(base, "detectors"):  # Daya Bay: the release fixes the exposure
        raise ConfigError(
            base.file, "experiment.exposure", "a Daya Bay config takes its exposure from the data release"
        )
    tasks: list[tuple[str, str, Config]] = []
    for exposure in exposures:
        at = dataclasses.replace(base, exposure_days=parse_exposure(exposure, "--exposure", "exposure"))
        stat_config = dataclasses.replace(
            at, fit=dataclasses.replace(at.fit, systematics=dict.fromkeys(SYSTEMATICS, False))
        )
        tasks += [(exposure, "rel", at), (exposure, "rel_stat", stat_config)]
    if client is None:
        rows = []
        for k, (_, _, cfg) in enumerate(tasks):
            rows.append(precision_point(cfg))
            if progress:
                progress(k + 1, len(tasks))
    else:
        from .parallel import dask_map

        rows = dask_map(precision_point, [(cfg,) for _, _, cfg in tasks], client=client, progress=progress)
    out: dict[str, dict[str, dict[str, float]]] = {}
    for (exposure, label, _), row in zip(tasks, rows, strict=True):
        for name, rel in row.items():
            out.setdefault(exposure, {}).setdefault(name, {})[label] = rel
    return out
