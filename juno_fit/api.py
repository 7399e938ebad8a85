"""The public Python API: every task of the ``juno-fit`` command as a function returning a result object
(this module: configs, models, data, the likelihood, fits, scans and contours; :mod:`juno_fit.studies`:
the mass ordering, precision tables, toy ensembles and exclusion limits).

The command line is a thin layer over these functions (``juno_fit/cli``): the same inputs give the
same numbers. Typical use in a notebook::

    import juno_fit as jf

    config = jf.load_config("juno_nominal", exposure="100d")
    model = jf.build_model(config)
    lik = jf.Likelihood(model, jf.asimov(model))
    result = jf.fit(lik)                       # FitResult: values, errors, MINOS, pulls
    profile = jf.scan(lik, "dm2_31", points=21)  # ScanResult, with .plot()

Functions that take long show a progress bar (``tqdm.auto``: a widget in Jupyter, text elsewhere);
``progress=False`` keeps them quiet. ``client`` takes a ``dask.distributed.Client`` to spread the
work over its workers (one task per scan walk, grid row or exposure).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .config import Config
from .config import load_config as _load_config
from .datasets import Dataset
from .datasets import asimov as _asimov
from .datasets import pseudo_experiment as _pseudo_experiment
from .errors import JunoFitError
from .fitting import contour_lines, crossings, minuit_contour, profile_grid, profile_scan
from .fitting import fit as _fit
from .likelihood import Likelihood, warm_model
from .progress import ProgressBar
from .results import SIGMA_LEVELS_1D, SIGMA_LEVELS_2D, ContourResult, FitResult, ScanResult

__all__ = [
    "Likelihood",
    "asimov",
    "build_model",
    "contour",
    "fit",
    "input_path",
    "load_config",
    "pseudo_experiment",
    "read_data",
    "scan",
]

ProgressArg = bool | Callable[[int, int], None]


def _callback(progress: ProgressArg, label: str, unit: str) -> Callable[[int, int], None] | None:
    """The ``progress(done, total)`` callback: a tqdm bar (True), none (False) or the caller's own."""
    if progress is True:
        return ProgressBar(None, label, unit=unit).callback
    return progress or None


def input_path(kind: str, name: str = "") -> Path:
    """The path of an input file shipped with juno-fit (in a checkout or an installed package).

    Parameters
    ----------
    kind : {"configs", "detector", "spectra"}
        The input folder.
    name : str
        A file or folder inside it, e.g. ``"juno2025/fig3_panel_a_data.csv"`` (JUNO's 2025 release
        table) under ``"detector"``; empty for the folder itself.

    Returns
    -------
    Path
    """
    from .resources import KINDS, input_dir

    if kind not in KINDS:
        raise JunoFitError(f"input_path: unknown kind {kind!r} (accepted: {', '.join(KINDS)})")
    path = input_dir(kind) / name if name else input_dir(kind)
    if not path.exists():
        raise JunoFitError(f"{kind}/{name}: not a shipped input of juno-fit")
    return path


def load_config(name_or_path: str | Path, *, exposure: str | float | None = None, **overrides: Any) -> Config:
    """Read and validate a configuration (a shipped name such as ``"juno_nominal"`` or a TOML file).

    Parameters
    ----------
    name_or_path : str or Path
        Config name (``juno_nominal``, ``juno_2025_first_data``, ``dayabay_nGd``, ...) or a path.
    exposure : str or float, optional
        Replaces the exposure: ``"100d"``, ``"6y"`` (Julian years, 365.25 d) or days of data taking.
    **overrides : dict
        Config tables merged into the file's before validation, e.g. ``fit={"statistic": "cnp"}`` or
        ``oscillation={"dm2_31": 2.5e-3}`` (eV²); each value is checked like the file's own.

    Returns
    -------
    Config
        A frozen dataclass (``config.oscillation``, ``config.fit``, ``config.detectors``, ...). Several
        configs combine into a joint fit with :class:`juno_fit.joint.JointConfig`.

    Raises
    ------
    juno_fit.errors.ConfigError
        Naming the file, the key and the accepted values.
    """
    return _load_config(name_or_path, exposure=exposure, overrides=overrides or None)


def build_model(config: Any, *, backend: str = "numba") -> Any:
    """The expected-counts model of a config, of any experiment kind (JUNO-like, Daya Bay, joint).

    The model is checked (expected counts within what the statistics represent) and its kernels are
    compiled once (cached on disk) before it is returned.

    Parameters
    ----------
    config : Config or JointConfig
    backend : {"numba", "numpy"}
        Numba kernels, or their NumPy reference twins (slower; for checks).

    Returns
    -------
    Model
        With ``model.parameters`` (a :class:`~juno_fit.parameters.ParameterSet`: names, values,
        errors, limits), ``model.theta(**values)`` (the parameter vector θ at the nominal point with
        the given values replaced) and ``model.predict(theta)`` (one
        :class:`~juno_fit.stages.DetectorPrediction` per detector: IBD and background counts per bin).
    """
    if backend == "numba":
        return warm_model(config)
    from .model import build_model as _build

    return _build(config, backend=backend)


def asimov(model: Any, theta: np.ndarray | None = None) -> Dataset | list[Dataset]:
    """The Asimov data set: counts equal to the expectation at θ (default: the config's true point).

    Parameters
    ----------
    model : Model
    theta : array, optional
        The parameter vector (``model.theta(**values)``); default the config's true point.

    Returns
    -------
    Dataset or list of Dataset
        One data set; for a joint model one per experiment, in the model's order.
    """
    parts = getattr(model, "parts", None)
    if parts is None:
        return _asimov(model, theta)
    theta = model.parameters.values() if theta is None else theta
    return [_asimov(part, t) for part, t in zip(parts, model.part_thetas(theta), strict=True)]


def pseudo_experiment(model: Any, toy: int, *, throw_nuisances: bool = False) -> Dataset:
    """Poisson pseudo-experiment number ``toy`` of a model.

    Toy k uses ``numpy.random.SeedSequence(entropy=SEED, spawn_key=(k,))`` with SEED the config's
    ``[experiment] seed``, so toy k is the same whoever makes it, in any order.

    Parameters
    ----------
    model : Model
    toy : int
        Toy number, 0 ≤ toy < 2⁶³.
    throw_nuisances : bool
        Draw the nuisance parameters (and the bin-to-bin factors) from their priors first.
    """
    if not 0 <= toy < 2**63:
        raise JunoFitError(f"toy: must be an integer in [0, 2^63), got {toy}")
    return _pseudo_experiment(model, toy, throw_nuisances=throw_nuisances)


def read_data(path: str | Path, model_or_config: Any, *, force: bool = False) -> Dataset:
    """Read a data set for a model: a juno-fit HDF5 data set, JUNO's 2025 release table (CSV) or, for
    a Daya Bay config, ``"real"`` (the public release).

    Parameters
    ----------
    path : str or Path
    model_or_config : Model or Config
        What the data are for (a config is built into its model first).
    force : bool
        Accept a data set made for another exposure (or one that does not record it).

    Raises
    ------
    juno_fit.errors.DataError
        When the file does not match the model (binning, detectors, exposure).
    """
    from .io import read_data as _read

    model = model_or_config if hasattr(model_or_config, "parameters") else build_model(model_or_config)
    return _read(path, model, force=force)


def fit(
    likelihood: Likelihood,
    *,
    minos: bool | Sequence[str] = True,
    start: np.ndarray | None = None,
    seed: int | None = None,
) -> FitResult:
    """Minimise −2 ln L (or χ²) over every free parameter: MIGRAD with the exact gradient, retried
    from perturbed starts when the minimum is not valid, then HESSE and MINOS.

    Parameters
    ----------
    likelihood : Likelihood
    minos : bool or list of str
        True: MINOS for the free oscillation parameters when the config's ``[fit] minos`` says so (as
        ``juno-fit fit``); False: none; a list: those parameters.
    start : array, optional
        Starting θ (default: the nominal point).
    seed : int, optional
        Seed of the retries' perturbations (default: the config's seed, as the command line).

    Returns
    -------
    FitResult
    """
    names = None if minos is True else ([] if minos is False else list(minos))
    seed = likelihood.model.config.seed if seed is None else seed
    return _fit(likelihood, minos=names, start=start, seed=seed)


def check_free(model: Any, name: str, option: str) -> None:
    """Refuse (one line naming ``option``) a parameter the model does not have or holds fixed."""
    params = model.parameters
    if name not in params:
        raise JunoFitError(f"{option}: unknown parameter {name!r} (accepted: {', '.join(params.names)})")
    if params[name].fixed:
        raise JunoFitError(f"{option}: {name!r} is fixed in this config; free it in [fit] parameters or [systematics]")


def check_within(model: Any, name: str, values: Sequence[float] | np.ndarray, option: str) -> None:
    """Refuse (one line naming ``option``) values of a parameter that are not finite or leave its limits."""
    values = np.asarray(values, dtype=float)
    lo, hi = model.parameters[name].limits
    if not np.all(np.isfinite(values)):
        raise JunoFitError(f"{option}: values of {name} must be finite")
    if (lo is not None and values.min() < lo) or (hi is not None and values.max() > hi):
        shown = f"[{'-inf' if lo is None else f'{lo:g}'}, {'inf' if hi is None else f'{hi:g}'}]"
        raise JunoFitError(
            f"{option}: {name} must stay within its limits {shown}, got [{values.min():g}, {values.max():g}]"
        )


def scan(
    likelihood: Likelihood,
    name: str,
    values: Sequence[float] | np.ndarray | None = None,
    *,
    points: int = 41,
    best: FitResult | None = None,
    progress: ProgressArg = True,
    client: Any = None,
) -> ScanResult:
    """Profile-likelihood scan: Δχ²(x) with every other free parameter re-minimised at each value.

    Parameters
    ----------
    likelihood : Likelihood
    name : str
        A free parameter, e.g. ``"dm2_31"``.
    values : array, optional
        Scan points (default: ``points`` values over the best fit ± 4 HESSE errors).
    points : int
        Number of points when ``values`` is not given.
    best : FitResult, optional
        The free fit, when already done (its MINOS errors are not needed).
    progress : bool or callable
    client : dask.distributed.Client, optional
        Runs the two walks out from the best fit as two tasks.

    Returns
    -------
    ScanResult
        Points, Δχ², and the 1, 2, 3σ intervals where Δχ² crosses 1, 4, 9 (linear interpolation).
    """
    check_free(likelihood.model, name, "--param")
    if values is not None:  # given values are refused before any fit
        check_within(likelihood.model, name, values, "--range")
    best = _fit(likelihood, minos=[]) if best is None else best
    if values is None:
        centre, error = best.values[name], best.errors[name]
        values = np.linspace(centre - 4 * error, centre + 4 * error, points)
        check_within(likelihood.model, name, values, "--range")
    values = np.asarray(values, dtype=float)
    start = time.perf_counter()
    found, best = profile_scan(
        likelihood, name, values, best=best, progress=_callback(progress, f"scan {name}", "points"), client=client
    )
    x = np.array([p.value for p in found])
    fmin = min(best.fval, min(p.fval for p in found))
    dchi2 = np.array([p.fval for p in found]) - fmin
    return ScanResult(
        param=name,
        x=x,
        dchi2=dchi2,
        valid=np.array([p.valid for p in found]),
        intervals={key: crossings(x, dchi2, level) for key, level in SIGMA_LEVELS_1D.items()},
        best=best,
        retries=sum(p.attempts - 1 for p in found),
        seconds=time.perf_counter() - start,
        fmin=fmin,
    )


def contour(
    likelihood: Likelihood,
    a: str,
    b: str,
    *,
    grid_a: Sequence[float] | np.ndarray | None = None,
    grid_b: Sequence[float] | np.ndarray | None = None,
    points: int | tuple[int, int] = 31,
    best: FitResult | None = None,
    mncontour: bool = False,
    label: str | None = None,
    progress: ProgressArg = True,
    client: Any = None,
) -> ContourResult:
    """Profiled Δχ² on a grid of two parameters and its 1, 2, 3σ contours (Δχ² = 2.30, 6.18, 11.83).

    Parameters
    ----------
    likelihood : Likelihood
    a, b : str
        The two free parameters (x and y).
    grid_a, grid_b : array, optional
        Grid nodes (default: ``points`` nodes over the best fit ± 4.5 HESSE errors).
    points : int or (int, int)
        Nodes per axis where a grid is not given.
    best : FitResult, optional
    mncontour : bool
        Also run MINUIT's MnContour at Δχ² = 2.30 and interpolate the grid's Δχ² at its points (a check
        of the grid; both should give 2.30).
    label : str, optional
        Name of the result (default: the config's name).
    progress : bool or callable
    client : dask.distributed.Client, optional
        One task per grid row.

    Returns
    -------
    ContourResult
    """
    if a == b:
        raise JunoFitError(f"--params: need two different parameters, got {a} twice")
    grids = ((a, grid_a, "--range-a"), (b, grid_b, "--range-b"))
    for name, given, option in grids:  # given grids are refused before any fit
        check_free(likelihood.model, name, "--params")
        if given is not None:
            check_within(likelihood.model, name, given, option)
    best = _fit(likelihood, minos=[]) if best is None else best
    counts = (points, points) if isinstance(points, int) else tuple(points)
    axes = []
    for (name, given, option), count in zip(grids, counts, strict=True):
        if given is None:
            v, e = best.values[name], best.errors[name]
            given = np.linspace(v - 4.5 * e, v + 4.5 * e, count)
            check_within(likelihood.model, name, given, option)
        axes.append(np.asarray(given, dtype=float))
    xs, ys = axes
    start = time.perf_counter()
    grid = profile_grid(
        likelihood, (a, b), xs, ys, best=best, progress=_callback(progress, f"grid {a}, {b}", "rows"), client=client
    )
    seconds = time.perf_counter() - start
    lines = {key: contour_lines(xs, ys, grid["dchi2"], level) for key, level in SIGMA_LEVELS_2D.items()}
    check = None
    if mncontour:
        from scipy.interpolate import RegularGridInterpolator

        pts = minuit_contour(likelihood, (a, b), SIGMA_LEVELS_2D["1"], best=best)
        inside = (pts[:, 0] >= xs[0]) & (pts[:, 0] <= xs[-1]) & (pts[:, 1] >= ys[0]) & (pts[:, 1] <= ys[-1])
        on_grid = RegularGridInterpolator((xs, ys), grid["dchi2"])(pts[inside])
        check = {"points": pts.tolist(), "grid_dchi2_at_points": [float(v) for v in on_grid]}
    return ContourResult(
        params=(a, b),
        label=label or likelihood.model.config.name,
        xs=xs,
        ys=ys,
        dchi2=grid["dchi2"],
        valid=grid["valid"],
        lines=lines,
        best=best,
        retries=int(grid["retries"]),
        seconds=seconds,
        fmin=float(grid["fmin"]),
        mncontour=check,
    )
