"""Many fits and benchmarks: ``toys``, ``merge``, ``summary``, ``bench``."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from ..errors import JunoFitError
from ..files import PLOT_SUFFIXES, atomic_output, check_output
from .common import (
    _check_outputs,
    _finite,
    _print_json,
)


def cmd_toys(args: argparse.Namespace) -> int:
    from ..config import load_config
    from ..ensemble import check_run, ensemble_config, run_ensemble

    config = ensemble_config(load_config(args.config, exposure=args.exposure), args.true_ordering)
    check_run(args.n, args.first, args.workers, args.chunk)
    if not (math.isfinite(args.save_every) and 0 <= args.save_every <= 86400):
        raise JunoFitError(f"--save-every: must be 0 to 86400 seconds, got {args.save_every}")
    check_output(args.output, force=True, option="-o", suffixes=(".h5", ".hdf5"))  # resumed when it exists
    result = run_ensemble(
        config,
        args.n,
        args.output,
        first=args.first,
        nmo=args.nmo,
        throw_nuisances=args.throw_nuisances,
        global_search=args.global_search,
        minimiser=args.minimiser,
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
    from ..ensemble import merge_ensembles, write_ensemble
    from ..neyman import is_construction, merge_constructions, write_construction

    out = Path(args.output)
    if any(out.resolve() == Path(p).resolve() for p in args.inputs):
        raise JunoFitError(f"-o {out}: is one of the inputs; write the merged ensemble to a new file")
    _check_outputs(args, ("-o", args.output, (".h5", ".hdf5")))
    if is_construction(args.inputs[0]):
        construction = merge_constructions(args.inputs)
        write_construction(out, construction)
        print(f"{out}: {len(construction.records)} toys from {len(args.inputs)} files", file=sys.stderr)
        return 0
    merged = merge_ensembles(args.inputs)
    write_ensemble(out, merged)
    print(f"{out}: {len(merged.records)} toys from {len(args.inputs)} files", file=sys.stderr)
    return 0


def cmd_summary(args: argparse.Namespace) -> int:
    from ..ensemble import read_ensemble, summarise

    ensemble = read_ensemble(args.ensemble)
    summary = summarise(ensemble)
    if args.plot:
        from ..plots import plot_toy_dchi2, plot_toy_parameter

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


# a checkout's benchmarks/results/ (juno_fit/cli/ensembles.py → the repository root is two folders up)
CHECKOUT_RESULTS = Path(__file__).resolve().parents[2] / "benchmarks" / "results"


def default_bench_report() -> str | None:
    """``benchmarks/results/bench-<UTC time>.json`` in a checkout; None in an installed package."""
    from datetime import UTC, datetime

    if not CHECKOUT_RESULTS.is_dir():
        return None
    return str(CHECKOUT_RESULTS / f"bench-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}.json")


def cmd_bench(args: argparse.Namespace) -> int:
    from ..bench import format_report, run

    output = args.output if args.output is not None else default_bench_report()
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
