"""Expected precision: relative 1σ errors of the free oscillation parameters on Asimov data.

For each exposure the model is built with that exposure, its Asimov data set is fitted (MIGRAD from
the true point, then HESSE), once with every systematic of the config (stat+syst) and once with all
of them switched off (stat only: nuisances fixed, no bin-to-bin covariance).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from .config import SYSTEMATICS, load_config
from .datasets import asimov
from .fit import fit
from .likelihood import Likelihood, warm_model


def precision(config_name: str, exposures: list[str], progress: Callable[[str], None] | None = None) -> dict:
    """``{exposure: {parameter: {"rel": stat+syst, "rel_stat": stat only}}}`` for the free oscillation
    parameters of the config."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    for exposure in exposures:
        config = load_config(config_name, exposure=exposure)
        stat_config = dataclasses.replace(
            config, fit=dataclasses.replace(config.fit, systematics=dict.fromkeys(SYSTEMATICS, False))
        )
        row: dict[str, dict[str, float]] = {}
        for label, cfg in (("rel", config), ("rel_stat", stat_config)):
            if progress:
                progress(f"{exposure}: {'stat+syst' if label == 'rel' else 'stat only'} fit ...")
            model = warm_model(cfg)
            result = fit(Likelihood(model, asimov(model).arrays(model)), minos=[], seed=cfg.seed)
            if not result.valid:
                raise RuntimeError(f"{exposure}: the Asimov fit did not converge ({'; '.join(result.messages)})")
            for name in cfg.fit.free:
                row.setdefault(name, {})[label] = result.errors[name] / abs(result.values[name])
        out[exposure] = row
    return out
