"""Feldman–Cousins constructions and coverage: ``fc``, ``coverage``."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from ..errors import JunoFitError
from ..files import PLOT_SUFFIXES, check_output
from .common import _check_outputs, _likelihood_for, _load, _print_json


def _grid(args: argparse.Namespace, lik) -> list:
    import numpy as np

    ranges = [args.range_a, args.range_b][: len(args.params)]
    points = list(args.points) + [args.points[-1]] * (len(args.params) - len(args.points))
    grid = []
    for name, rng, n, flag in zip(args.params, ranges, points, ("--range-a", "--range-b"), strict=False):
        if rng is None:
            raise JunoFitError(f"{flag}: give the range of {name} (LO HI)")
        if not (all(math.isfinite(v) for v in rng) and rng[0] < rng[1]):
            raise JunoFitError(f"{flag}: need finite LO < HI, got {rng[0]} {rng[1]}")
        if not 2 <= n <= 201:
            raise JunoFitError(f"--points: need 2 to 201 per parameter, got {n}")
        grid.append(np.linspace(rng[0], rng[1], n))
    return grid  # the parameters and their limits: neyman.check_construction, before any fit


def cmd_fc(args: argparse.Namespace) -> int:
    from ..neyman import check_construction, read_construction, run_construction
    from ..neyman_intervals import analyse

    config = _load(args, [args.config], args.exposure)
    if not 1 <= len(args.params) <= 2 or len(set(args.params)) != len(args.params):
        raise JunoFitError(f"--params: one or two different parameters, got {' '.join(args.params)}")
    if len(args.points) > len(args.params):
        raise JunoFitError("--points: one number per parameter (or one for both)")
    if not (math.isfinite(args.save_every) and 0 <= args.save_every <= 86400):
        raise JunoFitError(f"--save-every: must be 0 to 86400 seconds, got {args.save_every}")
    check_output(args.output, force=True, option="-o", suffixes=(".h5", ".hdf5"))  # resumed when it exists
    _check_outputs(args, ("--plot", args.plot, PLOT_SUFFIXES))
    lik = _likelihood_for(config, args.data, args.force_data)
    grid = _grid(args, lik)
    check_construction(lik, args.params, grid, args.toys)
    run = run_construction(
        lik,
        args.params,
        grid,
        args.toys,
        args.output,
        first=args.first,
        throw_nuisances=args.throw_nuisances,
        workers=args.workers,
        scheduler=args.scheduler,
        force=args.force,
        flush_seconds=args.save_every,
        chunk=args.chunk,
    )
    construction = read_construction(args.output)
    doc = analyse(construction)
    doc["seconds"] = run["seconds"]
    doc["run"] = run
    doc["output"] = str(args.output)
    if args.plot:
        from ..plots import plot_feldman_cousins

        plot_feldman_cousins(doc, args.plot, title=f"{config.name}: Feldman–Cousins")
        print(f"wrote {args.plot}", file=sys.stderr)
    if args.json:
        _print_json(doc)
        return 0
    n = doc["toys_per_point"]
    print(f"{config.name}: Feldman–Cousins in {', '.join(args.params)}, {n['min']}–{n['max']} toys per point")
    print(f"  {doc['construction']}")
    if len(args.params) == 1:
        for label, v in doc["intervals"].items():
            fc = " ∪ ".join(f"[{i['interval'][0]:.6g}, {i['interval'][1]:.6g}]" for i in v["fc"]) or "empty"
            wilks = " ∪ ".join(f"[{i['interval'][0]:.6g}, {i['interval'][1]:.6g}]" for i in v["wilks"]) or "empty"
            print(f"  {label:>6} %: FC {fc}   Wilks {wilks}")
    else:
        for label, v in doc["regions"].items():
            print(f"  {label:>6} %: FC area {v['fc_area']:.6g}   Wilks area {v['wilks_area']:.6g}")
    return 0


def cmd_coverage(args: argparse.Namespace) -> int:
    from ..neyman_intervals import run_coverage

    config = _load(args, [args.config], args.exposure)
    folder = Path(args.output)
    if folder.exists() and not folder.is_dir():
        raise JunoFitError(f"-o {folder}: exists and is not a folder")
    if not 1 <= args.toys <= 10**7:
        raise JunoFitError(f"--toys: need 1 to 1e7 toys per true point, got {args.toys}")
    table = run_coverage(
        config,
        args.param,
        args.truth,
        args.toys,
        folder,
        workers=args.workers,
        scheduler=args.scheduler,
        force=args.force,
    )
    if args.json:
        _print_json(table)
        return 0
    print(f"{config.name}: coverage of {args.param} ({args.toys} toys per true point; nuisances thrown)")
    for row in table["points"]:
        cells = "  ".join(
            f"{lvl}%: FC {100 * row[f'fc_{lvl}'][0]:.1f}±{100 * row[f'fc_{lvl}'][1]:.1f} "
            f"Wilks {100 * row[f'wilks_{lvl}'][0]:.1f}±{100 * row[f'wilks_{lvl}'][1]:.1f}"
            for lvl in ("68.27", "90", "95")
        )
        print(f"  {args.param} = {row['point'][0]:.6g}: {cells}")
    return 0


def add_parsers(sub) -> None:
    from .common import _add_config, _add_parallel

    p = sub.add_parser("fc", help="Feldman–Cousins intervals or regions by a Neyman construction (resumable)")
    _add_config(p)
    p.add_argument("--params", nargs="+", required=True, metavar="NAME", help="one or two parameters")
    p.add_argument("--range-a", nargs=2, type=float, metavar=("LO", "HI"), help="grid range of the first")
    p.add_argument("--range-b", nargs=2, type=float, metavar=("LO", "HI"), help="grid range of the second")
    p.add_argument("--points", nargs="+", type=int, default=[15], metavar="N", help="grid points (default 15)")
    p.add_argument("--toys", type=int, default=1000, metavar="N", help="toys per grid point (default 1000)")
    p.add_argument("--first", type=int, default=0, metavar="K", help="number of the first toy (split runs)")
    p.add_argument(
        "--data", metavar="FILE", help="data set (.h5), JUNO release table (.csv), 'real' (Daya Bay) or 'asimov'"
    )
    p.add_argument("--force-data", action="store_true", help="accept data made for another exposure")
    p.add_argument("--throw-nuisances", action="store_true", help="draw the toys' nuisance parameters from priors")
    p.add_argument("-o", "--output", required=True, metavar="FILE.h5", help="the construction (resumed if present)")
    p.add_argument("--force", action="store_true", help="start the output afresh; overwrite the plot")
    p.add_argument("--save-every", type=float, default=5.0, metavar="S", help="rewrite the file every S seconds")
    p.add_argument("--chunk", type=int, metavar="M", help="toys per Dask task (default: automatic, ≤ 4)")
    p.add_argument("--plot", metavar="FILE", help="critical values and intervals (1D) or the map and regions (2D)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    _add_parallel(p, None)
    p.set_defaults(func=cmd_fc)

    p = sub.add_parser("coverage", help="coverage of Feldman–Cousins and Wilks intervals at true points")
    _add_config(p)
    p.add_argument("--param", required=True, metavar="NAME", help="an oscillation parameter")
    p.add_argument("--truth", nargs="+", type=float, required=True, metavar="VALUE", help="true values")
    p.add_argument("--toys", type=int, default=500, metavar="N", help="toys per true point, each set (default 500)")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="folder of the constructions (resumed)")
    p.add_argument("--force", action="store_true", help="start the constructions afresh")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    _add_parallel(p, None)
    p.set_defaults(func=cmd_coverage)
