"""Feldman–Cousins intervals and regions: the Neyman construction with the likelihood-ratio ordering,
for one or two parameters, on Dask, streamed, resumable and mergeable like toy ensembles.

The construction (the profile construction of Daya Bay's and T2K's analyses):

1. On the data: the global fit (χ²_min), and at every grid point p the fit with the construction's
   parameters held at p and every other free parameter profiled (θ̂_p) —
   Δχ²_data(p) = χ²(p) − χ²_min (:func:`juno_fit.fitting.profile_scan` / ``profile_grid``).
2. At every grid point, pseudo-experiments are drawn at θ̂_p (the nuisance parameters at their profiled
   values on the data): Poisson fluctuations per bin, and the auxiliary measurements — the centres of
   the Gaussian priors — drawn around θ̂_p (:func:`auxiliary_measurements`); toy k of point p comes from
   the generator (config seed, point, k) alone. Each
   toy is fitted twice, with the parameters held at p and free, both started from θ̂_p:
   Δχ²_k = χ²_k(p) − min(χ²_k,min, χ²_k(p)) (the second term guards against a global fit that stops in a
   worse minimum). The fits are Newton iterations with the curvature of θ̂_p's Asimov data
   (:mod:`juno_fit.newton`), MIGRAD where they do not converge.
3. The critical value Δχ²_c(p) at confidence α is the α-quantile of the toys' Δχ²; its uncertainty is
   the spread of the order statistics at ranks nα ± √(nα(1 − α)) (the binomial uncertainty of the count
   below it). p belongs to the interval (region) when Δχ²_data(p) ≤ Δχ²_c(p); Wilks' theorem would
   use the χ² quantile with one (two) degrees of freedom instead, given beside.

With ``throw_nuisances`` the toys' nuisance parameters are drawn from their priors (the true values
unknown): a coverage study compares such toys with the critical values of a construction without.

File format (HDF5, ``format = "juno-fit neyman"``): the construction's identity as attributes
(:data:`SPEC_FIELDS`), ``grid/<name>`` (the values of each parameter), ``parameters/names``,
``data/`` (``fval_global``, ``theta_global``, ``dchi2``, ``theta`` (points × parameters), ``valid``)
and per toy ``toys/`` (``key`` = point × 2³² + toy, ``dchi2``, ``fval_point``, ``fval_global``,
``valid``, ``best`` (the construction's parameters at the toy's global minimum), ``calls``,
``seconds``). Points are numbered row-major over the grid (first parameter slowest).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__
from .errors import DataError, JunoFitError
from .files import atomic_output, open_hdf5
from .parallel import same_toy, stream_tasks, worker_model

FORMAT = "juno-fit neyman"
VERSION = 1
SPEC_FIELDS = ("config_name", "config_text", "exposure_days", "seed", "statistic", "data_digest", "throw_nuisances")
LEVELS = {"68.27": 0.6827, "90": 0.90, "95": 0.95, "99.73": 0.9973}
TOY_FIELDS = ("dchi2", "fval_point", "fval_global", "valid", "best", "calls", "seconds")
KEY_STRIDE = 2**32  # key = point × KEY_STRIDE + toy
CONSTRUCTION = (
    "profile construction: toys at the nuisance parameters profiled on the data at each point, the priors' "
    "centres (auxiliary measurements) drawn around them, Δχ² = χ²(point) − χ²(global) per toy, critical "
    "value = its quantile"
)


@dataclass(frozen=True)
class ConstructionSpec:
    """What makes two constructions the same: toys with equal keys are then the same toys."""

    config_name: str
    config_text: str
    exposure_days: float
    seed: int
    statistic: str
    data_digest: str
    throw_nuisances: bool
    params: tuple[str, ...]
    grid: tuple[tuple[float, ...], ...]
    parameters: tuple[str, ...]

    def differences(self, other: ConstructionSpec) -> list[str]:
        out = [f for f in SPEC_FIELDS if getattr(self, f) != getattr(other, f)]
        out += [f for f in ("params", "grid", "parameters") if getattr(self, f) != getattr(other, f)]
        return out

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(g) for g in self.grid)

    @property
    def points(self) -> np.ndarray:
        """The grid points, row-major: shape (n_points, len(params))."""
        mesh = np.meshgrid(*[np.array(g) for g in self.grid], indexing="ij")
        return np.stack([m.ravel() for m in mesh], axis=1)


@dataclass
class DataProfile:
    fval_global: float
    theta_global: np.ndarray
    dchi2: np.ndarray  # per point
    theta: np.ndarray  # (points, parameters): θ̂_p
    valid: np.ndarray


@dataclass
class Construction:
    spec: ConstructionSpec
    data: DataProfile
    records: dict[int, dict[str, Any]] = field(default_factory=dict)
    created: str = ""

    def toys_by_point(self) -> list[np.ndarray]:
        """Δχ² of the valid toys of each point (one pass over the records)."""
        found: list[list[float]] = [[] for _ in range(len(self.spec.points))]
        for key, r in self.records.items():
            if r["valid"]:
                found[key // KEY_STRIDE].append(r["dchi2"])
        return [np.array(f, dtype=float) for f in found]


def data_digest(data: Sequence[np.ndarray]) -> str:
    return hashlib.sha256(b"".join(np.ascontiguousarray(d, dtype=float).tobytes() for d in data)).hexdigest()


def construction_spec(lik, params: Sequence[str], grid: Sequence[Sequence[float]], throw_nuisances=False):
    config = lik.model.config
    return ConstructionSpec(
        config_name=config.name,
        config_text=config.text,
        exposure_days=float(config.exposure_days),
        seed=int(config.seed),
        statistic=lik.statistic,
        data_digest=data_digest(lik.data),
        throw_nuisances=bool(throw_nuisances),
        params=tuple(params),
        grid=tuple(tuple(float(v) for v in g) for g in grid),
        parameters=tuple(lik.model.parameters.names),
    )


def check_construction(
    lik, params: Sequence[str], grid: Sequence[Sequence[float]], n_toys: int, min_points: int = 2
) -> None:
    """Refuse (one line, before any fit) what cannot be constructed."""
    model_params = lik.model.parameters
    if not 1 <= len(params) <= 2 or len(set(params)) != len(params):
        raise JunoFitError(f"--params: one or two different parameters, got {' '.join(params)}")
    for name, values in zip(params, grid, strict=True):
        if name not in model_params.names:
            raise JunoFitError(f"--params: unknown parameter {name!r} (this model has {', '.join(model_params.names)})")
        if model_params[name].fixed:
            raise JunoFitError(f"--params: {name} is fixed in this config ([fit] parameters)")
        lo, hi = model_params[name].limits
        values = np.asarray(values, dtype=float)
        if len(values) < min_points or not np.all(np.isfinite(values)) or np.any(np.diff(values) <= 0):
            raise JunoFitError(f"--range/--points of {name}: need at least {min_points} increasing finite values")
        if (lo is not None and values[0] < lo) or (hi is not None and values[-1] > hi):
            raise JunoFitError(f"--range of {name}: must lie within its limits [{lo}, {hi}]")
    if not 1 <= n_toys <= 10**7:
        raise JunoFitError(f"--toys: need 1 to 1e7 toys per point, got {n_toys}")


# --------------------------------------------------------------------------------------------------
# The data stage and the toys
# --------------------------------------------------------------------------------------------------


def profile_data(lik, spec: ConstructionSpec, *, progress=None, client=None) -> DataProfile:
    """Step 1 of the construction (module docstring) on ``lik``'s data."""
    from .fitting import fit, profile_grid, profile_scan

    best = fit(lik, minos=[])
    if len(spec.params) == 1:
        points, _ = profile_scan(
            lik, spec.params[0], np.array(spec.grid[0]), best=best, progress=progress, client=client
        )
        fval = np.array([p.fval for p in points])
        theta = np.array([p.theta for p in points])
        valid = np.array([p.valid for p in points])
    else:
        grid = profile_grid(
            lik,
            spec.params,
            np.array(spec.grid[0]),
            np.array(spec.grid[1]),
            best=best,
            progress=progress,
            client=client,
        )
        fval = (grid["dchi2"] + grid["fmin"]).ravel()
        theta = grid["theta"].reshape(-1, len(spec.parameters))
        valid = grid["valid"].ravel()
    fmin = min(best.fval, float(np.nanmin(fval)))
    theta_global = np.array([best.values[n] for n in spec.parameters])
    return DataProfile(fmin, theta_global, fval - fmin, theta, valid)


def fit_toy(model, spec: ConstructionSpec, theta_p: np.ndarray, point: int, toy: int) -> dict[str, Any]:
    """Toy ``toy`` of grid point ``point`` (step 2 of the module docstring)."""
    from .datasets import throw_parameters
    from .fitting import fit, minimise_fixed
    from .likelihood import Likelihood
    from .newton import curvature, newton_minimise

    t0 = time.perf_counter()
    params = model.parameters
    rng = np.random.default_rng(np.random.SeedSequence(entropy=spec.seed, spawn_key=(0xFC, point, toy)))
    truth = throw_parameters(model, rng, theta_p) if spec.throw_nuisances else theta_p
    lik = Likelihood(model, [rng.poisson(p.total).astype(float) for p in model.predict(truth)])
    auxiliary_measurements(lik, truth, rng)
    index = [params.index(n) for n in spec.params]
    free = np.array([not p.fixed for p in params])
    held = free.copy()
    held[index] = False
    results = []
    calls = 0
    for mask in (held, free):
        curv = curvature(model, theta_p, mask)
        found = newton_minimise(lik, theta_p, curv.hessian, mask, curv.lo, curv.hi)
        calls += found.calls
        if found.valid:
            results.append((found.fval, True, found.theta))
        elif mask is held:
            fval, valid, _attempts, theta = minimise_fixed(
                lik, {n: theta_p[i] for n, i in zip(spec.params, index, strict=True)}, theta_p, seed=toy
            )
            results.append((fval, valid, theta))
        else:
            res = fit(lik, start=theta_p, minos=[], hesse=False, seed=toy)
            results.append((res.fval, res.valid, np.array([res.values[n] for n in params.names])))
    (f_point, v_point, _), (f_global, v_global, theta_global) = results
    return {
        "index": point * KEY_STRIDE + toy,
        "dchi2": max(f_point - min(f_global, f_point), 0.0),
        "fval_point": float(f_point),
        "fval_global": float(f_global),
        "valid": bool(v_point and v_global),
        "best": theta_global[index].copy(),
        "calls": int(calls),
        "seconds": time.perf_counter() - t0,
    }


def auxiliary_measurements(lik, truth: np.ndarray, rng: np.random.Generator) -> None:
    """Draw the toy's auxiliary measurements: the centres of the Gaussian priors (independent pulls and
    correlated blocks) around the true nuisance values, as the measurements that the priors stand for
    would scatter. Without this, toys drawn at nuisance values pulled away from the priors' centres
    would be fitted with priors that contradict their own truth. (Daya Bay's likelihood keeps its
    priors: its constructions throw only the spectra.)"""
    if not hasattr(lik, "pull_index"):
        return
    lik.pull_mean = truth[lik.pull_index] + lik.pull_sigma * rng.standard_normal(len(lik.pull_index))
    means = np.array(lik.block_mean, dtype=float)
    for b, idx in enumerate(lik.block_index):
        means[b] = rng.multivariate_normal(truth[idx], np.linalg.inv(lik.block_inverse[b]))
    lik.block_mean = means


def fit_toys(keys: list[int], spec: ConstructionSpec, config, theta: np.ndarray) -> list[dict[str, Any]]:
    """The Dask task: toys ``keys`` with this worker's model of ``config``."""
    model = worker_model(config)
    return [fit_toy(model, spec, theta[k // KEY_STRIDE], k // KEY_STRIDE, k % KEY_STRIDE) for k in keys]


# --------------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------------


def write_construction(path: str | Path, c: Construction) -> Path:
    """Write the construction atomically (complete file or nothing)."""
    import h5py

    path = Path(path)
    keys = np.array(sorted(c.records), dtype=np.int64)
    with atomic_output(path) as tmp, h5py.File(tmp, "w") as f:
        f.attrs.update(format=FORMAT, format_version=VERSION, juno_fit_version=__version__)
        f.attrs["created"] = c.created or datetime.now(UTC).isoformat(timespec="seconds")
        for name in SPEC_FIELDS:
            f.attrs[name] = getattr(c.spec, name)
        f["params"] = np.array(c.spec.params, dtype="S")
        for name, values in zip(c.spec.params, c.spec.grid, strict=True):
            f[f"grid/{name}"] = np.array(values)
        f["parameters/names"] = np.array(c.spec.parameters, dtype="S")
        for name in ("fval_global", "theta_global", "dchi2", "theta", "valid"):
            f[f"data/{name}"] = getattr(c.data, name)
        f["toys/key"] = keys
        for name in TOY_FIELDS:
            rows = [c.records[int(k)][name] for k in keys]
            if name == "best":
                f[f"toys/{name}"] = np.array(rows, dtype=float).reshape(len(keys), len(c.spec.params))
            else:
                f[f"toys/{name}"] = np.array(rows, dtype=bool if name == "valid" else None)
    return path


def read_construction(path: str | Path) -> Construction:
    """Read a construction file; anything else is a :class:`DataError` naming the file."""
    path = Path(path)
    with open_hdf5(path, FORMAT, "Feldman–Cousins construction", "juno-fit fc") as f:
        try:
            attrs = {name: f.attrs[name] for name in SPEC_FIELDS}
            params = tuple(n.decode() for n in f["params"][()])
            grid = tuple(tuple(float(v) for v in f[f"grid/{n}"][()]) for n in params)
            names = tuple(n.decode() for n in f["parameters/names"][()])
            data = DataProfile(
                *(f[f"data/{n}"][()] for n in ("fval_global", "theta_global", "dchi2", "theta", "valid"))
            )
            cols = {name: f[f"toys/{name}"][()] for name in ("key", *TOY_FIELDS)}
        except (KeyError, OSError, ValueError, TypeError) as exc:
            raise DataError(f"{path}: damaged juno-fit Feldman–Cousins construction ({exc})") from None
        created = str(f.attrs.get("created", ""))
    n = len(cols["key"])
    if any(len(v) != n for v in cols.values()) or len(np.unique(cols["key"])) != n:
        raise DataError(f"{path}: damaged juno-fit Feldman–Cousins construction (toy columns disagree)")
    spec = ConstructionSpec(
        config_name=str(attrs["config_name"]),
        config_text=str(attrs["config_text"]),
        exposure_days=float(attrs["exposure_days"]),
        seed=int(attrs["seed"]),
        statistic=str(attrs["statistic"]),
        data_digest=str(attrs["data_digest"]),
        throw_nuisances=bool(attrs["throw_nuisances"]),
        params=params,
        grid=grid,
        parameters=names,
    )
    data.fval_global = float(data.fval_global)
    records = {}
    for row, key in enumerate(cols["key"]):
        rec: dict[str, Any] = {"index": int(key)}
        for name in TOY_FIELDS:
            v = cols[name][row]
            rec[name] = v.copy() if isinstance(v, np.ndarray) else v.item()
        records[int(key)] = rec
    return Construction(spec, data, records, created)


def is_construction(path: str | Path) -> bool:
    """Whether ``path`` is an HDF5 file of this format (anything unreadable: False)."""
    import h5py

    try:
        with h5py.File(path, "r") as f:
            fmt = f.attrs.get("format")
    except (OSError, ValueError):
        return False
    return (fmt.decode() if isinstance(fmt, bytes) else fmt) == FORMAT


def merge_constructions(paths: Sequence[str | Path]) -> Construction:
    """The union of constructions of the same spec; a toy in several must have the same result."""
    if not paths:
        raise JunoFitError("merge: give at least one construction file")
    merged = read_construction(paths[0])
    for path in paths[1:]:
        other = read_construction(path)
        diff = merged.spec.differences(other.spec)
        if diff:
            raise DataError(f"{path}: a different construction than {paths[0]} ({', '.join(diff)} differ); not merged")
        for k, rec in other.records.items():
            if k in merged.records and not same_toy(merged.records[k], rec):
                raise DataError(f"{path}: toy {k % KEY_STRIDE} of point {k // KEY_STRIDE} differs; not merged")
            merged.records.setdefault(k, rec)
    return merged


# --------------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------------


def run_construction(
    lik,
    params: Sequence[str],
    grid: Sequence[Sequence[float]],
    n_toys: int,
    output: str | Path,
    *,
    first: int = 0,
    throw_nuisances: bool = False,
    workers: int | None = None,
    scheduler: str | None = None,
    client=None,
    force: bool = False,
    flush_seconds: float = 5.0,
    chunk: int | None = None,
    show_progress: bool | Callable[..., Any] = True,
    min_points: int = 2,
) -> dict[str, Any]:
    """Toys ``first … first+n_toys−1`` at every grid point into ``output``, resuming what is there (the
    data stage is computed once and stored first). Returns counts and timings."""
    check_construction(lik, params, grid, n_toys, min_points)
    output = Path(output)
    spec = construction_spec(lik, params, grid, throw_nuisances)
    t0 = time.perf_counter()
    summary: dict[str, Any] = {"requested": n_toys * int(np.prod(spec.shape)), "fitted": 0}
    if output.exists() and not force:
        c = read_construction(output)
        diff = spec.differences(c.spec)
        if diff:
            raise DataError(
                f"{output}: holds a different construction ({', '.join(diff)} differ); give another -o or --force"
            )
    else:
        c = Construction(
            spec, profile_data(lik, spec, client=client), {}, datetime.now(UTC).isoformat(timespec="seconds")
        )
        write_construction(output, c)
    summary["data_seconds"] = time.perf_counter() - t0
    missing = [
        p * KEY_STRIDE + k
        for p in range(len(spec.points))
        for k in range(first, first + n_toys)
        if p * KEY_STRIDE + k not in c.records
    ]
    summary["already"] = summary["requested"] - len(missing)
    if missing:
        run = stream_tasks(
            fit_toys,
            missing,
            shared={"spec": spec, "config": lik.model.config, "theta": c.data.theta},
            records=c.records,
            save=lambda: write_construction(output, c),
            output=output,
            total=summary["requested"],
            chunk=chunk,
            flush_seconds=flush_seconds,
            show_progress=show_progress,
            workers=workers,
            scheduler=scheduler,
            client=client,
        )
        summary.update(fitted=run["done"], workers=run["workers"])
    summary["seconds"] = time.perf_counter() - t0
    return summary
