"""Ensembles of pseudo-experiments on Dask (the client, task map and worker-side model cache are in
:mod:`juno_fit.parallel`).

Ensembles. Pseudo-experiment k is generated from (config seed, k) only and fitted from the true point,
so a toy's result does not depend on the worker that ran it, on the number of workers or on the order of
completion. The fit (``minimiser = "newton"``, the default) is Newton iterations with the curvature of
the true point's Asimov data set, computed once per process (:mod:`juno_fit.newton`), and the errors
of the free oscillation parameters by preconditioned conjugate gradients at the minimum; where that does
not converge, and for ``--nmo`` and ``--global`` ensembles (several minima to compare), MIGRAD with
retries seeded by k (``minimiser = "migrad"``; files without that attribute hold such toys). Results are
kept in memory by toy index and the output file is rewritten atomically (a temporary file renamed over
it) every few seconds and at the end: the file on disk is always a complete ensemble file holding the
toys finished so far, sorted by index. Rerunning the same command reads it and fits only the missing
indices, so a run interrupted in any way (Ctrl-C, a killed worker — Dask reschedules its tasks —, a
killed client) completes with exactly the requested toys.

File format (HDF5, ``format = "juno-fit ensemble"``): the ensemble's identity as attributes
(:data:`SPEC_FIELDS`: config name and full text, exposure, seed, true ordering, options, statistic),
``parameters/names`` and ``parameters/free``, and per toy ``toys/index``, ``toys/values``,
``toys/errors``, ``toys/truth`` (toys × parameters), ``toys/valid``, ``toys/fval``, ``toys/nfev``,
``toys/attempts``, ``toys/seconds`` (fit time; the one field that differs between identical runs;
``toys/errors`` of a Newton fit holds the free oscillation parameters' errors, NaN for the others) and
for mass-ordering ensembles ``toys/fval_wrong``, ``toys/valid_wrong``, ``toys/dm2_31_wrong``,
``toys/dchi2`` (χ²_min(wrong) − χ²_min(true)).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__
from .config import OSCILLATION_PARAMETERS, Config
from .errors import DataError, JunoFitError
from .files import atomic_output, open_hdf5
from .parallel import same_toy, stream_tasks, worker_model

ENSEMBLE_FORMAT = "juno-fit ensemble"
ENSEMBLE_VERSION = 1
SPEC_FIELDS = (
    "config_name",
    "config_text",
    "exposure_days",
    "seed",
    "true_ordering",
    "nmo",
    "throw_nuisances",
    "global_search",
    "statistic",
    "minimiser",
)
MINIMISERS = ("newton", "migrad")
TOY_FIELDS = ("values", "errors", "truth", "valid", "fval", "nfev", "attempts", "seconds")
NMO_FIELDS = ("fval_wrong", "valid_wrong", "dm2_31_wrong", "dchi2")
# Δm²31 starts of --global fits besides the truth (relative offsets): the Δm²31 likelihood has
# local minima 5–10 % apart where the fast oscillation realigns; starts over ±30 % find the global one.
GLOBAL_DM31_STARTS = tuple(float(x) for x in np.round(np.arange(-0.30, 0.301, 0.05), 2) if x != 0.0)


# --------------------------------------------------------------------------------------------------
# Ensembles of pseudo-experiments
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EnsembleSpec:
    """What makes two ensembles the same: toys with equal indices are then the same toys."""

    config_name: str
    config_text: str
    exposure_days: float
    seed: int
    true_ordering: str
    nmo: bool
    throw_nuisances: bool
    global_search: bool
    statistic: str
    parameters: tuple[str, ...]
    free: tuple[str, ...]
    minimiser: str = "newton"

    def differences(self, other: EnsembleSpec) -> list[str]:
        out = [f for f in SPEC_FIELDS if getattr(self, f) != getattr(other, f)]
        if self.parameters != other.parameters or self.free != other.free:
            out.append("parameters")
        return out


def ensemble_config(config: Config, true_ordering: str | None = None) -> Config:
    """``config`` with its true point in the requested ordering: the other ordering's Δm²31 keeps
    |Δm²ee| = |Δm²31 − sin²θ12 Δm²21|, and an external constraint on Δm²31 is mirrored the same way."""
    if true_ordering is None or true_ordering == config.oscillation.ordering:
        return config
    if true_ordering not in ("normal", "inverted"):
        raise JunoFitError(f"--true-ordering: accepted values normal, inverted; got {true_ordering!r}")
    return config.with_ordering(true_ordering)


def ensemble_spec(
    config: Config,
    *,
    nmo: bool = False,
    throw_nuisances: bool = False,
    global_search: bool = False,
    minimiser: str = "newton",
) -> EnsembleSpec:
    if getattr(config, "model", "juno") == "dayabay":
        if nmo or global_search:
            raise JunoFitError("--nmo and --global: JUNO configs only (a Daya Bay config has no Δm²31 search)")
        from .dayabay_release import load_release
        from .experiments.dayabay import build_parameters as dayabay_parameters

        params, _ = dayabay_parameters(load_release(config.release_format), config)
    else:
        from .experiments.reactor import build_parameters

        params = build_parameters(config)
    return EnsembleSpec(
        config_name=config.name,
        config_text=config.text,
        exposure_days=float(config.exposure_days),
        seed=int(config.seed),
        true_ordering=config.oscillation.ordering,
        nmo=bool(nmo),
        throw_nuisances=bool(throw_nuisances),
        global_search=bool(global_search),
        statistic=config.fit.statistic,
        parameters=tuple(params.names),
        free=tuple(p.name for p in params if not p.fixed),
        # the Newton path fits one minimum from the truth; a search over orderings or Δm²31 starts is MIGRAD's
        minimiser="migrad" if nmo or global_search else minimiser,
    )


def fit_toy_newton(model, lik, toy: int) -> dict[str, Any] | None:
    """Fit a toy by Newton iterations with the curvature of the true point (:mod:`juno_fit.newton`) and
    the errors of the free oscillation parameters by preconditioned conjugate gradients; ``None``
    when it does not converge (the caller then runs MIGRAD)."""
    from .newton import curvature, newton_minimise, variances

    params = model.parameters
    free = np.array([not p.fixed for p in params])
    curv = curvature(model, params.values(), free)
    found = newton_minimise(lik, params.values(), curv.hessian, free, curv.lo, curv.hi)
    if not found.valid:
        return None
    names = getattr(model, "oscillation_names", OSCILLATION_PARAMETERS)
    wanted = [params.index(n) for n in names if n in params and not params[n].fixed]
    var, calls = variances(lik, found.theta, found.grad, curv, wanted)
    if np.any(var <= 0):
        return None
    errors = np.full(len(params), np.nan)  # errors of the oscillation parameters only
    errors[wanted] = np.sqrt(var)
    return {
        "values": found.theta.copy(),
        "errors": errors,
        "valid": True,
        "fval": found.fval,
        "nfev": found.calls + calls,
        "attempts": 1,
    }


def fit_toy(model, toy: int, spec: EnsembleSpec) -> dict[str, Any]:
    """Generate pseudo-experiment ``toy`` and fit it (from the truth; with ``spec.nmo`` also under
    the other ordering). Deterministic in (config, toy)."""
    from .datasets import pseudo_experiment
    from .fitting import fit
    from .likelihood import Likelihood
    from .ordering import wrong_ordering_fit

    params = model.parameters
    data = pseudo_experiment(model, toy, throw_nuisances=spec.throw_nuisances)
    lik = Likelihood(model, data.arrays(model))
    starts = GLOBAL_DM31_STARTS if spec.global_search else ()
    t0 = time.perf_counter()
    if spec.minimiser == "newton":
        found = fit_toy_newton(model, lik, toy)
        if found is not None:
            truth = np.array([data.truth[n] for n in params.names])
            return {"index": toy, **found, "truth": truth, "seconds": time.perf_counter() - t0}
    true_sign = 1.0 if model.config.oscillation.dm2_31 > 0 else -1.0
    limits = {"dm2_31": (0.0, 1.0) if true_sign > 0 else (-1.0, 0.0)} if spec.nmo else None
    result = fit(lik, minos=[], seed=toy, dm31_starts=starts, limits=limits)
    record: dict[str, Any] = {
        "index": toy,
        "values": np.array([result.values[n] for n in params.names]),
        "errors": np.array([result.errors.get(n, 0.0) for n in params.names]),
        "truth": np.array([data.truth[n] for n in params.names]),
        "valid": bool(result.valid),
        "fval": float(result.fval),
        "nfev": int(result.nfev),
        "attempts": int(result.attempts) + (spec.minimiser == "newton"),  # a Newton attempt before MIGRAD
    }
    if spec.nmo:
        wrong = wrong_ordering_fit(lik, result, true_sign)
        record.update(
            fval_wrong=float(wrong.fval),
            valid_wrong=bool(wrong.valid),
            dm2_31_wrong=float(wrong.values["dm2_31"]),
            dchi2=float(wrong.fval - result.fval),
        )
    record["seconds"] = time.perf_counter() - t0
    return record


def fit_toys(toys: list[int], spec: EnsembleSpec, config: Config) -> list[dict[str, Any]]:
    """The Dask task: fit a chunk of toys with this worker's model of ``config``."""
    model = worker_model(config)
    return [fit_toy(model, k, spec) for k in toys]


@dataclass
class Ensemble:
    spec: EnsembleSpec
    records: dict[int, dict[str, Any]]
    created: str = ""

    @property
    def indices(self) -> np.ndarray:
        return np.array(sorted(self.records), dtype=np.int64)

    def arrays(self) -> dict[str, np.ndarray]:
        """Per-toy columns sorted by index."""
        idx = self.indices
        fields = TOY_FIELDS + (NMO_FIELDS if self.spec.nmo else ())
        out: dict[str, np.ndarray] = {"index": idx}
        p = len(self.spec.parameters)
        for name in fields:
            rows = [self.records[int(i)][name] for i in idx]
            if name in ("values", "errors", "truth"):
                out[name] = np.array(rows, dtype=float).reshape(len(idx), p)
            elif name in ("valid", "valid_wrong"):
                out[name] = np.array(rows, dtype=bool)
            elif name in ("nfev", "attempts"):
                out[name] = np.array(rows, dtype=np.int64)
            else:
                out[name] = np.array(rows, dtype=float)
        return out


def write_ensemble(path: str | Path, ensemble: Ensemble) -> Path:
    """Write the ensemble atomically (complete file or nothing)."""
    import h5py

    spec = ensemble.spec
    path = Path(path)
    arrays = ensemble.arrays()
    with atomic_output(path) as tmp, h5py.File(tmp, "w") as f:
        f.attrs["format"] = ENSEMBLE_FORMAT
        f.attrs["format_version"] = ENSEMBLE_VERSION
        f.attrs["juno_fit_version"] = __version__
        f.attrs["created"] = ensemble.created or datetime.now(UTC).isoformat(timespec="seconds")
        f.attrs["written"] = datetime.now(UTC).isoformat(timespec="seconds")
        for name in SPEC_FIELDS:
            f.attrs[name] = getattr(spec, name)
        f["parameters/names"] = np.array(spec.parameters, dtype="S")
        f["parameters/free"] = np.array([n in spec.free for n in spec.parameters], dtype=bool)
        for name, values in arrays.items():
            f[f"toys/{name}"] = values
    return path


def read_ensemble(path: str | Path) -> Ensemble:
    """Read an ensemble file; anything else (not HDF5, another format, missing or inconsistent
    datasets) is a :class:`DataError` naming the file."""
    path = Path(path)
    with open_hdf5(path, ENSEMBLE_FORMAT, "ensemble", "juno-fit toys") as f:
        try:
            # files written before the Newton path have no minimiser attribute: their toys are MIGRAD's
            attrs = {name: f.attrs[name] for name in SPEC_FIELDS if name != "minimiser"}
            attrs["minimiser"] = f.attrs.get("minimiser", "migrad")
            names = tuple(n.decode() for n in f["parameters/names"][()])
            free_mask = f["parameters/free"][()]
            nmo = bool(attrs["nmo"])
            fields = ("index",) + TOY_FIELDS + (NMO_FIELDS if nmo else ())
            cols = {name: f[f"toys/{name}"][()] for name in fields}
        except (KeyError, OSError, ValueError) as exc:
            raise DataError(f"{path}: damaged juno-fit ensemble ({exc})") from None
        created = f.attrs.get("created", "")
    n = len(cols["index"])
    if any(len(c) != n for c in cols.values()) or len(free_mask) != len(names):
        raise DataError(f"{path}: damaged juno-fit ensemble (columns of different lengths)")
    for name in ("values", "errors", "truth"):
        if cols[name].shape != (n, len(names)):
            raise DataError(f"{path}: damaged juno-fit ensemble (toys/{name} has shape {cols[name].shape})")
    if len(np.unique(cols["index"])) != n:
        raise DataError(f"{path}: damaged juno-fit ensemble (repeated toy indices)")
    spec = EnsembleSpec(
        config_name=str(attrs["config_name"]),
        config_text=str(attrs["config_text"]),
        exposure_days=float(attrs["exposure_days"]),
        seed=int(attrs["seed"]),
        true_ordering=str(attrs["true_ordering"]),
        nmo=nmo,
        throw_nuisances=bool(attrs["throw_nuisances"]),
        global_search=bool(attrs["global_search"]),
        statistic=str(attrs["statistic"]),
        minimiser=str(attrs["minimiser"]),
        parameters=names,
        free=tuple(n for n, m in zip(names, free_mask, strict=True) if m),
    )
    records: dict[int, dict[str, Any]] = {}
    for row, k in enumerate(cols["index"]):
        rec: dict[str, Any] = {"index": int(k)}
        for name in fields[1:]:
            v = cols[name][row]
            rec[name] = v.copy() if isinstance(v, np.ndarray) else v.item()
        records[int(k)] = rec
    return Ensemble(spec, records, created=str(created))


def merge_ensembles(paths: Sequence[str | Path]) -> Ensemble:
    """The union of ensembles of the same spec; a toy in several must have the same result."""
    if not paths:
        raise JunoFitError("merge: give at least one ensemble file")
    first = read_ensemble(paths[0])
    merged = Ensemble(first.spec, dict(first.records), created=first.created)
    origin = dict.fromkeys(first.records, str(paths[0]))
    for path in paths[1:]:
        other = read_ensemble(path)
        diff = merged.spec.differences(other.spec)
        if diff:
            raise DataError(f"{path}: a different ensemble than {paths[0]} ({', '.join(diff)} differ); not merged")
        for k, rec in other.records.items():
            if k in merged.records:
                if not same_toy(merged.records[k], rec):
                    raise DataError(f"{path}: toy {k} differs from the same toy in {origin[k]}; not merged")
                continue
            merged.records[k] = rec
            origin[k] = str(path)
    return merged


def check_run(n: int, first: int, workers: int | None, chunk: int | None) -> None:
    """Refuse (one line, before any work) the arguments of a toy run that cannot be: the number of toys,
    the first toy, the workers and the chunk size."""
    if not 1 <= n <= 10**9 or not 0 <= first < 2**62:
        raise JunoFitError(f"--n: need 1 to 1e9 toys and --first in [0, 2^62), got --n {n} --first {first}")
    if workers is not None and workers < 1:
        raise JunoFitError(f"--workers: need at least 1, got {workers}")
    if chunk is not None and chunk < 1:
        raise JunoFitError(f"--chunk: need at least 1, got {chunk}")


def run_ensemble(
    config: Config,
    n: int,
    output: str | Path,
    *,
    first: int = 0,
    nmo: bool = False,
    throw_nuisances: bool = False,
    global_search: bool = False,
    minimiser: str = "newton",
    workers: int | None = None,
    scheduler: str | None = None,
    force: bool = False,
    flush_seconds: float = 5.0,
    chunk: int | None = None,
    show_progress: bool | Callable[..., Any] = True,
    client=None,
) -> dict[str, Any]:
    """Fit toys ``first … first+n−1`` of ``config`` (already in its true ordering, see
    :func:`ensemble_config`) into ``output``, resuming what is there. Returns counts and timings.
    ``show_progress``: a progress line on stderr (True), none (False), or a class called like
    :class:`~juno_fit.progress.Progress` (``cls(total, label, initial=done)``) for another display."""
    if n < 1:
        raise JunoFitError(f"--n: need at least 1 toy, got {n}")
    if first < 0:
        raise JunoFitError(f"--first: must be ≥ 0, got {first}")
    output = Path(output)
    if minimiser not in MINIMISERS:
        raise JunoFitError(f"--minimiser: accepted values {', '.join(MINIMISERS)}; got {minimiser!r}")
    spec = ensemble_spec(
        config, nmo=nmo, throw_nuisances=throw_nuisances, global_search=global_search, minimiser=minimiser
    )
    if output.exists() and not force:
        ensemble = read_ensemble(output)
        diff = spec.differences(ensemble.spec)
        if diff:
            raise DataError(
                f"{output}: holds a different ensemble ({', '.join(diff)} differ); give another -o or --force"
            )
    else:
        ensemble = Ensemble(spec, {}, created=datetime.now(UTC).isoformat(timespec="seconds"))
    wanted = range(first, first + n)
    missing = [k for k in wanted if k not in ensemble.records]
    summary: dict[str, Any] = {"requested": n, "already": n - len(missing), "fitted": 0, "seconds": 0.0}
    if not missing:
        if force or not output.exists():
            write_ensemble(output, ensemble)
        return summary

    t0 = time.perf_counter()
    run = stream_tasks(
        fit_toys,
        missing,
        shared={"spec": spec, "config": config},
        records=ensemble.records,
        save=lambda: write_ensemble(output, ensemble),
        output=output,
        total=len(wanted),
        chunk=chunk,
        flush_seconds=flush_seconds,
        show_progress=show_progress,
        workers=workers,
        scheduler=scheduler,
        client=client,
    )
    summary.update(fitted=run["done"], workers=run["workers"])
    if "first_result_seconds" in run:
        summary["first_result_seconds"] = run["first_result_seconds"]
    summary["seconds"] = time.perf_counter() - t0
    return summary


# --------------------------------------------------------------------------------------------------
# Summaries
# --------------------------------------------------------------------------------------------------


def summarise(ensemble: Ensemble) -> dict[str, Any]:
    """Per free oscillation parameter: fitted mean and width, pull (fit − truth)/error mean, width
    and robust width, 1σ coverage |fit − truth| ≤ error with its binomial error (converged toys;
    toys whose error is degenerate, a fit on the parameter's boundary, are counted apart); the
    convergence rate; for mass-ordering ensembles the Δχ² distribution and the median sensitivity."""
    spec = ensemble.spec
    a = ensemble.arrays()
    n = len(a["index"])
    valid = a["valid"] & (a["valid_wrong"] if spec.nmo else True)
    out: dict[str, Any] = {
        "config": spec.config_name,
        "exposure_days": spec.exposure_days,
        "true_ordering": spec.true_ordering,
        "toys": n,
        "converged": int(valid.sum()),
        "convergence_rate": float(valid.mean()) if n else 0.0,
        "parameters": {},
    }
    from .experiments.dayabay import DYB_OSCILLATION

    names = [p for p in (*OSCILLATION_PARAMETERS, *DYB_OSCILLATION) if p in spec.free]
    for name in names:
        j = spec.parameters.index(name)
        v, e, t = a["values"][valid, j], a["errors"][valid, j], a["truth"][valid, j]
        # a fit on a parameter's boundary (e.g. sin²θ13 = 0) has a degenerate HESSE error: such toys
        # (error below 1 % of the ensemble's median error) are left out of the pulls and counted
        ok = e > 0.01 * np.median(e) if len(e) else e > 0
        pull = (v[ok] - t[ok]) / e[ok]
        m = len(pull)
        cov = float(np.mean(np.abs(pull) <= 1.0)) if m else float("nan")
        q25, q75 = np.percentile(pull, [25, 75]) if m else (np.nan, np.nan)
        out["parameters"][name] = {
            "truth": float(np.median(t)) if len(t) else float("nan"),
            "mean": float(np.mean(v)) if len(v) else float("nan"),
            "width": float(np.std(v, ddof=1)) if len(v) > 1 else float("nan"),
            "mean_error": float(np.mean(e)) if len(e) else float("nan"),
            "pull_mean": float(np.mean(pull)) if m else float("nan"),
            "pull_mean_error": float(np.std(pull, ddof=1) / np.sqrt(m)) if m > 1 else float("nan"),
            "pull_width": float(np.std(pull, ddof=1)) if m > 1 else float("nan"),
            "pull_robust_width": float((q75 - q25) / 1.3490),
            "coverage_1sigma": cov,
            "coverage_error": float(np.sqrt(cov * (1 - cov) / m)) if m else float("nan"),
            "n": m,
            "n_degenerate_error": int(len(e) - m),
        }
    if spec.nmo:
        d = a["dchi2"][valid]
        out["nmo"] = {
            "dchi2_mean": float(np.mean(d)) if len(d) else float("nan"),
            "dchi2_std": float(np.std(d, ddof=1)) if len(d) > 1 else float("nan"),
            "dchi2_median": float(np.median(d)) if len(d) else float("nan"),
            "dchi2_quantiles_16_84": [float(x) for x in np.percentile(d, [16, 84])] if len(d) else [],
            "median_sensitivity": float(np.sign(np.median(d)) * np.sqrt(abs(np.median(d)))) if len(d) else float("nan"),
            "fraction_wrong_preferred": float(np.mean(d < 0)) if len(d) else float("nan"),
        }
    return out
