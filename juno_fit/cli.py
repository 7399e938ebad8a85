"""The ``juno-fit`` command (DESIGN.md §3, CLI contract).

User errors (bad config, missing file, bad value) print one line ``juno-fit: error: ...`` on stderr
and exit with code 2; ``--json`` prints exactly one JSON object on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .errors import Interrupted, JunoFitError
from .files import PLOT_SUFFIXES, atomic_output, check_output
from .threads import limited_threads

MAX_POINTS = 10_000  # scan points
MAX_GRID_POINTS = 1_000  # contour grid points per axis (a million profiled fits)


def _check_range(option: str, model, name: str, rng) -> None:
    """A scan or grid range inside the parameter's limits."""
    if not rng:
        return
    lo, hi = model.parameters[name].limits
    if (lo is not None and rng[0] < lo) or (hi is not None and rng[1] > hi):
        shown = f"[{'-inf' if lo is None else f'{lo:g}'}, {'inf' if hi is None else f'{hi:g}'}]"
        raise JunoFitError(f"{option}: {name} must stay within its limits {shown}, got [{rng[0]:g}, {rng[1]:g}]")


def _add_config(p: argparse.ArgumentParser) -> None:
    p.add_argument("config", help="config name (e.g. juno_nominal) or path to a .toml file")
    p.add_argument("--exposure", help='replace the config\'s exposure ("100d", "6y", or days)')


def _add_parallel(p: argparse.ArgumentParser, default_workers: int | None = 1) -> None:
    p.add_argument(
        "--workers",
        type=int,
        default=default_workers,
        metavar="K",
        help=f"Dask worker processes on this machine (default: {default_workers or 'cores'}; 1 runs in this process)",
    )
    p.add_argument("--scheduler", metavar="ADDRESS", help="run on an existing Dask cluster, e.g. tcp://host:8786")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="juno-fit",
        description="Reactor antineutrino oscillation fits for JUNO-like experiments.",
    )
    parser.add_argument("--version", action="version", version=f"juno-fit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("predict", help="expected IBD and background rates and counts for a config")
    _add_config(p)
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.add_argument("--plot", metavar="FILE", help="save the stacked prompt spectrum (PNG or PDF)")
    p.add_argument("--force", action="store_true", help="overwrite an existing plot file")
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("simulate", help="write the Asimov data set or one Poisson pseudo-experiment (HDF5)")
    _add_config(p)
    p.add_argument("-o", "--output", required=True, metavar="FILE.h5", help="output data set")
    p.add_argument("--toy", type=int, metavar="K", help="pseudo-experiment number K (seeded by the config seed and K)")
    p.add_argument("--throw-nuisances", action="store_true", help="draw nuisance parameters from their priors (toys)")
    p.add_argument("--force", action="store_true", help="overwrite an existing output file")
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("fit", help="fit the oscillation parameters (Asimov data of the config unless --data)")
    _add_config(p)
    p.add_argument(
        "--data",
        metavar="FILE",
        help="data set from 'juno-fit simulate' (.h5), a JUNO release table (.csv), or 'real' (Daya Bay)",
    )
    p.add_argument("-o", "--output", metavar="RESULT.h5", help="save the result with its provenance")
    p.add_argument("--force", action="store_true", help="overwrite existing result and plot files")
    p.add_argument(
        "--force-data",
        action="store_true",
        help="fit a data set made for another exposure than the config's (or one that does not record it)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.add_argument(
        "--ordering", choices=("normal", "inverted"), help="mass ordering of the true point and the fit's start"
    )
    p.add_argument("--no-minos", action="store_true", help="skip MINOS (HESSE errors only)")
    p.add_argument("--plot", metavar="FILE", help="data, stacked best fit and residuals (PNG or PDF)")
    p.add_argument("--plot-pulls", metavar="FILE", help="nuisance pulls")
    p.add_argument("--plot-correlation", metavar="FILE", help="correlation matrix of the free parameters")
    p.set_defaults(func=cmd_fit)

    p = sub.add_parser("scan", help="Δχ² profile of one parameter (every other parameter re-minimised)")
    _add_config(p)
    p.add_argument("--param", required=True, metavar="NAME", help="parameter to scan, e.g. dm2_31")
    p.add_argument("--range", nargs=2, type=float, metavar=("LO", "HI"), help="scan range (default ±4σ)")
    p.add_argument("--points", type=int, default=41, metavar="N", help="scan points (default 41)")
    p.add_argument("--data", metavar="FILE", help="data set (.h5) or JUNO release table (.csv); default: Asimov data")
    p.add_argument("--force-data", action="store_true", help="accept data made for another exposure")
    p.add_argument("--plot", metavar="FILE", help="Δχ² profile plot (PNG or PDF)")
    p.add_argument("--save", metavar="FILE", help="write the profile: HDF5 (.h5) or CSV (.csv, one row per point)")
    p.add_argument("--force", action="store_true", help="overwrite existing output files")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    _add_parallel(p)
    p.set_defaults(func=cmd_scan)

    p = sub.add_parser("contour", help="2D Δχ² contours on a profiled grid")
    p.add_argument("configs", nargs="+", metavar="CONFIG", help="one or more configs (overlaid)")
    p.add_argument("--params", nargs=2, required=True, metavar=("A", "B"), help="the two parameters")
    p.add_argument("--exposure", action="append", help="exposure(s) to overlay (default: each config's own)")
    p.add_argument("--points", type=int, default=25, metavar="N", help="grid points per axis (default 25)")
    p.add_argument("--points-a", type=int, metavar="N", help="grid points along A (default: --points)")
    p.add_argument("--points-b", type=int, metavar="N", help="grid points along B (default: --points)")
    p.add_argument(
        "--range-a", nargs=2, type=float, metavar=("LO", "HI"), help="range of A, ends included (default ±4.5σ)"
    )
    p.add_argument(
        "--range-b", nargs=2, type=float, metavar=("LO", "HI"), help="range of B, ends included (default ±4.5σ)"
    )
    _add_parallel(p, None)
    p.add_argument(
        "--data", metavar="FILE", help="data set (.h5) or JUNO release table (.csv) for a single config and exposure"
    )
    p.add_argument("--force-data", action="store_true", help="accept data made for another exposure")
    p.add_argument("--mncontour", action="store_true", help="also compute iminuit's MnContour and compare")
    p.add_argument("--plot", metavar="FILE", help="contour plot (PNG or PDF)")
    p.add_argument(
        "--save", metavar="FILE", help="write the Δχ² grid (one config): HDF5 (.h5) or CSV (.csv, one row per point)"
    )
    p.add_argument("--force", action="store_true", help="overwrite existing output files")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(func=cmd_contour)

    p = sub.add_parser("nmo", help="mass-ordering sensitivity on Asimov data (both orderings fitted)")
    p.add_argument("config", help="config name (e.g. juno_nominal) or path to a .toml file")
    p.add_argument("--exposure", action="append", help='exposure(s), e.g. "1y" (default: the config\'s)')
    p.add_argument("--vacuum", action="store_true", help="also compute it with the matter effect switched off")
    p.add_argument("--plot", metavar="FILE", help="√Δχ² versus exposure (PNG or PDF)")
    p.add_argument("--force", action="store_true", help="overwrite an existing plot file")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    _add_parallel(p)
    p.set_defaults(func=cmd_nmo)

    p = sub.add_parser("precision", help="relative 1σ precision of the oscillation parameters per exposure")
    p.add_argument("config", help="config name (e.g. juno_nominal) or path to a .toml file")
    p.add_argument(
        "--exposure",
        action="append",
        required=True,
        metavar="EXPOSURE",
        help='exposure ("100d", "6y", ...); repeat for several',
    )
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    _add_parallel(p)
    p.set_defaults(func=cmd_precision)

    p = sub.add_parser("toys", help="fit an ensemble of pseudo-experiments on Dask (resumable)")
    _add_config(p)
    p.add_argument("--n", type=int, required=True, metavar="N", help="number of pseudo-experiments")
    p.add_argument("--first", type=int, default=0, metavar="K", help="index of the first toy (default 0)")
    p.add_argument("--true-ordering", choices=("normal", "inverted"), help="true mass ordering (default: the config's)")
    p.add_argument("--nmo", action="store_true", help="fit each toy under both orderings (Δχ²_NMO per toy)")
    p.add_argument("--throw-nuisances", action="store_true", help="draw the nuisance parameters of each toy")
    p.add_argument(
        "--global", dest="global_search", action="store_true", help="also start Δm²31 at ±5…30 %% (global minimum)"
    )
    p.add_argument("-o", "--output", required=True, metavar="FILE.h5", help="ensemble file (resumed if it exists)")
    p.add_argument("--force", action="store_true", help="start a new ensemble even if the file exists")
    p.add_argument("--chunk", type=int, metavar="M", help="toys per Dask task (default: automatic, ≤ 4)")
    p.add_argument(
        "--save-every",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="rewrite the output at most this often (default 5)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    _add_parallel(p, None)
    p.set_defaults(func=cmd_toys)

    p = sub.add_parser("merge", help="merge ensemble files of the same config and options")
    p.add_argument("inputs", nargs="+", metavar="FILE.h5", help="ensemble files")
    p.add_argument("-o", "--output", required=True, metavar="FILE.h5", help="merged ensemble")
    p.add_argument("--force", action="store_true", help="overwrite an existing output file")
    p.set_defaults(func=cmd_merge)

    p = sub.add_parser("summary", help="pulls, coverage, convergence and Δχ²_NMO of an ensemble")
    p.add_argument("ensemble", metavar="FILE.h5", help="ensemble file from 'juno-fit toys'")
    p.add_argument("--plot", metavar="DIR", help="write one figure per parameter (and the Δχ² distribution) here")
    p.add_argument("--force", action="store_true", help="overwrite existing figures in DIR")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(func=cmd_summary)

    p = sub.add_parser("bench", help="time kernels, model evaluations, gradient and fits side by side")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.add_argument("--no-starts", action="store_true", help="skip the cold/warm start runs")
    p.add_argument(
        "-o",
        "--output",
        metavar="FILE.json",
        help="also write the report here (default: benchmarks/results/ in a checkout)",
    )
    p.add_argument("--force", action="store_true", help="overwrite an existing report file")
    p.set_defaults(func=cmd_bench)
    return parser


def _finite(value):
    """``value`` with every non-finite float replaced by None (strict JSON has no NaN or Infinity)."""
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:  # NumPy scalars
        return _finite(value.item())
    if hasattr(value, "tolist"):
        return _finite(value.tolist())
    return value


def _print_json(obj) -> None:
    """One strict JSON object on stdout."""
    print(json.dumps(_finite(obj), allow_nan=False))


PROFILE_SUFFIXES = (".h5", ".hdf5", ".csv")


def _save_profile(args, config, lik, names, axes, dchi2, valid, fmin) -> None:
    """Write a scan or grid (``--save``) with its provenance."""
    from .profile_io import Profile, write_profile

    meta = {
        "config": config.name,
        "exposure_days": float(getattr(config, "exposure_days", float("nan"))),
        "data": str(args.data) if args.data else "asimov",
        "statistic": lik.statistic,
        "fmin": float(fmin),
    }
    write_profile(Profile(names, axes, dchi2, valid, meta), args.save, force=args.force)
    print(f"wrote {args.save}", file=sys.stderr)


def _check_outputs(args: argparse.Namespace, *outputs: tuple[str, str | None, tuple[str, ...]]) -> None:
    """Refuse every output path of a command before any work: (option, path, accepted suffixes)."""
    force = getattr(args, "force", False)
    seen: set[str] = set()
    for option, path, suffixes in outputs:
        if path is None:
            continue
        check_output(path, force=force, option=option, suffixes=suffixes)
        key = os.path.realpath(path)
        if key in seen:
            raise JunoFitError(f"{option} {path}: also the target of another option; give each output its own file")
        seen.add(key)


def _plot_paths(path: str | None, detectors: Sequence[str]) -> list[str]:
    if path is None:
        return []
    return [path] if len(detectors) == 1 else [_suffixed(path, d) for d in detectors]


def _dayabay_summary(pred) -> dict:
    return {
        "events": {"ibd": float(pred.ibd.sum()), "background": float(pred.background.sum())},
        "backgrounds": {name: float(v.sum()) for name, v in pred.backgrounds.items()},
        "bins": int(len(pred.edges) - 1),
    }


def _prediction_summary(model, pred, det_model) -> dict:
    theta = model.parameters.values()
    days = model.config.exposure_days
    reactor_days = days * det_model.det.duty_cycle
    unosc = det_model.response(det_model.fine_spectrum(theta, oscillate=False), theta)
    per_day = det_model.events_per_day_factor(theta)
    return {
        "ibd_per_day": {
            "total": float(pred.ibd.sum() / reactor_days),
            "unoscillated": float(unosc.sum() * per_day),
            "cores": {name: float(v.sum() / reactor_days) for name, v in pred.ibd_cores.items()},
        },
        "backgrounds_per_day": {name: float(v.sum() / days) for name, v in pred.backgrounds.items()},
        "events": {"ibd": float(pred.ibd.sum()), "background": float(pred.background.sum())},
        "bins": int(len(pred.edges) - 1),
    }


def cmd_predict(args: argparse.Namespace) -> int:
    from .config import load_config
    from .likelihood import warm_model

    config = load_config(args.config, exposure=args.exposure)
    names = [d.name for d in getattr(config, "detectors", ())]
    if args.plot and not names:
        raise JunoFitError("--plot: the Daya Bay model's prediction plot is not available; use --json")
    _check_outputs(args, *(("--plot", path, PLOT_SUFFIXES) for path in _plot_paths(args.plot, names)))
    model = warm_model(config)
    preds = model.predict(cores=True)
    if not names:  # Daya Bay: counts per detector and period from the release's exposure
        summaries = {p.detector: _dayabay_summary(p) for p in preds}
        if args.json:
            _print_json({"detectors": summaries})
            return 0
        print(f"{config.name}: {config.description}")
        print(f"  {'detector/period':<16} {'bins':>5} {'IBD':>12} {'background':>12}")
        for name, s in summaries.items():
            print(f"  {name:<16} {s['bins']:>5} {s['events']['ibd']:12.1f} {s['events']['background']:12.1f}")
        return 0
    summaries = {p.detector: _prediction_summary(model, p, d) for p, d in zip(preds, model.detectors, strict=True)}
    if args.plot:
        from .plots import plot_prediction

        for pred, path in zip(preds, _plot_paths(args.plot, names), strict=True):
            plot_prediction(pred, path, title=config.description or config.name, exposure_days=config.exposure_days)
            print(f"wrote {path}", file=sys.stderr)
    if args.json:
        out = next(iter(summaries.values())) if len(summaries) == 1 else {"detectors": summaries}
        _print_json(out)
        return 0
    osc = config.oscillation
    print(f"{config.name}: {config.description}")
    print(f"exposure {config.exposure_days:g} days; {osc.ordering} ordering; matter: {osc.matter}")
    for pred, det_model in zip(preds, model.detectors, strict=True):
        s = summaries[pred.detector]
        det = det_model.det
        print(
            f"\n{pred.detector}: {s['bins']} bins over [{pred.edges[0]:g}, {pred.edges[-1]:g}] MeV, "
            f"efficiency {det.efficiency:g}, duty cycle {det.duty_cycle:.4f}"
        )
        print(f"  {'core':<8} {'IBD/day':>9} {'share':>7}   baseline  power")
        total = s["ibd_per_day"]["total"]
        for core in det.site.cores:
            rate = s["ibd_per_day"]["cores"][core.name]
            print(
                f"  {core.name:<8} {rate:9.3f} {100 * rate / total:6.2f}%  {core.baseline_m / 1e3:7.2f} km"
                f"  {core.power_gw:g} GW"
            )
        print(f"  {'total':<8} {total:9.3f}   (unoscillated {s['ibd_per_day']['unoscillated']:.3f}/day)")
        print(f"  {'background':<10} {'/day':>7}")
        for name, rate in s["backgrounds_per_day"].items():
            print(f"  {name:<14} {rate:7.3f}")
        print(f"  events for the exposure: IBD {s['events']['ibd']:.1f}, background {s['events']['background']:.1f}")
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from .config import load_config
    from .datasets import asimov, pseudo_experiment
    from .io import write_dataset
    from .likelihood import warm_model

    config = load_config(args.config, exposure=args.exposure)
    if args.toy is None and args.throw_nuisances:
        raise JunoFitError("--throw-nuisances needs --toy K (the Asimov data set has no fluctuations)")
    if args.toy is not None and not 0 <= args.toy < 2**63:
        raise JunoFitError(f"--toy: must be an integer in [0, 2^63), got {args.toy}")
    _check_outputs(args, ("-o", args.output, (".h5", ".hdf5")))
    model = warm_model(config)
    if args.toy is None:
        dataset = asimov(model)
    else:
        dataset = pseudo_experiment(model, args.toy, throw_nuisances=args.throw_nuisances)
    write_dataset(dataset, args.output, force=args.force)
    what = "Asimov data set" if args.toy is None else f"pseudo-experiment {args.toy} (seed {config.seed})"
    totals = ", ".join(f"{name}: {counts.sum():.1f} events" for name, counts in dataset.counts.items())
    print(f"wrote {args.output}: {what} of {config.name}; {totals}", file=sys.stderr)
    return 0


def _print_fit(result, model, title: str) -> None:
    params = model.parameters
    print(title)
    status = "valid" if result.valid else "NOT VALID"
    shown = round(result.fval, 4) + 0.0  # no "-0.0000" for a minimum a rounding error below zero
    print(
        f"{result.statistic}: {shown:.4f} for {result.ndof} degrees of freedom; minimum {status}; "
        f"{result.nfev} evaluations in {result.attempts} attempt(s)"
    )
    for msg in result.messages:
        print(f"  note: {msg}")
    print(f"\n  {'parameter':<16} {'value':>13} {'error':>11} {'rel':>8}   MINOS")
    for name in getattr(model, "oscillation_names", ("sin2_theta12", "sin2_theta13", "dm2_21", "dm2_31")):
        value, error = result.values[name], result.errors[name]
        rel = f"{100 * error / abs(value):.3f}%" if value else "-"
        me = result.minos.get(name)
        mtxt = f"{me[0]:+.4g} / {me[1]:+.4g}" if me else ("fixed" if params[name].fixed else "-")
        print(f"  {name:<16} {value:13.6g} {error:11.4g} {rel:>8}   {mtxt}")
    for name, (value, error) in result.derived.items():
        print(f"  {name:<16} {value:13.6g} {error:11.4g} {100 * error / abs(value):7.3f}%   (derived)")
    if result.pulls:
        print("\n  nuisance pulls (fit − prior)/σ:")
        cells = [f"{name:<26}{value:+7.3f}" for name, value in result.pulls.items()]
        for row in range(0, len(cells), 3):
            print("  " + "   ".join(cells[row : row + 3]))


def cmd_fit(args: argparse.Namespace) -> int:
    from .config import load_config
    from .datasets import asimov
    from .fit import fit
    from .io import read_data, write_result
    from .likelihood import Likelihood, warm_model

    config = load_config(args.config, exposure=args.exposure)
    if args.ordering:
        if hasattr(config, "with_ordering"):
            config = config.with_ordering(args.ordering)
        else:
            from .ensemble import ensemble_config

            config = ensemble_config(config, args.ordering)
    names = [d.name for d in getattr(config, "detectors", ())] or [getattr(config, "name", "detector")]
    _check_outputs(
        args,
        ("-o", args.output, (".h5", ".hdf5")),
        *(("--plot", path, PLOT_SUFFIXES) for path in _plot_paths(args.plot, names)),
        ("--plot-pulls", args.plot_pulls, PLOT_SUFFIXES),
        ("--plot-correlation", args.plot_correlation, PLOT_SUFFIXES),
    )
    model = warm_model(config)
    if args.data is not None:
        dataset = read_data(args.data, model, force=args.force_data)
        source = str(args.data)
    else:
        dataset = asimov(model)
        source = "asimov"
    lik = Likelihood(model, dataset.arrays(model))
    print(f"fitting {config.name} to {source} ({len(model.parameters.free)} free parameters) ...", file=sys.stderr)
    result = fit(lik, minos=[] if args.no_minos else None, seed=config.seed)
    if args.output:
        write_result(result, args.output, config_text=config.text, data_source=source, force=args.force)
        print(f"wrote {args.output}", file=sys.stderr)
    _fit_plots(args, model, result, dataset.arrays(model), config)
    if args.json:
        _print_json(result.to_json())
    else:
        _print_fit(result, model, f"{config.name}: fit to {source}")
    return 0 if result.valid else 1


def _fit_plots(args, model, result, data, config) -> None:
    import numpy as np

    from . import plots

    theta = np.array([result.values[n] for n in model.parameters.names])
    if args.plot:
        preds = model.predict(theta)
        for k, (pred, path) in enumerate(zip(preds, _plot_paths(args.plot, [p.detector for p in preds]), strict=True)):
            plots.plot_fit_spectrum(pred, data[k], path, title=f"{config.name}: best fit")
            print(f"wrote {path}", file=sys.stderr)
    if args.plot_pulls and result.pulls:
        plots.plot_pulls(result.pulls, args.plot_pulls, title=f"{config.name}: nuisance pulls")
        print(f"wrote {args.plot_pulls}", file=sys.stderr)
    if args.plot_correlation and result.covariance.size:
        plots.plot_correlation(
            result.free, result.covariance, args.plot_correlation, title=f"{config.name}: correlations"
        )
        print(f"wrote {args.plot_correlation}", file=sys.stderr)


def _likelihood_for(config, data_file, force_data: bool = False):
    from .datasets import asimov
    from .io import read_data
    from .likelihood import Likelihood, warm_model

    model = warm_model(config)
    dataset = read_data(data_file, model, force=force_data) if data_file is not None else asimov(model)
    return Likelihood(model, dataset.arrays(model))


def _check_param(model, name: str) -> None:
    if name not in model.parameters:
        raise JunoFitError(f"--param: unknown parameter {name!r} (accepted: {', '.join(model.parameters.names)})")
    if model.parameters[name].fixed:
        raise JunoFitError(f"--param: {name!r} is fixed in this config; free it in [fit] parameters or [systematics]")


def _progress(label: str, unit: str = ""):
    """A ``progress(done, total)`` callback drawing a progress line with rate and time left on stderr."""
    from .progress import Progress

    return Progress(0, label, unit=unit).callback


def _client(args: argparse.Namespace):
    """A Dask client when ``--scheduler`` is given or ``--workers`` > 1, else a null context (serial)."""
    import contextlib

    workers = getattr(args, "workers", 1)
    scheduler = getattr(args, "scheduler", None)
    if workers is not None and workers < 1:
        raise JunoFitError(f"--workers: need at least 1, got {workers}")
    if scheduler or workers is None or workers > 1:
        from .parallel import dask_client

        return dask_client(workers, scheduler)
    return contextlib.nullcontext(None)


def cmd_scan(args: argparse.Namespace) -> int:
    import time

    import numpy as np

    from .config import load_config
    from .fit import SIGMA_LEVELS_1D, crossings, fit, profile_scan

    config = load_config(args.config, exposure=args.exposure)
    if not 3 <= args.points <= MAX_POINTS:
        raise JunoFitError(f"--points: need 3 to {MAX_POINTS}, got {args.points}")
    if args.range and not (all(math.isfinite(v) for v in args.range) and args.range[0] < args.range[1]):
        raise JunoFitError(f"--range: need finite LO < HI, got {args.range[0]} {args.range[1]}")
    _check_outputs(args, ("--plot", args.plot, PLOT_SUFFIXES), ("--save", args.save, PROFILE_SUFFIXES))
    lik = _likelihood_for(config, args.data, args.force_data)
    _check_param(lik.model, args.param)
    _check_range("--range", lik.model, args.param, args.range)
    best = fit(lik, minos=[])
    if args.range:
        lo, hi = args.range
    else:
        centre, error = best.values[args.param], best.errors[args.param]
        lo, hi = centre - 4 * error, centre + 4 * error
    start = time.perf_counter()
    with _client(args) as client:
        points, best = profile_scan(
            lik,
            args.param,
            np.linspace(lo, hi, args.points),
            best=best,
            progress=_progress(f"scan {args.param}", "points"),
            client=client,
        )
    x = np.array([p.value for p in points])
    fmin = min(best.fval, min(p.fval for p in points))
    dchi2 = np.array([p.fval for p in points]) - fmin
    intervals = {key: list(crossings(x, dchi2, level)) for key, level in SIGMA_LEVELS_1D.items()}
    failed = [p.value for p in points if not p.valid]
    retries = sum(p.attempts - 1 for p in points)
    elapsed = time.perf_counter() - start
    if args.save:
        _save_profile(args, config, lik, [args.param], [x], dchi2, np.array([p.valid for p in points]), fmin)
    if args.plot:
        from .plots import plot_profile

        plot_profile(args.param, x, dchi2, args.plot, intervals=intervals, title=f"{config.name}")
        print(f"wrote {args.plot}", file=sys.stderr)
    if args.json:
        _print_json(
            {
                "param": args.param,
                "points": [[float(a), float(b)] for a, b in zip(x, dchi2, strict=True)],
                "intervals": intervals,
                "best": best.values[args.param],
                "failed_points": failed,
                "retries": retries,
                "seconds": elapsed,
            }
        )
        return 0 if not failed else 1
    print(
        f"{config.name}: profile of {args.param}, {len(x)} points in {elapsed:.1f} s, "
        f"{len(failed)} failed, {retries} retries"
    )
    print(f"  best fit {best.values[args.param]:.6g} ± {best.errors[args.param]:.3g} (HESSE)")
    for key, (lo_k, hi_k) in intervals.items():
        text = f"[{lo_k:.6g}, {hi_k:.6g}]" if lo_k is not None and hi_k is not None else "outside the scan range"
        print(f"  {key}σ (Δχ² = {SIGMA_LEVELS_1D[key]:g}): {text}")
    return 0 if not failed else 1


def cmd_contour(args: argparse.Namespace) -> int:
    import time

    import numpy as np

    from .config import load_config
    from .fit import SIGMA_LEVELS_2D, fit, minuit_contour, profiled_contours

    a, b = args.params
    if a == b:
        raise JunoFitError(f"--params: need two different parameters, got {a} twice")
    for option, n in (("--points", args.points), ("--points-a", args.points_a), ("--points-b", args.points_b)):
        if n is not None and not 5 <= n <= MAX_GRID_POINTS:
            raise JunoFitError(f"{option}: need 5 to {MAX_GRID_POINTS}, got {n}")
    counts = (args.points_a or args.points, args.points_b or args.points)
    for option, rng in (("--range-a", args.range_a), ("--range-b", args.range_b)):
        if rng and not (all(math.isfinite(v) for v in rng) and rng[0] < rng[1]):
            raise JunoFitError(f"{option}: need finite LO < HI, got {rng[0]} {rng[1]}")
    if args.data is not None and (len(args.configs) > 1 or len(args.exposure or []) > 1):
        raise JunoFitError("--data: fits one config at one exposure; give a single config and at most one --exposure")
    if args.save and (len(args.configs) > 1 or len(args.exposure or []) > 1):
        raise JunoFitError("--save: writes the grid of one config at one exposure; give a single config and exposure")
    _check_outputs(args, ("--plot", args.plot, PLOT_SUFFIXES), ("--save", args.save, PROFILE_SUFFIXES))
    sets, report = [], []
    with _client(args) as client:
        for name in args.configs:
            for exposure in args.exposure or [None]:
                config = load_config(name, exposure=exposure)
                lik = _likelihood_for(config, args.data, args.force_data)
                for param, option, rng in ((a, "--range-a", args.range_a), (b, "--range-b", args.range_b)):
                    _check_param(lik.model, param)
                    _check_range(option, lik.model, param, rng)
                best = fit(lik, minos=[])
                label = config.name + (f" {exposure}" if exposure else "")
                start = time.perf_counter()
                xs, ys, grid, lines = profiled_contours(
                    lik,
                    (a, b),
                    best,
                    counts,
                    ranges=(args.range_a, args.range_b),
                    progress=_progress(f"grid {label}", "rows"),
                    client=client,
                )
                elapsed = time.perf_counter() - start
                entry = {
                    "label": label,
                    "best": [best.values[a], best.values[b]],
                    "seconds": elapsed,
                    "failed_points": int((~grid["valid"]).sum()),
                    "retries": int(grid["retries"]),
                    "levels": {key: [line.tolist() for line in ls] for key, ls in lines.items()},
                    "grid": {"a": xs.tolist(), "b": ys.tolist(), "dchi2": grid["dchi2"].tolist()},
                }
                if args.save:
                    _save_profile(args, config, lik, [a, b], [xs, ys], grid["dchi2"], grid["valid"], grid["fmin"])
                if args.mncontour:
                    pts = minuit_contour(lik, (a, b), SIGMA_LEVELS_2D["1"], best=best)
                    from scipy.interpolate import RegularGridInterpolator

                    inside = (pts[:, 0] >= xs[0]) & (pts[:, 0] <= xs[-1]) & (pts[:, 1] >= ys[0]) & (pts[:, 1] <= ys[-1])
                    on_grid = RegularGridInterpolator((xs, ys), grid["dchi2"])(pts[inside])
                    entry["mncontour"] = {"points": pts.tolist(), "grid_dchi2_at_points": [float(v) for v in on_grid]}
                sets.append({"label": label, "lines": lines, "best": (best.values[a], best.values[b])})
                report.append(entry)
    if args.plot:
        from .plots import plot_contours

        plot_contours((a, b), sets, args.plot)
        print(f"wrote {args.plot}", file=sys.stderr)
    ok = all(e["failed_points"] == 0 for e in report)
    if args.json:
        _print_json({"params": [a, b], "results": report})
        return 0 if ok else 1
    for entry in report:
        print(
            f"{entry['label']}: {counts[0]}×{counts[1]} grid of ({a}, {b}) in {entry['seconds']:.1f} s, "
            f"{entry['failed_points']} failed points, {entry['retries']} retries"
        )
        for key, ls in entry["levels"].items():
            pts = np.concatenate([np.asarray(line) for line in ls]) if ls else np.zeros((0, 2))
            if len(pts):
                print(
                    f"  {key}σ (Δχ² = {SIGMA_LEVELS_2D[key]}): {a} ∈ [{pts[:, 0].min():.6g}, {pts[:, 0].max():.6g}], "
                    f"{b} ∈ [{pts[:, 1].min():.6g}, {pts[:, 1].max():.6g}]"
                )
        if "mncontour" in entry:
            vals = entry["mncontour"]["grid_dchi2_at_points"]
            print(f"  MnContour (Δχ² = 2.30): grid Δχ² at its points {min(vals):.3f} … {max(vals):.3f}")
    return 0 if ok else 1


def cmd_nmo(args: argparse.Namespace) -> int:
    import dataclasses

    import numpy as np

    from .config import DAYS_PER_YEAR, load_config, parse_exposure
    from .nmo import nmo_sensitivity

    config = load_config(args.config)
    if not hasattr(config, "detectors"):
        raise JunoFitError(f"{config.file}: nmo needs a JUNO-like config (a Daya Bay fit does not test the ordering)")
    labels = args.exposure or [f"{config.exposure_days / DAYS_PER_YEAR:g}y"]
    days = [parse_exposure(label, "--exposure", "exposure") for label in labels]
    _check_outputs(args, ("--plot", args.plot, PLOT_SUFFIXES))

    def run(cfg, client, label: str) -> dict:
        result = nmo_sensitivity(cfg, days, progress=_progress(f"nmo {label}", "exposures"), client=client)
        return dict(zip(labels, result["exposures"].values(), strict=True))

    with _client(args) as client:
        matter = run(config, client, "matter")
        vacuum = None
        if args.vacuum:
            vac = dataclasses.replace(config, oscillation=dataclasses.replace(config.oscillation, matter="vacuum"))
            vacuum = run(vac, client, "vacuum")
    if args.plot:
        from .plots import plot_nmo

        years = np.array(days) / DAYS_PER_YEAR
        sigma = np.array([v["sigma"] for v in matter.values()])
        sigma_vac = np.array([v["sigma"] for v in vacuum.values()]) if vacuum else None
        plot_nmo(
            years,
            sigma,
            args.plot,
            sigma_vacuum=sigma_vac,
            title=f"{config.name}: true {config.oscillation.ordering} ordering",
        )
        print(f"wrote {args.plot}", file=sys.stderr)

    def summary(res: dict) -> dict:
        return {
            k: {"dchi2": v["dchi2"], "sigma": v["sigma"], "dm2_31_wrong": v["dm2_31_wrong"]} for k, v in res.items()
        }

    ok = all(v["valid"] for v in matter.values()) and all(v["valid"] for v in (vacuum or {}).values())
    if args.json:
        out = {"true_ordering": config.oscillation.ordering, "exposures": summary(matter)}
        if vacuum:
            out["vacuum"] = summary(vacuum)
        _print_json(out)
        return 0 if ok else 1
    print(f"{config.name}: true ordering {config.oscillation.ordering}, Asimov data")
    for label, v in matter.items():
        line = (
            f"  {label:>6}: Δχ²_NMO = {v['dchi2']:.3f}, √Δχ² = {v['sigma']:.3f}, "
            f"wrong-ordering Δm²31 = {v['dm2_31_wrong']:.6g} eV²"
        )
        if vacuum:
            w = vacuum[label]
            line += (
                f"; vacuum Δχ² = {w['dchi2']:.3f} (√ {w['sigma']:.3f}), matter − vacuum {v['dchi2'] - w['dchi2']:+.3f}"
            )
        print(line + ("" if v["valid"] else "  (a fit was NOT valid)"))
    return 0 if ok else 1


def cmd_precision(args: argparse.Namespace) -> int:
    from .precision import precision

    with _client(args) as client:
        table = precision(args.config, args.exposure, progress=_progress("precision", "fits"), client=client)
    if args.json:
        _print_json({"exposures": table})
        return 0
    names = list(next(iter(table.values())))
    print(f"relative 1σ precision, stat+syst (stat only), {args.config}")
    print(f"  {'exposure':<10}" + "".join(f"{n:>24}" for n in names))
    for exposure, row in table.items():
        cells = "".join(f"{100 * row[n]['rel']:>13.3f}% ({100 * row[n]['rel_stat']:6.3f}%)" for n in names)
        print(f"  {exposure:<10}{cells}")
    return 0


def cmd_toys(args: argparse.Namespace) -> int:
    from .config import load_config
    from .ensemble import ensemble_config, run_ensemble

    config = ensemble_config(load_config(args.config, exposure=args.exposure), args.true_ordering)
    if args.workers is not None and args.workers < 1:
        raise JunoFitError(f"--workers: need at least 1, got {args.workers}")
    if args.chunk is not None and args.chunk < 1:
        raise JunoFitError(f"--chunk: need at least 1, got {args.chunk}")
    if not (math.isfinite(args.save_every) and 0 <= args.save_every <= 86400):
        raise JunoFitError(f"--save-every: must be 0 to 86400 seconds, got {args.save_every}")
    if not 1 <= args.n <= 10**9 or not 0 <= args.first < 2**62:
        raise JunoFitError(f"--n: need 1 to 1e9 toys and --first in [0, 2^62), got --n {args.n} --first {args.first}")
    check_output(args.output, force=True, option="-o", suffixes=(".h5", ".hdf5"))  # resumed when it exists
    result = run_ensemble(
        config,
        args.n,
        args.output,
        first=args.first,
        nmo=args.nmo,
        throw_nuisances=args.throw_nuisances,
        global_search=args.global_search,
        workers=args.workers,
        scheduler=args.scheduler,
        force=args.force,
        chunk=args.chunk,
        flush_seconds=args.save_every,
    )
    result["output"] = str(args.output)
    if args.json:
        _print_json(result)
        return 0
    if result["fitted"] == 0:
        print(f"{args.output}: all {result['requested']} toys already there; nothing to do")
        return 0
    rate = result["fitted"] / result["seconds"] if result["seconds"] > 0 else float("nan")
    print(
        f"{args.output}: {result['fitted']} toys fitted in {result['seconds']:.1f} s on {result['workers']} workers "
        f"({rate:.2f} toys/s); {result['already']} were already there"
    )
    return 0


def cmd_merge(args: argparse.Namespace) -> int:
    from .ensemble import merge_ensembles, write_ensemble

    out = Path(args.output)
    if any(out.resolve() == Path(p).resolve() for p in args.inputs):
        raise JunoFitError(f"-o {out}: is one of the inputs; write the merged ensemble to a new file")
    _check_outputs(args, ("-o", args.output, (".h5", ".hdf5")))
    merged = merge_ensembles(args.inputs)
    write_ensemble(out, merged)
    print(f"{out}: {len(merged.records)} toys from {len(args.inputs)} files", file=sys.stderr)
    return 0


def cmd_summary(args: argparse.Namespace) -> int:
    from .ensemble import read_ensemble, summarise

    ensemble = read_ensemble(args.ensemble)
    summary = summarise(ensemble)
    if args.plot:
        from .plots import plot_toy_dchi2, plot_toy_parameter

        folder = Path(args.plot)
        if folder.exists() and not folder.is_dir():
            raise JunoFitError(f"--plot {folder}: is not a folder")
        figures = [folder / f"{name}.png" for name in summary["parameters"]]
        figures += [folder / "dchi2_nmo.png"] if ensemble.spec.nmo else []
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise JunoFitError(f"--plot {folder}: cannot create the folder ({exc.strerror})") from None
        _check_outputs(args, *(("--plot", str(f), PLOT_SUFFIXES) for f in figures))
        a = ensemble.arrays()
        valid = a["valid"] & (a["valid_wrong"] if ensemble.spec.nmo else True)
        title = f"{summary['config']}, {summary['exposure_days']:g} days, {int(valid.sum())} toys"
        for name in summary["parameters"]:
            j = ensemble.spec.parameters.index(name)
            path = plot_toy_parameter(
                name,
                a["values"][valid, j],
                a["errors"][valid, j],
                a["truth"][valid, j],
                folder / f"{name}.png",
                title=title,
            )
            print(f"wrote {path}", file=sys.stderr)
        if ensemble.spec.nmo:
            path = plot_toy_dchi2(a["dchi2"][valid], folder / "dchi2_nmo.png", title=title)
            print(f"wrote {path}", file=sys.stderr)
    if args.json:
        _print_json(summary)
        return 0
    print(
        f"{args.ensemble}: {summary['config']}, {summary['exposure_days']:g} days, true ordering "
        f"{summary['true_ordering']}; {summary['toys']} toys, {summary['converged']} converged "
        f"({100 * summary['convergence_rate']:.1f} %)"
    )
    header = ("parameter", "mean", "width", "pull mean", "pull width", "robust", "1σ coverage")
    widths = (-14, 13, 12, 18, 12, 9, 18)
    print("  " + "".join(f"{h:<{-w}}" if w < 0 else f"{h:>{w}}" for h, w in zip(header, widths, strict=True)))
    for name, p in summary["parameters"].items():
        print(
            f"  {name:<14}{p['mean']:>13.6g}{p['width']:>12.4g}{p['pull_mean']:>+11.3f} ± {p['pull_mean_error']:.3f}"
            f"{p['pull_width']:>12.3f}{p['pull_robust_width']:>9.3f}"
            f"{100 * p['coverage_1sigma']:>10.1f} ± {100 * p['coverage_error']:.1f} %"
            + (f"  ({p['n_degenerate_error']} on a boundary, left out)" if p["n_degenerate_error"] else "")
        )
    if "nmo" in summary:
        m = summary["nmo"]
        lo, hi = m["dchi2_quantiles_16_84"] or (float("nan"), float("nan"))
        print(
            f"  Δχ²_NMO: median {m['dchi2_median']:.3f} (16–84 %: {lo:.3f}–{hi:.3f}), mean {m['dchi2_mean']:.3f}, "
            f"std {m['dchi2_std']:.3f}; median sensitivity {m['median_sensitivity']:.3f}σ; "
            f"wrong ordering preferred in {100 * m['fraction_wrong_preferred']:.1f} % of toys"
        )
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from .bench import format_report, run

    output = args.output
    if output is None:
        results = Path(__file__).resolve().parents[1] / "benchmarks" / "results"
        if results.is_dir():
            output = str(results / f"bench-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}.json")
    _check_outputs(args, ("-o", output, (".json",)))
    report = run(progress=lambda msg: print(msg, file=sys.stderr, flush=True), starts=not args.no_starts)
    if output:
        with atomic_output(output) as tmp:
            tmp.write_text(json.dumps(_finite(report), indent=2, allow_nan=False) + "\n")
        print(f"wrote {output}", file=sys.stderr)
    if args.json:
        _print_json(report)
    else:
        print(format_report(report))
    return 0


def _suffixed(path: str, tag: str) -> str:
    stem, dot, ext = path.rpartition(".")
    return f"{stem}_{tag}.{ext}" if dot else f"{path}_{tag}"


class Terminated(Exception):
    """SIGTERM: leave through the normal clean-up (temporary files are removed), exit code 143."""


def _on_sigterm(signum, frame) -> None:
    raise Terminated()


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    previous = None
    with contextlib.suppress(ValueError):  # not the main thread: leave SIGTERM alone
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        with limited_threads():
            return int(args.func(args))
    except Terminated:
        print("juno-fit: terminated", file=sys.stderr)
        return 143
    except Interrupted as exc:
        print(f"juno-fit: {exc}", file=sys.stderr)
        return 130
    except JunoFitError as exc:
        print(f"juno-fit: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("juno-fit: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into a command that stopped reading (e.g. head)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
