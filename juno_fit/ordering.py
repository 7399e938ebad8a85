"""The neutrino mass-ordering test on Asimov data.

For each exposure the Asimov data set of the config's true point (its true ordering is the sign of
``dm2_31``) is fitted twice: under the true ordering, started at the truth, and under the wrong
ordering, with the sign of Δm²31 held by a limit and MIGRAD started from several Δm²31 values around
the wrong-ordering value that keeps |Δm²ee| (Δm²31' = −Δm²31 + 2 sin²θ12 Δm²21), since the
wrong-ordering χ² has several local minima. Δχ²_NMO = χ²_min(wrong) − χ²_min(true); the median
sensitivity is √Δχ²_NMO (Asimov).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from .config import Config
from .datasets import asimov_arrays
from .fitting import FitResult, fit
from .likelihood import Likelihood, warm_model

# Starting points of the wrong-ordering fits, relative to the |Δm²ee|-preserving value: ±1.5 % in
# steps of 0.3 % (the local minima are about 0.5 % apart at 6 years).
WRONG_STARTS = tuple(np.round(np.arange(-0.015, 0.0151, 0.003), 4))


def wrong_ordering_start(values: dict[str, float]) -> float:
    """Δm²31 of the other ordering with the same |Δm²ee| = |Δm²31 − sin²θ12 Δm²21|."""
    return -values["dm2_31"] + 2.0 * values["sin2_theta12"] * values["dm2_21"]


def wrong_ordering_fit(
    lik: Likelihood, true_fit: FitResult, true_sign: float, *, starts: tuple[float, ...] = WRONG_STARTS
) -> FitResult:
    """The best fit under the other ordering (the sign of Δm²31 held by a limit), MIGRAD started from
    the other nuisances of ``true_fit`` and Δm²31 at ``starts`` around the |Δm²ee|-preserving value."""
    params = lik.model.parameters
    theta = np.array([true_fit.values[n] for n in params.names])
    centre = wrong_ordering_start(true_fit.values)
    top = lik.model.config.numerics.dm2_max  # the grid resolves |Δm²31| up to it
    wrong_bound = {"dm2_31": (-top, 0.0)} if true_sign > 0 else {"dm2_31": (0.0, top)}
    best: FitResult | None = None
    for offset in starts:
        start = theta.copy()
        start[params.index("dm2_31")] = centre * (1.0 + offset)
        result = fit(lik, start=start, minos=[], limits=wrong_bound, hesse=False)
        if (
            best is None
            or (result.valid and not best.valid)
            or (result.valid == best.valid and result.fval < best.fval)
        ):
            best = result
    assert best is not None
    return best


def ordering_fits(config: Config, *, starts: tuple[float, ...] = WRONG_STARTS) -> tuple[FitResult, FitResult]:
    """(true-ordering fit, best wrong-ordering fit) of the Asimov data of ``config``."""
    model = warm_model(config)
    lik = Likelihood(model, asimov_arrays(model))
    true_sign = float(np.sign(config.oscillation.dm2_31))
    top = config.numerics.dm2_max
    bound = {"dm2_31": (0.0, top)} if true_sign > 0 else {"dm2_31": (-top, 0.0)}
    true_fit = fit(lik, minos=[], limits=bound)
    return true_fit, wrong_ordering_fit(lik, true_fit, true_sign, starts=starts)


def nmo_point(days: float | None, config: Config) -> dict:
    """Δχ²_NMO of the Asimov data of ``config`` at ``days`` (one task of :func:`nmo_sensitivity`)."""
    # days None: the config's own exposure (a joint config keeps each part's)
    true_fit, wrong = ordering_fits(config if days is None else dataclasses.replace(config, exposure_days=days))
    dchi2 = wrong.fval - true_fit.fval
    return {
        "dchi2": float(dchi2),
        "sigma": float(np.sqrt(max(dchi2, 0.0))),
        "dm2_31_wrong": float(wrong.values["dm2_31"]),
        "dm2_31_true_fit": float(true_fit.values["dm2_31"]),
        "valid": bool(true_fit.valid and wrong.valid),
    }


def nmo_sensitivity(
    config: Config,
    exposures: list[float],
    *,
    progress: Callable[[int, int], None] | None = None,
    client=None,
) -> dict:
    """``{"true_ordering": ..., "exposures": {days: {"dchi2", "sigma", "dm2_31_wrong", ...}}}`` for
    exposures given in days; with a Dask ``client`` each exposure is a task."""
    if client is None:
        points = []
        for k, days in enumerate(exposures):
            points.append(nmo_point(days, config))
            if progress:
                progress(k + 1, len(exposures))
    else:
        from .parallel import dask_map

        points = dask_map(
            nmo_point, [(d,) for d in exposures], client=client, shared={"config": config}, progress=progress
        )
    return {"true_ordering": config.oscillation.ordering, "exposures": dict(zip(exposures, points, strict=True))}
