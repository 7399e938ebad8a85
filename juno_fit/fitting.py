"""Fitting with iminuit: MIGRAD (retried from perturbed starts when it fails), HESSE, MINOS.

:func:`fit` minimises a :class:`~juno_fit.likelihood.Likelihood` over every free parameter (the free
oscillation parameters and all nuisance parameters whose systematic is switched on) and returns a
:class:`FitResult` with values, HESSE errors, MINOS intervals of the oscillation parameters, the
covariance, derived quantities with propagated errors, and the nuisance pulls.

Derived quantities (DESIGN.md §3 names):
Δm²32 = Δm²31 − Δm²21; Δm²ee = cos²θ12 Δm²31 + sin²θ12 Δm²32 = Δm²31 − sin²θ12 Δm²21
(Daya Bay's effective splitting, PHYSICS.md §5.6); sin²2θ13 = 4 sin²θ13 (1 − sin²θ13).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from iminuit import Minuit

from .config import OSCILLATION_PARAMETERS
from .likelihood import Likelihood
from .parameters import ParameterSet
from .results import SIGMA_LEVELS_2D, FitResult
from .threads import thread_limited

# Initial MIGRAD step sizes of parameters without a prior (about a tenth of JUNO's 100-day precision).
_OSC_STEPS = {"sin2_theta12": 1e-3, "sin2_theta13": 1e-3, "dm2_21": 1e-7, "dm2_31": 2e-6}
MIGRAD_TOLERANCE = 1e-4  # EDM goal 2e-7: parameter offsets below 1e-3 σ (Asimov fits return the truth)


def initial_steps(params: ParameterSet) -> np.ndarray:
    """MIGRAD's first step per parameter: the prior width, block widths, or a scale for free ones."""
    steps = np.empty(len(params))
    block_sigma = {n: math.sqrt(b.covariance[i, i]) for b in params.blocks for i, n in enumerate(b.names)}
    for i, p in enumerate(params):
        if p.error is not None:
            steps[i] = p.error
        elif p.name in block_sigma:
            steps[i] = block_sigma[p.name]
        elif p.step is not None:
            steps[i] = p.step
        elif p.name in _OSC_STEPS:
            steps[i] = _OSC_STEPS[p.name]
        else:
            steps[i] = max(abs(p.value) * 0.01, 1e-6)
    return steps


def derived_quantities(values: dict[str, float], covariance: np.ndarray, free: list[str]) -> dict:
    """Δm²32, Δm²ee and sin²2θ13 with errors propagated from the covariance of the free parameters."""
    s12, s13 = values["sin2_theta12"], values["sin2_theta13"]
    dm21, dm31 = values["dm2_21"], values["dm2_31"]
    # value and gradient with respect to (s12, s13, dm21, dm31)
    quantities = {
        "dm2_32": (dm31 - dm21, (0.0, 0.0, -1.0, 1.0)),
        "dm2_ee": (dm31 - s12 * dm21, (-dm21, 0.0, -s12, 1.0)),
        "sin2_2theta13": (4.0 * s13 * (1.0 - s13), (0.0, 4.0 - 8.0 * s13, 0.0, 0.0)),
    }
    index = [free.index(n) if n in free else -1 for n in OSCILLATION_PARAMETERS]
    sub = np.zeros((4, 4))
    for a, ia in enumerate(index):
        for b, ib in enumerate(index):
            if ia >= 0 and ib >= 0:
                sub[a, b] = covariance[ia, ib]
    out = {}
    for name, (value, grad) in quantities.items():
        g = np.array(grad)
        out[name] = (float(value), float(math.sqrt(max(g @ sub @ g, 0.0))))
    return out


def nuisance_pulls(params: ParameterSet, values: dict[str, float]) -> dict[str, float]:
    """(θ̂ − θ₀)/σ for every free nuisance with a prior (block members: their marginal σ)."""
    block_sigma = {n: math.sqrt(b.covariance[i, i]) for b in params.blocks for i, n in enumerate(b.names)}
    out = {}
    for p in params:
        if p.fixed:
            continue
        sigma = p.error if p.error is not None else block_sigma.get(p.name)
        if sigma:
            out[p.name] = (values[p.name] - p.centre) / sigma
    return out


def gradient_hessian(lik: Likelihood, theta: np.ndarray, free: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """Hessian of the statistic over the free parameters by central differences of the exact
    gradient (2 n gradient evaluations), symmetrised. ``steps`` are the difference steps (a small
    fraction of each parameter's error); a parameter within a step of a limit is differenced on the
    inner side only."""
    params = lik.model.parameters
    index = np.flatnonzero(free)
    hess = np.empty((len(index), len(index)))
    for col, i in enumerate(index):
        p = params[params.names[i]]
        h = steps[i]
        lo = -np.inf if p.limits[0] is None else p.limits[0]
        hi = np.inf if p.limits[1] is None else p.limits[1]
        up, down = theta.copy(), theta.copy()
        up[i] = min(theta[i] + h, hi)
        down[i] = max(theta[i] - h, lo)
        hess[:, col] = (lik.grad(up)[index] - lik.grad(down)[index]) / (up[i] - down[i])
    return 0.5 * (hess + hess.T)


def _minuit(
    lik: Likelihood,
    start: np.ndarray,
    steps: np.ndarray,
    strategy: int,
    use_grad: bool = True,
    limits: dict[str, tuple[float, float]] | None = None,
) -> Minuit:
    params = lik.model.parameters
    m = Minuit(lik, np.array(start, dtype=float), grad=lik.grad if use_grad else None, name=params.names)
    m.errordef = Minuit.LEAST_SQUARES
    m.strategy = strategy
    m.tol = MIGRAD_TOLERANCE
    m.errors = steps
    for p in params:
        lo = -np.inf if p.limits[0] is None else p.limits[0]
        hi = np.inf if p.limits[1] is None else p.limits[1]
        if p.limits != (None, None):
            m.limits[p.name] = (lo, hi)
        m.fixed[p.name] = p.fixed
    for name, bounds in (limits or {}).items():
        m.limits[name] = bounds
    return m


@thread_limited
def fit(
    lik: Likelihood,
    *,
    start: np.ndarray | None = None,
    minos: list[str] | None = None,
    retries: int | None = None,
    seed: int = 0,
    hesse: bool = True,
    strategy: int | None = None,
    use_grad: bool = True,
    dm31_starts: tuple[float, ...] = (),
    limits: dict[str, tuple[float, float]] | None = None,
) -> FitResult:
    """Minimise ``lik`` and estimate errors.

    Parameters
    ----------
    lik : Likelihood
    start : array, optional
        Starting θ (default: the nominal point).
    minos : list of str, optional
        Parameters for MINOS (default: the free oscillation parameters when the config's ``[fit] minos``
        is true, none otherwise).
    retries : int, optional
        MIGRAD restarts from perturbed starting points (SIMPLEX first from the second retry on) when
        the minimum is not valid; default the config's ``[fit] retries``.
    seed : int
        Seed of the perturbations (reproducible retries).
    hesse : bool
        Compute the covariance at the minimum from the second derivatives: with the exact gradient,
        by central differences of the gradient (2 n gradient calls, see :func:`gradient_hessian`);
        without it, by MINUIT's HESSE. Otherwise MIGRAD's estimate is used.
    strategy : int, optional
        MINUIT strategy of the first attempt; default 0 with the exact gradient (MINUIT then trusts it
        instead of re-deriving it numerically) and 1 without. Retries use 2.
    use_grad : bool
        Pass the exact gradient of the likelihood to MINUIT.
    dm31_starts : tuple of float
        Further MIGRAD starts with Δm²31 scaled by (1 + offset) each, the best valid minimum kept:
        the Δm²31 likelihood has local minima a few per cent apart where the fast oscillation
        pattern realigns, and at low exposure MIGRAD can settle in one that is not the global one.
    limits : dict, optional
        Extra limits for this fit, e.g. ``{"dm2_31": (-1.0, 0.0)}`` to stay in the inverted ordering.
    """
    params = lik.model.parameters
    config = lik.model.config
    if strategy is None:
        strategy = 0 if use_grad else 1
    theta0 = params.values() if start is None else np.array(start, dtype=float)
    steps = initial_steps(params)
    retries = config.fit.retries if retries is None else retries
    if minos is None:
        names = getattr(lik.model, "oscillation_names", OSCILLATION_PARAMETERS)
        minos = [n for n in names if n in params.free] if config.fit.minos else []
    use_grad = use_grad and getattr(lik, "exact_gradient", True)  # a statistic without it: MINUIT's own
    rng = np.random.default_rng(np.random.SeedSequence(entropy=seed, spawn_key=(0x5EED,)))
    free_mask = np.array([not p.fixed for p in params])
    messages: list[str] = []
    best: Minuit | None = None
    nfev = 0
    attempts = 0

    def better(m: Minuit) -> bool:
        return best is None or (m.valid and not best.valid) or (m.valid == best.valid and m.fval < best.fval)

    for attempt in range(1 + retries):
        attempts += 1
        x0 = theta0.copy()
        if attempt > 0:
            x0[free_mask] += 0.5 * steps[free_mask] * rng.standard_normal(int(free_mask.sum()))
        m = _minuit(lik, x0, steps, strategy if attempt == 0 else 2, use_grad, limits)
        if attempt >= 2:
            m.simplex()
        m.migrad()
        nfev += m.nfcn
        if better(m):
            best = m
        if m.valid:
            break
        messages.append(f"attempt {attempt + 1}: MIGRAD did not converge (EDM {m.fmin.edm:.3g}, fval {m.fval:.6g})")
    i31 = params.index("dm2_31") if "dm2_31" in params else -1
    for offset in dm31_starts if i31 >= 0 and not params["dm2_31"].fixed else ():
        x0 = theta0.copy()
        x0[i31] *= 1.0 + offset
        m = _minuit(lik, x0, steps, strategy, use_grad, limits)
        m.migrad()
        nfev += m.nfcn
        attempts += 1
        if better(m):
            best = m
    assert best is not None
    m = best
    free = [n for n in params.names if not params[n].fixed]
    cov = None
    if hesse and m.valid and use_grad:
        start_errors = np.array(m.errors)
        hessian = gradient_hessian(
            lik, np.array(m.values), free_mask, 1e-3 * np.where(start_errors > 0, start_errors, steps)
        )
        nfev += 2 * int(free_mask.sum())
        try:
            cov = 2.0 * np.linalg.inv(hessian)  # errordef 1: covariance = 2 H⁻¹ for a −2 ln L or χ² statistic
        except np.linalg.LinAlgError:
            messages.append("the Hessian is singular; using MIGRAD's covariance estimate")
        if cov is not None and np.any(np.diag(cov) <= 0):
            messages.append("the Hessian is not positive definite; using MIGRAD's covariance estimate")
            cov = None
    elif hesse and m.valid:
        m.hesse()
        nfev += m.nfcn
    merrors: dict[str, tuple[float, float] | None] = {}
    if minos and m.valid:
        m.strategy = max(strategy, 1)  # MINOS' own minimisations need the strategy-1 error matrix updates
        for name in minos:
            try:
                m.minos(name)
                me = m.merrors[name]
                merrors[name] = (float(me.lower), float(me.upper)) if me.is_valid else None
                if not me.is_valid:
                    messages.append(f"MINOS for {name} is not valid")
            except RuntimeError as exc:
                merrors[name] = None
                messages.append(f"MINOS for {name} failed: {exc}")
        nfev = max(nfev, m.nfcn)
    values = {n: float(v) for n, v in zip(params.names, m.values, strict=True)}
    if cov is None:
        cov = np.array(m.covariance)[np.ix_(free_mask, free_mask)] if m.covariance is not None else np.zeros((0, 0))
    free_errors = dict(zip(free, np.sqrt(np.diag(cov)), strict=True)) if cov.size else {}
    errors = {n: float(free_errors.get(n, 0.0)) for n in params.names}
    return FitResult(
        values=values,
        errors=errors,
        minos={n: merrors.get(n) for n in minos},
        free=free,
        covariance=cov,
        fval=float(m.fval),
        ndof=lik.ndof,
        valid=bool(m.valid),
        nfev=int(nfev),
        statistic=lik.statistic,
        derived=getattr(lik.model, "derived_quantities", derived_quantities)(values, cov, free) if cov.size else {},
        pulls=nuisance_pulls(params, values),
        attempts=attempts,
        messages=messages,
    )


# --------------------------------------------------------------------------------------------------
# Profile scans
# --------------------------------------------------------------------------------------------------


@dataclass
class ScanPoint:
    value: float
    fval: float
    valid: bool
    attempts: int
    theta: np.ndarray = field(repr=False)


def minimise_fixed(
    lik: Likelihood, fixed: dict[str, float], start: np.ndarray, *, seed: int = 0, steps: np.ndarray | None = None
) -> tuple[float, bool, int, np.ndarray]:
    """Minimise with some parameters held at given values, from ``start``; when MIGRAD fails, retry
    from a perturbed start, then with SIMPLEX before MIGRAD. Returns (fval, valid, attempts, θ)."""
    params = lik.model.parameters
    steps = initial_steps(params) if steps is None else steps
    x0 = np.array(start, dtype=float)
    for name, value in fixed.items():
        x0[params.index(name)] = value
    free_mask = np.array([not p.fixed and p.name not in fixed for p in params])
    rng = np.random.default_rng(np.random.SeedSequence(entropy=seed, spawn_key=(0xC0,)))
    best = None
    for attempt in range(3):
        x = x0.copy()
        if attempt > 0:
            x[free_mask] += 0.5 * steps[free_mask] * rng.standard_normal(int(free_mask.sum()))
        m = _minuit(lik, x, steps, 0 if attempt == 0 else 1)
        for name in fixed:
            m.fixed[name] = True
        if attempt == 2:
            m.simplex()
        m.migrad()
        if best is None or (m.valid and not best.valid) or (m.valid == best.valid and m.fval < best.fval):
            best = m
        if m.valid:
            return float(m.fval), True, attempt + 1, np.array(m.values)
    assert best is not None
    return float(best.fval), False, 3, np.array(best.values)


def scan_walk(
    lik: Likelihood, name: str, values: np.ndarray, order: list[int], theta_best: np.ndarray, progress=None
) -> dict[int, ScanPoint]:
    """Scan points ``order`` (indices into ``values``) in that order, each started from the previous
    point's solution, the first from ``theta_best``."""
    steps = initial_steps(lik.model.parameters)
    points: dict[int, ScanPoint] = {}
    theta = theta_best
    for i in order:
        fval, valid, attempts, theta_i = minimise_fixed(lik, {name: values[i]}, theta, seed=i, steps=steps)
        points[i] = ScanPoint(float(values[i]), fval, valid, attempts, theta_i)
        theta = theta_i if valid else theta
        if progress:
            progress(len(points))
    return points


def _scan_walk_task(name, values, order, theta_best, config, data, statistic) -> dict[int, ScanPoint]:
    from .parallel import worker_likelihood

    return scan_walk(worker_likelihood(config, data, statistic), name, values, order, theta_best)


def profile_scan(
    lik: Likelihood,
    name: str,
    values: np.ndarray,
    *,
    best: FitResult | None = None,
    progress=None,
    client=None,
) -> tuple[list[ScanPoint], FitResult]:
    """Δχ² profile of one parameter: at each value every other free parameter is re-minimised,
    starting from the neighbouring point's solution (the scan walks outwards from the best fit on
    both sides; with a Dask ``client`` the two walks run as two tasks). Returns the points (sorted by
    value) and the free fit."""
    params = lik.model.parameters
    best = fit(lik, minos=[]) if best is None else best
    theta_best = np.array([best.values[n] for n in params.names])
    values = np.sort(np.asarray(values, dtype=float))
    centre = int(np.searchsorted(values, best.values[name]))
    walks = [list(range(centre - 1, -1, -1)), list(range(centre, len(values)))]
    walks = [w for w in walks if w]
    points: dict[int, ScanPoint] = {}
    if client is None:
        for order in walks:
            done = len(points)
            points.update(
                scan_walk(
                    lik,
                    name,
                    values,
                    order,
                    theta_best,
                    (lambda k, d=done: progress(d + k, len(values))) if progress else None,
                )
            )
    else:
        from .parallel import dask_map

        shared = {"config": lik.model.config, "data": lik.data, "statistic": lik.statistic}
        counted = {"n": 0}

        def take(i: int, result: dict[int, ScanPoint]) -> None:
            counted["n"] += len(result)
            if progress:
                progress(counted["n"], len(values))

        for part in dask_map(
            _scan_walk_task,
            [(name, values, w, theta_best) for w in walks],
            client=client,
            shared=shared,
            on_result=take,
        ):
            points.update(part)
    return [points[i] for i in range(len(values))], best


def crossings(x: np.ndarray, dchi2: np.ndarray, level: float) -> tuple[float | None, float | None]:
    """Where the profile Δχ²(x) crosses ``level`` left and right of its minimum (linear interpolation
    between scan points); None where the scan range does not reach the level."""
    i_min = int(np.argmin(dchi2))
    lo = hi = None
    for i in range(i_min, 0, -1):
        if dchi2[i - 1] >= level > dchi2[i] or dchi2[i - 1] > level >= dchi2[i]:
            lo = x[i - 1] + (level - dchi2[i - 1]) * (x[i] - x[i - 1]) / (dchi2[i] - dchi2[i - 1])
            break
    for i in range(i_min, len(x) - 1):
        if dchi2[i] < level <= dchi2[i + 1] or dchi2[i] <= level < dchi2[i + 1]:
            hi = x[i] + (level - dchi2[i]) * (x[i + 1] - x[i]) / (dchi2[i + 1] - dchi2[i])
            break
    return (None if lo is None else float(lo)), (None if hi is None else float(hi))


# --------------------------------------------------------------------------------------------------
# Two-dimensional profiled grids and contours
# --------------------------------------------------------------------------------------------------


def grid_rows(
    lik: Likelihood, names: tuple[str, str], xs: np.ndarray, ys: np.ndarray, rows: list[int], theta_best: np.ndarray
) -> dict[int, list[tuple[float, bool, int, np.ndarray]]]:
    """Profiled χ² (with validity, attempts and θ̂) on rows ``rows`` of the grid xs × ys: each point is
    minimised over every other free parameter, starting from its neighbour's solution (each row walks
    out from the column nearest the best fit; a row starts from the solution of the nearest finished
    row)."""
    params = lik.model.parameters
    a, b = names
    steps = initial_steps(params)
    out: dict[int, list[tuple[float, bool, int, np.ndarray]]] = {}
    row_start: dict[int, np.ndarray] = {}
    centre = int(np.argmin(np.abs(ys - theta_best[params.index(b)])))
    for i in rows:
        done = [r for r in row_start if abs(r - i) == min(abs(r2 - i) for r2 in row_start)] if row_start else []
        start_row = row_start[done[0]] if done else theta_best
        cells: list[tuple[float, bool, int, np.ndarray] | None] = [None] * len(ys)
        for order in (range(centre, len(ys)), range(centre - 1, -1, -1)):
            theta = start_row
            for j in order:
                fval, valid, attempts, theta_j = minimise_fixed(
                    lik, {a: xs[i], b: ys[j]}, theta, seed=i * len(ys) + j, steps=steps
                )
                cells[j] = (fval, valid, attempts, theta_j)
                if valid:
                    theta = theta_j
                if j == centre:
                    row_start[i] = theta_j
        out[i] = cells  # type: ignore[assignment]
    return out


def _grid_rows_task(names, xs, ys, rows, theta_best, config, data, statistic):
    from .parallel import worker_likelihood

    return grid_rows(worker_likelihood(config, data, statistic), names, xs, ys, rows, theta_best)


def profile_grid(
    lik: Likelihood,
    names: tuple[str, str],
    xs: np.ndarray,
    ys: np.ndarray,
    *,
    best: FitResult | None = None,
    progress=None,
    client=None,
) -> dict:
    """Δχ² on the grid xs × ys (profiled over every other parameter); with a Dask ``client`` each row
    is a task (the workers build the model from the config once). Returns a dict with ``dchi2``
    (len(xs) × len(ys)), ``valid``, ``retries``, ``best``, ``fmin`` (the smallest of the free fit
    and the grid) and ``theta`` (len(xs) × len(ys) × parameters: the profiled θ̂ of each point)."""
    params = lik.model.parameters
    best = fit(lik, minos=[]) if best is None else best
    theta_best = np.array([best.values[n] for n in params.names])
    xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    order = [int(i) for i in np.argsort(np.abs(xs - best.values[names[0]]))]  # rows nearest the best fit first
    if client is None:
        results = []
        for k, i in enumerate(order):
            results.append(grid_rows(lik, names, xs, ys, [i], theta_best))
            if progress:
                progress(k + 1, len(order))
    else:
        from .parallel import dask_map

        shared = {"config": lik.model.config, "data": lik.data, "statistic": lik.statistic}
        tasks = [(names, xs, ys, [i], theta_best) for i in order]
        results = dask_map(_grid_rows_task, tasks, client=client, shared=shared, progress=progress)
    fval = np.full((len(xs), len(ys)), np.nan)
    valid = np.zeros((len(xs), len(ys)), dtype=bool)
    theta = np.zeros((len(xs), len(ys), len(params)))
    retries = 0
    for res in results:
        for i, cells in res.items():
            for j, (f, v, attempts, theta_ij) in enumerate(cells):
                fval[i, j], valid[i, j], theta[i, j] = f, v, theta_ij
                retries += attempts - 1
    fmin = min(best.fval, float(np.nanmin(fval)))
    return {
        "x": xs,
        "y": ys,
        "dchi2": fval - fmin,
        "valid": valid,
        "retries": retries,
        "best": best,
        "fmin": fmin,
        "theta": theta,
    }


def contour_lines(xs: np.ndarray, ys: np.ndarray, dchi2: np.ndarray, level: float) -> list[np.ndarray]:
    """Lines (arrays of (x, y) vertices) where the gridded Δχ² equals ``level`` (marching squares)."""
    import contourpy

    gen = contourpy.contour_generator(xs, ys, dchi2.T, line_type="Separate")
    return [np.asarray(line) for line in gen.lines(level)]


def profiled_contours(
    lik: Likelihood,
    names: tuple[str, str],
    best: FitResult,
    points: int | tuple[int, int],
    *,
    ranges: tuple[tuple[float, float] | None, tuple[float, float] | None] = (None, None),
    span: float = 4.5,
    progress=None,
    client=None,
) -> tuple[np.ndarray, np.ndarray, dict, dict[str, list[np.ndarray]]]:
    """The profiled grid around ``best`` with ``points`` nodes per axis (one number for both, or one per
    axis), each axis ± ``span`` HESSE errors unless its range is given (then both end points are
    nodes), and its contour lines at the 1, 2, 3σ levels of :data:`SIGMA_LEVELS_2D`: returns
    (xs, ys, grid, lines) with ``grid`` from :func:`profile_grid`."""
    counts = (points, points) if isinstance(points, int) else tuple(points)
    axes = []
    for n, given, count in zip(names, ranges, counts, strict=True):
        v, e = best.values[n], best.errors[n]
        axes.append(np.linspace(*(given or (v - span * e, v + span * e)), count))
    xs, ys = axes
    grid = profile_grid(lik, names, xs, ys, best=best, progress=progress, client=client)
    lines = {key: contour_lines(xs, ys, grid["dchi2"], level) for key, level in SIGMA_LEVELS_2D.items()}
    return xs, ys, grid, lines


def minuit_contour(
    lik: Likelihood, names: tuple[str, str], level: float, *, size: int = 40, best: FitResult | None = None
) -> np.ndarray:
    """iminuit's MnContour at Δχ² = ``level`` for two parameters (the fast option)."""
    from scipy.stats import chi2

    params = lik.model.parameters
    best = fit(lik, minos=[]) if best is None else best
    theta = np.array([best.values[n] for n in params.names])
    m = _minuit(lik, theta, initial_steps(params), 1)
    m.migrad()
    cl = float(chi2.cdf(level, 2))
    return np.asarray(m.mncontour(names[0], names[1], cl=cl, size=size))
