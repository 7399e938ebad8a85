"""Exclusion and discovery for a new-physics mixing and its mass splitting (a sterile neutrino's
sin²θ14 and Δm²41, by default): raster scans and two-parameter regions from one profiled grid.

On a grid of the splitting (rows) and the mixing (columns) every other free parameter is fitted at
each node (:func:`juno_fit.fitting.profile_grid`). Then, under Wilks' theorem (no Feldman–Cousins
correction; that is a separate construction):

- **raster scan** (1 dof per slice): in each row, Δχ²(x) = χ²(m, x) − min_x χ²(m, x); the upper limit
  on x at a confidence level is where it crosses the χ² quantile of one degree of freedom (2.71 at
  90 %, 3.84 at 95 %), found by interpolating √Δχ² linearly between nodes (exact for a parabola);
- **2-dof region**: Δχ² = χ²(m, x) − χ²_min over the whole grid (and the free fit), its contours at the
  quantiles of two degrees of freedom (4.61 at 90 %, 5.99 at 95 %);
- **against the standard model**: Δχ²_SM = χ²(x = 0) − χ²_min, the improvement of the best
  new-physics point over the standard fit (its significance needs toys: the mass is not defined at
  x = 0, so Wilks' theorem does not apply to it).
"""

from __future__ import annotations

import numpy as np
from scipy.stats import chi2

from .fitting import contour_lines, crossings, fit, profile_grid
from .likelihood import Likelihood


def quantile(cl: float, dof: int) -> float:
    """The χ² quantile of ``dof`` degrees of freedom at confidence level ``cl`` (a fraction)."""
    return float(chi2.ppf(cl, dof))


def raster_limit(xs: np.ndarray, chi: np.ndarray, level: float) -> float | None:
    """Upper limit on x from one slice χ²(x): where Δχ² = χ² − min χ² crosses ``level`` above the minimum.
    √Δχ² is linear in the distance from a minimum where Δχ² is quadratic, so interpolating it between
    nodes finds the crossing of a parabola exactly (interpolating Δχ² itself would not). None when the
    slice stays below the level."""
    d = np.sqrt(np.maximum(chi - np.nanmin(chi), 0.0))
    return crossings(xs, d, float(np.sqrt(level)))[1]


def exclusion_grid(
    lik: Likelihood,
    mixing: str,
    mass: str,
    mixing_values: np.ndarray,
    mass_values: np.ndarray,
    levels: tuple[float, ...] = (0.90, 0.95),
    *,
    progress=None,
    client=None,
) -> dict:
    """The profiled grid (rows: ``mass_values``; columns: ``mixing_values``, which should start at the
    null value 0) and what follows from it: per confidence level the raster upper limits on the
    mixing per mass, and the 2-dof contour lines; Δχ²_SM. Lines are in (mixing, mass) coordinates."""
    masses = np.asarray(mass_values, dtype=float)
    xs = np.asarray(mixing_values, dtype=float)
    start = lik.model.parameters.values()
    start[lik.model.parameters.index(mixing)] = float(xs[min(1, len(xs) - 1)])
    best = fit(lik, minos=[], start=start)
    grid = profile_grid(lik, (mass, mixing), masses, xs, best=best, progress=progress, client=client)
    chi = grid["dchi2"] + grid["fmin"]  # χ² at each node, rows = masses
    fmin = float(min(best.fval, np.nanmin(chi)))
    raster = {}
    regions = {}
    for cl in levels:
        key = f"{100 * cl:g}"
        level1, level2 = quantile(cl, 1), quantile(cl, 2)
        raster[key] = [raster_limit(xs, row, level1) for row in chi]
        root = np.sqrt(np.maximum(chi - fmin, 0.0))
        regions[key] = [line[:, ::-1] for line in contour_lines(masses, xs, root, np.sqrt(level2))]
    at_null = chi[:, int(np.argmin(np.abs(xs)))]
    k = np.unravel_index(int(np.nanargmin(chi)), chi.shape)
    return {
        "masses": masses,
        "mixings": xs,
        "chi2": chi,
        "valid": grid["valid"],
        "retries": int(grid["retries"]),
        "fmin": fmin,
        "raster": raster,
        "regions": regions,
        "dchi2_standard": float(np.nanmin(at_null) - fmin),
        "best_point": (float(xs[k[1]]), float(masses[k[0]])),
        "levels": {f"{100 * cl:g}": (quantile(cl, 1), quantile(cl, 2)) for cl in levels},
    }
