"""The public API of the studies built on fits: the mass-ordering sensitivity, precision tables, toy
ensembles on Dask and exclusion limits (re-exported by :mod:`juno_fit`; the rest of the API is in
:mod:`juno_fit.api`)."""

from __future__ import annotations

import dataclasses
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .api import ProgressArg, _callback, check_within
from .config import DAYS_PER_YEAR, parse_exposure
from .config import load_config as _load_config
from .errors import JunoFitError
from .likelihood import Likelihood
from .progress import ProgressBar
from .study_results import ExclusionResult, FeldmanCousinsResult, NmoResult, PrecisionResult, ToysResult

__all__ = ["exclusion", "nmo", "precision", "toys"]


def exclusion(
    likelihood: Likelihood,
    mixing: str = "sin2_theta14",
    mass: str = "dm2_41",
    *,
    mass_range: tuple[float, float] | None = None,
    mass_points: int = 20,
    log_mass: bool = True,
    mixing_values: Sequence[float] | np.ndarray | None = None,
    levels: Sequence[float] = (0.90, 0.95),
    progress: ProgressArg = True,
    client: Any = None,
) -> ExclusionResult:
    """Exclusion limits on a new-physics mixing against its mass splitting (by default a sterile
    neutrino's sin²θ14 and Δm²41): raster scans (1 dof per mass slice) and 2-dof regions, from one
    profiled grid, under Wilks' theorem; and the Δχ² of the best point against the standard model.

    Parameters
    ----------
    likelihood : Likelihood
        Of a config with the hypothesis that has both parameters (``[oscillation] model``).
    mixing, mass : str
        The two parameters (the mixing's null value 0 means no new physics).
    mass_range : (float, float), optional
        Range of the splitting (default: 1e-5 eV² to the largest the E_ν grid resolves).
    mass_points : int
        Rows of the grid.
    log_mass : bool
        Logarithmically spaced rows (else linear).
    mixing_values : array, optional
        Columns, from 0 (default: 0 to 0.1 in 21 steps, i.e. sin²2θ14 up to 0.36).
    levels : list of float
        Confidence levels (fractions).
    progress : bool or callable
    client : dask.distributed.Client, optional
        One task per grid row.

    Returns
    -------
    ExclusionResult
    """
    from .exclusion_limits import exclusion_grid

    params = likelihood.model.parameters
    for name, option in ((mixing, "--mixing"), (mass, "--mass")):
        if name not in params:
            raise JunoFitError(
                f"{option}: unknown parameter {name!r}; the config's [oscillation] model must have it "
                f"(accepted: {', '.join(params.names)})"
            )
    lo, hi = mass_range if mass_range is not None else (1e-5, likelihood.model.parameters[mass].limits[1])
    if not (np.isfinite(lo) and np.isfinite(hi) and 0 < lo < hi) or not 3 <= mass_points <= 1000:
        raise JunoFitError(f"--mass-range: need 0 < LO < HI and 3 to 1000 points, got {lo:g} {hi:g}, {mass_points}")
    masses = np.geomspace(lo, hi, mass_points) if log_mass else np.linspace(lo, hi, mass_points)
    xs = np.linspace(0.0, 0.1, 21) if mixing_values is None else np.asarray(mixing_values, dtype=float)
    check_within(likelihood.model, mass, masses, "--mass-range")
    check_within(likelihood.model, mixing, xs, "--mixing-range")
    if not all(0.0 < cl < 1.0 for cl in levels):
        raise JunoFitError(f"--cl: confidence levels must be between 0 and 100 %, got {list(levels)}")
    start = time.perf_counter()
    grid = exclusion_grid(
        likelihood,
        mixing,
        mass,
        xs,
        masses,
        tuple(levels),
        progress=_callback(progress, f"exclusion {mixing}, {mass}", "rows"),
        client=client,
    )
    return ExclusionResult(
        mixing=mixing,
        mass=mass,
        masses=grid["masses"],
        mixings=grid["mixings"],
        chi2=grid["chi2"],
        valid=grid["valid"],
        raster=grid["raster"],
        regions=grid["regions"],
        dchi2_standard=grid["dchi2_standard"],
        best_point=grid["best_point"],
        levels=grid["levels"],
        fmin=grid["fmin"],
        retries=grid["retries"],
        seconds=time.perf_counter() - start,
    )


def check_nmo(config: Any, exposures: Sequence[str | float] | None, vacuum: bool) -> None:
    """Refuse (one line, before any work) an ordering test that cannot be: a Daya Bay config, or a joint
    config with exposures or a vacuum comparison."""
    joint = hasattr(config, "parts")
    if not joint and not hasattr(config, "detectors"):
        raise JunoFitError(f"{config.file}: nmo needs a JUNO-like config (a Daya Bay fit does not test the ordering)")
    if joint and (exposures or vacuum):
        raise JunoFitError("--exposure/--vacuum: a joint nmo test runs at each config's own exposure in matter")


def check_precision(joint: bool, exposures: Sequence[str | float] | None) -> None:
    """Refuse (one line, before any work) a precision table without exposures, or a joint one with them."""
    if joint and exposures:
        raise JunoFitError("--exposure: a joint fit keeps each config's own exposure; set it in the configs")
    if not joint and not exposures:
        raise JunoFitError("--exposure: give at least one exposure, e.g. --exposure 6y")


def nmo(
    config: Any,
    exposures: Sequence[str | float] | None = None,
    *,
    vacuum: bool = False,
    progress: ProgressArg = True,
    client: Any = None,
) -> NmoResult:
    """Median sensitivity to the mass ordering: Δχ²_NMO = χ²_min(wrong) − χ²_min(true) on Asimov data.

    The wrong-ordering fit starts from several Δm²31 values (the global minimum of the wrong ordering,
    not the mirror point), so Δχ² is not overestimated.

    Parameters
    ----------
    config : Config or JointConfig
        A JUNO-like config (true ordering: the sign of its ``dm2_31``), or a joint config (each part at
        its own exposure, labelled ``"own"``).
    exposures : list of str or float, optional
        ``"1y"``, ``"6y"``, days, ... (default: the config's own exposure).
    vacuum : bool
        Also compute it with the matter effect switched off.
    progress : bool or callable
    client : dask.distributed.Client, optional
        One task per exposure.

    Returns
    -------
    NmoResult
    """
    from .ordering import nmo_sensitivity

    check_nmo(config, exposures, vacuum)
    if hasattr(config, "parts"):
        labels, days = ["own"], [None]
    else:
        labels = [str(e) for e in exposures] if exposures else [f"{config.exposure_days / DAYS_PER_YEAR:g}y"]
        days = [parse_exposure(e, "--exposure", "exposure") for e in (exposures or labels)]

    def run(cfg: Any, what: str) -> dict:
        found = nmo_sensitivity(cfg, days, progress=_callback(progress, f"nmo {what}", "exposures"), client=client)
        return dict(zip(labels, found["exposures"].values(), strict=True))

    matter = run(config, "matter")
    vac = None
    if vacuum:
        cfg = dataclasses.replace(config, oscillation=dataclasses.replace(config.oscillation, matter="vacuum"))
        vac = run(cfg, "vacuum")
    return NmoResult(config.name, config.oscillation.ordering, labels, days, matter, vac)


def precision(
    config: Any,
    exposures: Sequence[str | float] | None = None,
    *,
    progress: ProgressArg = True,
    client: Any = None,
) -> PrecisionResult:
    """Relative 1σ precision of the free oscillation parameters on Asimov data, stat+syst and stat only.

    Parameters
    ----------
    config : str, Config or JointConfig
        A config (name, path or loaded) and ``exposures``; or a joint config at its parts' exposures.
    exposures : list of str or float
        ``"100d"``, ``"6y"``, days (not for a joint config).
    progress : bool or callable
    client : dask.distributed.Client, optional
        One task per fit.

    Returns
    -------
    PrecisionResult
    """
    from .precision_table import joint_precision
    from .precision_table import precision as _precision

    bar = _callback(progress, "precision", "fits")
    check_precision(hasattr(config, "parts"), exposures)
    if hasattr(config, "parts"):
        return PrecisionResult(config.name, joint_precision(config, bar, client=client))
    loaded = _load_config(config) if isinstance(config, str | Path) else config
    table = _precision(loaded, list(exposures), bar, client=client)
    return PrecisionResult(loaded.name, table)


def toys(
    config: Any,
    n: int,
    *,
    output: str | Path | None = None,
    first: int = 0,
    true_ordering: str | None = None,
    nmo: bool = False,
    throw_nuisances: bool = False,
    global_search: bool = False,
    minimiser: str = "newton",
    workers: int | None = 1,
    scheduler: str | None = None,
    chunk: int | None = None,
    force: bool = False,
    progress: bool = True,
) -> ToysResult:
    """Fit an ensemble of pseudo-experiments (toys ``first … first+n−1``) on Dask workers.

    The ensemble streams into ``output`` (HDF5) and resumes from it: toys already there are not
    fitted again, and toy k is the same for any number of workers (see :func:`pseudo_experiment`).

    Parameters
    ----------
    config : str or Config
    n : int
        Number of toys.
    output : str or Path, optional
        The ensemble file (default: a temporary file, removed after it is read back).
    first : int
        Number of the first toy.
    true_ordering : {"normal", "inverted"}, optional
        Generate the toys in this ordering (default: the config's).
    nmo : bool
        Also fit each toy in the wrong ordering (Δχ²_NMO per toy).
    throw_nuisances : bool
        Draw the nuisance parameters from their priors for each toy.
    global_search : bool
        Start each fit from several Δm²31 values (finds alias minima at short exposure).
    minimiser : {"newton", "migrad"}
        Newton iterations with the true point's curvature and the oscillation parameters' errors by
        conjugate gradients (MIGRAD where they do not converge; see :mod:`juno_fit.ensemble`), or MIGRAD
        and the full Hessian for every toy. ``nmo`` and ``global_search`` always use MIGRAD.
    workers : int or None
        Local worker processes (1: in this process; None: one per core).
    scheduler : str, optional
        Address of an existing Dask scheduler, e.g. ``tcp://host:8786``.
    chunk : int, optional
        Toys per task.
    force : bool
        Start ``output`` afresh even when it holds toys.
    progress : bool

    Returns
    -------
    ToysResult
        The run's counts and timings, the ensemble's summary and its per-toy arrays.
    """
    from .ensemble import check_run, ensemble_config, read_ensemble, run_ensemble, summarise

    check_run(n, first, workers, chunk)
    loaded = _load_config(config) if isinstance(config, str | Path) else config
    loaded = ensemble_config(loaded, true_ordering)
    with tempfile.TemporaryDirectory(prefix="juno-fit-toys-") as tmp:
        path = Path(output) if output is not None else Path(tmp) / "toys.h5"
        run = run_ensemble(
            loaded,
            n,
            path,
            first=first,
            nmo=nmo,
            throw_nuisances=throw_nuisances,
            global_search=global_search,
            minimiser=minimiser,
            workers=workers,
            scheduler=scheduler,
            force=force,
            chunk=chunk,
            show_progress=ProgressBar if progress else False,
        )
        run["output"] = str(output) if output is not None else None
        ensemble = read_ensemble(path)
    return ToysResult(run, summarise(ensemble), ensemble.arrays(), list(ensemble.spec.parameters))


def feldman_cousins(
    likelihood: Any,
    params: Sequence[str],
    grid: Sequence[Sequence[float]],
    toys: int,
    *,
    output: str | Path | None = None,
    first: int = 0,
    throw_nuisances: bool = False,
    workers: int | None = 1,
    scheduler: str | None = None,
    client: Any = None,
    force: bool = False,
    progress: bool = True,
) -> FeldmanCousinsResult:
    """Feldman–Cousins intervals (one parameter) or regions (two) by a Neyman construction on Dask.

    At each grid point the toys are drawn at the nuisance parameters profiled on the data, with the
    priors' centres drawn around them, and fitted with the parameters held and free; the critical
    value at each CL is the quantile of their Δχ² (see :mod:`juno_fit.neyman`). The construction
    streams into ``output`` and resumes from it; results do not depend on the number of workers.

    Parameters
    ----------
    likelihood : Likelihood
        The model on the data.
    params : list of str
        One or two free parameters.
    grid : list of arrays
        The values of each parameter (increasing, within its limits).
    toys : int
        Toys per grid point.
    output : str or Path, optional
        The construction file (default: a temporary file, removed after it is read back).
    first : int
        Number of the first toy (split runs, merged with ``juno-fit merge``).
    throw_nuisances : bool
        Draw the toys' nuisance parameters from their priors.
    workers : int or None
        Local worker processes (None: one per core).
    scheduler : str, optional
        Address of an existing Dask scheduler.
    client : dask.distributed.Client, optional
        An existing client (instead of ``workers``/``scheduler``).
    force : bool
        Start ``output`` afresh.
    progress : bool

    Returns
    -------
    FeldmanCousinsResult
    """
    from .neyman import read_construction, run_construction
    from .neyman_intervals import analyse

    with tempfile.TemporaryDirectory(prefix="juno-fit-fc-") as tmp:
        path = Path(output) if output is not None else Path(tmp) / "fc.h5"
        run = run_construction(
            likelihood,
            list(params),
            [np.asarray(g, dtype=float) for g in grid],
            toys,
            path,
            first=first,
            throw_nuisances=throw_nuisances,
            workers=workers,
            scheduler=scheduler,
            client=client,
            force=force,
            show_progress=ProgressBar if progress else False,
        )
        doc = analyse(read_construction(path))
    doc["seconds"], doc["run"] = run["seconds"], run
    doc["output"] = str(output) if output is not None else None
    return FeldmanCousinsResult(doc)
