"""Critical values, Feldman–Cousins intervals and regions, and coverage from a Neyman construction
(:mod:`juno_fit.neyman`), with Wilks' intervals beside them.

- Critical value at CL α of a point: the α-quantile of its toys' Δχ² (``numpy.quantile``, linear
  interpolation between order statistics); its uncertainty: half the distance between the order
  statistics at ranks nα ± √(nα(1 − α)) (the binomial 1σ spread of the number of toys below it).
- One parameter: the points with Δχ²_data ≤ Δχ²_c form the interval; its ends are where
  f = Δχ²_data − Δχ²_c crosses 0, linearly interpolated between grid points (a union of intervals when
  the accepted set is not connected; an end on the grid's edge is reported as the edge, ``open``).
- Two parameters: the region f ≤ 0, its area from f bilinearly interpolated on a grid 10 times finer,
  and its contour lines (marching squares).
- Wilks: Δχ²_c = the χ² quantile with 1 (2) degrees of freedom.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy.interpolate import RegularGridInterpolator
from scipy.stats import chi2

from .errors import JunoFitError
from .neyman import CONSTRUCTION, LEVELS, Construction, read_construction, run_construction


def critical_values(c: Construction) -> dict[str, Any]:
    """Per CL: the critical value and its binomial uncertainty per point, and the toys per point."""
    n_points = len(c.spec.points)
    samples = [np.sort(s) for s in c.toys_by_point()]
    counts = np.array([len(s) for s in samples])
    out: dict[str, Any] = {"critical": {}, "critical_error": {}, "toys_per_point": counts}
    for label, alpha in LEVELS.items():
        crit = np.full(n_points, np.nan)
        err = np.full(n_points, np.nan)
        for p, s in enumerate(samples):
            n = len(s)
            if n == 0:
                continue
            crit[p] = float(np.quantile(s, alpha))
            spread = np.sqrt(n * alpha * (1.0 - alpha))
            lo = s[int(np.clip(np.floor(n * alpha - spread), 0, n - 1))]
            hi = s[int(np.clip(np.ceil(n * alpha + spread), 0, n - 1))]
            err[p] = 0.5 * (hi - lo)
        out["critical"][label] = crit
        out["critical_error"][label] = err
    return out


def intervals_1d(x: np.ndarray, f: np.ndarray) -> list[dict[str, Any]]:
    """The intervals where f ≤ 0 on the grid x (module docstring)."""
    inside = f <= 0
    out = []
    i = 0
    while i < len(x):
        if not inside[i]:
            i += 1
            continue
        j = i
        while j + 1 < len(x) and inside[j + 1]:
            j += 1

        def cross(a: int, b: int) -> float:
            return float(x[a] + (0.0 - f[a]) * (x[b] - x[a]) / (f[b] - f[a]))

        lo = cross(i - 1, i) if i > 0 else float(x[0])
        hi = cross(j, j + 1) if j + 1 < len(x) else float(x[-1])
        out.append({"interval": [lo, hi], "open_low": i == 0, "open_high": j + 1 == len(x)})
        i = j + 1
    return out


def region_area(x: np.ndarray, y: np.ndarray, f: np.ndarray, refine: int = 10) -> float:
    """Area of {f ≤ 0} with f bilinearly interpolated on a grid ``refine`` times finer."""
    xf = np.linspace(x[0], x[-1], (len(x) - 1) * refine + 1)
    yf = np.linspace(y[0], y[-1], (len(y) - 1) * refine + 1)
    interp = RegularGridInterpolator((x, y), f, method="linear")
    xc, yc = 0.5 * (xf[1:] + xf[:-1]), 0.5 * (yf[1:] + yf[:-1])
    gx, gy = np.meshgrid(xc, yc, indexing="ij")
    values = interp(np.stack([gx.ravel(), gy.ravel()], axis=1))
    return float(np.count_nonzero(values <= 0) * (xf[1] - xf[0]) * (yf[1] - yf[0]))


def analyse(c: Construction) -> dict[str, Any]:
    """The ``--json`` document of ``juno-fit fc``: grid, critical values with their errors, Δχ² of the
    data, FC and Wilks intervals (1D) or regions with areas and contour lines (2D)."""
    from .fitting import contour_lines

    crit = critical_values(c)
    ndim = len(c.spec.params)
    dchi2 = np.asarray(c.data.dchi2, dtype=float)
    doc: dict[str, Any] = {
        "params": list(c.spec.params),
        "points": c.spec.points.tolist() if ndim == 2 else list(c.spec.grid[0]),
        "grid": {n: list(g) for n, g in zip(c.spec.params, c.spec.grid, strict=True)},
        "critical": {k: v.tolist() for k, v in crit["critical"].items()},
        "critical_error": {k: v.tolist() for k, v in crit["critical_error"].items()},
        "dchi2_data": dchi2.tolist(),
        "best_fit": {n: float(c.data.theta_global[c.spec.parameters.index(n)]) for n in c.spec.params},
        "toys_per_point": {"min": int(crit["toys_per_point"].min()), "max": int(crit["toys_per_point"].max())},
        "construction": CONSTRUCTION
        + ("; nuisance parameters thrown from their priors" if c.spec.throw_nuisances else ""),
        "intervals" if ndim == 1 else "regions": {},
    }
    for label, alpha in LEVELS.items():
        fc = dchi2 - crit["critical"][label]
        wilks = dchi2 - chi2.ppf(alpha, ndim)
        if ndim == 1:
            x = np.array(c.spec.grid[0])
            doc["intervals"][label] = {
                "fc": intervals_1d(x, fc),
                "wilks": intervals_1d(x, wilks),
                "wilks_critical": float(chi2.ppf(alpha, 1)),
            }
        else:
            x, y = (np.array(g) for g in c.spec.grid)
            shape = c.spec.shape
            doc["regions"][label] = {
                "fc_area": region_area(x, y, fc.reshape(shape)),
                "wilks_area": region_area(x, y, wilks.reshape(shape)),
                "wilks_critical": float(chi2.ppf(alpha, 2)),
                "fc_lines": [line.tolist() for line in contour_lines(x, y, fc.reshape(shape), 0.0)],
                "wilks_lines": [line.tolist() for line in contour_lines(x, y, wilks.reshape(shape), 0.0)],
            }
    return doc


def coverage(construction: Construction, trials: Construction) -> dict[str, Any]:
    """Coverage at each point of ``trials`` (toys at the same points, usually with the nuisance parameters
    thrown): the fraction of its toys with Δχ² ≤ the construction's critical value (FC) and ≤ the χ²
    quantile (Wilks), each with its binomial error √(c(1 − c)/n)."""
    if construction.spec.params != trials.spec.params or construction.spec.grid != trials.spec.grid:
        raise ValueError("coverage: the construction and the trials must have the same parameters and grid")
    crit = critical_values(construction)["critical"]
    ndim = len(construction.spec.params)
    rows = []
    built, tried = construction.toys_by_point(), trials.toys_by_point()
    for p, point in enumerate(construction.spec.points):
        d = tried[p]
        n = len(d)
        row: dict[str, Any] = {"point": point.tolist(), "toys": n, "construction_toys": len(built[p])}
        for label, alpha in LEVELS.items():
            for kind, level in (("fc", crit[label][p]), ("wilks", chi2.ppf(alpha, ndim))):
                cov = float(np.mean(d <= level)) if n else float("nan")
                row[f"{kind}_{label}"] = [cov, float(np.sqrt(cov * (1 - cov) / n)) if n else float("nan")]
        rows.append(row)
    return {"params": list(construction.spec.params), "levels": list(LEVELS), "points": rows}


def run_coverage(
    config,
    name: str,
    truths: Sequence[float],
    n_toys: int,
    folder: str | Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    force: bool = False,
    show_progress: bool | Callable[..., Any] = True,
) -> dict[str, Any]:
    """Coverage of FC and Wilks intervals of the oscillation parameter ``name`` at each true value: the
    config's true point with ``name`` replaced, its Asimov data; a one-point construction there (its
    nuisance parameters at their nominal values, ``n_toys`` toys) gives the FC critical values, and
    ``n_toys`` further toys with the nuisance parameters thrown from their priors (the true nuisances
    unknown) are the trials: the fraction of trials whose Δχ² at the truth is below the critical value
    (FC) or the χ² quantile (Wilks) is the coverage, with its binomial error. Each construction is a
    resumable file in ``folder`` (``truth<i>_construction.h5``, ``truth<i>_trials.h5``)."""
    import dataclasses

    from .datasets import asimov
    from .likelihood import Likelihood, warm_model

    names = getattr(config.oscillation, "parameter_names", ())
    if name not in names:
        raise JunoFitError(f"--param: coverage takes an oscillation parameter ({', '.join(names)}), got {name!r}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rows, first = [], None
    for i, truth in enumerate(truths):
        osc = config.oscillation
        if name in osc.__dataclass_fields__:
            shifted = dataclasses.replace(config, oscillation=dataclasses.replace(osc, **{name: float(truth)}))
        else:  # a hypothesis' own parameter
            extra = tuple((k, float(truth) if k == name else v) for k, v in osc.extra)
            shifted = dataclasses.replace(config, oscillation=dataclasses.replace(osc, extra=extra))
        model = warm_model(shifted)
        lik = Likelihood(model, asimov(model))
        parts = []
        for kind, thrown in (("construction", False), ("trials", True)):
            path = folder / f"truth{i}_{kind}.h5"
            run_construction(
                lik,
                [name],
                [[float(truth)]],
                n_toys,
                path,
                throw_nuisances=thrown,
                workers=workers,
                scheduler=scheduler,
                force=force,
                show_progress=show_progress,
                min_points=1,
            )
            parts.append(read_construction(path))
        table = coverage(*parts)
        first = first or table
        rows += table["points"]
    return {"params": [name], "levels": first["levels"], "points": rows, "toys": n_toys, "folder": str(folder)}
