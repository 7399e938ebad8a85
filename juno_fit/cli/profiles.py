"""Profiles and sensitivities: ``scan``, ``contour``, ``nmo``, ``precision``."""

from __future__ import annotations

import argparse
import math
import sys

from ..errors import JunoFitError
from ..files import PLOT_SUFFIXES
from .common import (
    MAX_GRID_POINTS,
    MAX_POINTS,
    PROFILE_SUFFIXES,
    _check_outputs,
    _client,
    _likelihood_for,
    _load,
    _print_json,
    _progress,
    _save_profile,
)


def cmd_scan(args: argparse.Namespace) -> int:
    import numpy as np

    from .. import api
    from ..results import SIGMA_LEVELS_1D

    config = _load(args, args.configs, args.exposure)
    if not 3 <= args.points <= MAX_POINTS:
        raise JunoFitError(f"--points: need 3 to {MAX_POINTS}, got {args.points}")
    if args.range and not (all(math.isfinite(v) for v in args.range) and args.range[0] < args.range[1]):
        raise JunoFitError(f"--range: need finite LO < HI, got {args.range[0]} {args.range[1]}")
    _check_outputs(args, ("--plot", args.plot, PLOT_SUFFIXES), ("--save", args.save, PROFILE_SUFFIXES))
    lik = _likelihood_for(config, args.data, args.force_data)
    # the parameter and the range are refused before the Dask client starts
    api.check_free(lik.model, args.param, "--param")
    values = np.linspace(*args.range, args.points) if args.range else None
    if values is not None:
        api.check_within(lik.model, args.param, values, "--range")
    with _client(args) as client:
        result = api.scan(
            lik,
            args.param,
            values,
            points=args.points,
            progress=_progress(f"scan {args.param}", "points"),
            client=client,
        )
    x, dchi2, best = result.x, result.dchi2, result.best
    if args.save:
        _save_profile(args, config, lik, [args.param], [x], dchi2, result.valid, result.fmin)
    if args.plot:
        from ..plots import plot_profile

        plot_profile(args.param, x, dchi2, args.plot, intervals=result.intervals, title=f"{config.name}")
        print(f"wrote {args.plot}", file=sys.stderr)
    failed = result.failed_points
    if args.json:
        _print_json(result.to_dict())
        return 0 if not failed else 1
    print(
        f"{config.name}: profile of {args.param}, {len(x)} points in {result.seconds:.1f} s, "
        f"{len(failed)} failed, {result.retries} retries"
    )
    print(f"  best fit {best.values[args.param]:.6g} ± {best.errors[args.param]:.3g} (HESSE)")
    for key, (lo_k, hi_k) in result.intervals.items():
        text = f"[{lo_k:.6g}, {hi_k:.6g}]" if lo_k is not None and hi_k is not None else "outside the scan range"
        print(f"  {key}σ (Δχ² = {SIGMA_LEVELS_1D[key]:g}): {text}")
    return 0 if not failed else 1


def cmd_contour(args: argparse.Namespace) -> int:

    from .. import api
    from ..results import SIGMA_LEVELS_2D

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
    joint = args.joint and len(args.configs) > 1
    if (args.share or args.keep_constraints) and not joint:
        raise JunoFitError("--share/--keep-constraints: options of a joint fit (--joint with several configs)")
    if joint and args.exposure:
        raise JunoFitError("--exposure: a joint fit keeps each config's own exposure; set it in the configs")
    for option, flag, rng in (("--log-a", args.log_a, args.range_a), ("--log-b", args.log_b, args.range_b)):
        if flag and not (rng and rng[0] > 0):
            raise JunoFitError(f"{option}: needs a positive range ({option.replace('log', 'range')} LO HI with LO > 0)")
    overlaid = len(args.configs) > 1 and not joint
    if args.data is not None and (overlaid or len(args.exposure or []) > 1):
        raise JunoFitError("--data: fits one config at one exposure; give a single config and at most one --exposure")
    if args.data is not None and not joint and len(args.data) > 1:
        raise JunoFitError("--data: give it once (or once per config with --joint)")
    if args.save and (overlaid or len(args.exposure or []) > 1):
        raise JunoFitError("--save: writes the grid of one config at one exposure; give a single config and exposure")
    _check_outputs(args, ("--plot", args.plot, PLOT_SUFFIXES), ("--save", args.save, PROFILE_SUFFIXES))
    results = []
    with _client(args) as client:
        for names in [args.configs] if joint else [[name] for name in args.configs]:
            for exposure in args.exposure or [None]:
                config = _load(args, names, exposure)
                lik = _likelihood_for(config, args.data, args.force_data)
                label = config.name + (f" {exposure}" if exposure else "")
                result = api.contour(
                    lik,
                    a,
                    b,
                    grid_a=_nodes(args.range_a, counts[0], args.log_a),
                    grid_b=_nodes(args.range_b, counts[1], args.log_b),
                    points=counts,
                    mncontour=args.mncontour,
                    label=label,
                    progress=_progress(f"grid {label}", "rows"),
                    client=client,
                )
                if args.save:
                    _save_profile(
                        args, config, lik, [a, b], [result.xs, result.ys], result.dchi2, result.valid, result.fmin
                    )
                results.append(result)
    if args.plot:
        from ..plots import plot_contours

        sets = [{"label": r.label, "lines": r.lines, "best": (r.best.values[a], r.best.values[b])} for r in results]
        plot_contours((a, b), sets, args.plot, log=(args.log_a, args.log_b))
        print(f"wrote {args.plot}", file=sys.stderr)
    ok = all(r.valid.all() for r in results)
    if args.json:
        _print_json({"params": [a, b], "results": [r.entry() for r in results]})
        return 0 if ok else 1
    for r in results:
        print(
            f"{r.label}: {counts[0]}×{counts[1]} grid of ({a}, {b}) in {r.seconds:.1f} s, "
            f"{int((~r.valid).sum())} failed points, {r.retries} retries"
        )
        for key in r.lines:
            ext = r.extent(key)
            if ext:
                (alo, ahi), (blo, bhi) = ext
                print(
                    f"  {key}σ (Δχ² = {SIGMA_LEVELS_2D[key]}): {a} ∈ [{alo:.6g}, {ahi:.6g}], "
                    f"{b} ∈ [{blo:.6g}, {bhi:.6g}]"
                )
        if r.mncontour:
            vals = r.mncontour["grid_dchi2_at_points"]
            print(f"  MnContour (Δχ² = 2.30): grid Δχ² at its points {min(vals):.3f} … {max(vals):.3f}")
    return 0 if ok else 1


def _nodes(rng, count: int, log: bool):
    """Grid nodes over a range, ends included (None without a range: the API's default)."""
    import numpy as np

    if not rng:
        return None
    return np.geomspace(*rng, count) if log else np.linspace(*rng, count)


def cmd_exclusion(args: argparse.Namespace) -> int:
    import numpy as np

    from .. import studies
    from ..config import load_config

    config = load_config(args.config, exposure=args.exposure)
    if not 3 <= args.mixing_points <= MAX_GRID_POINTS or not 3 <= args.mass_points <= MAX_GRID_POINTS:
        raise JunoFitError(f"--mixing-points/--mass-points: need 3 to {MAX_GRID_POINTS}")
    lo, hi = args.mixing_range
    if not (math.isfinite(lo) and math.isfinite(hi) and 0.0 <= lo < hi):
        raise JunoFitError(f"--mixing-range: need finite 0 ≤ LO < HI, got {lo} {hi}")
    _check_outputs(args, ("--plot", args.plot, PLOT_SUFFIXES))
    lik = _likelihood_for(config, args.data, args.force_data)
    with _client(args) as client:
        result = studies.exclusion(
            lik,
            args.mixing,
            args.mass,
            mass_range=tuple(args.mass_range) if args.mass_range else None,
            mass_points=args.mass_points,
            log_mass=not args.linear_mass,
            mixing_values=np.linspace(lo, hi, args.mixing_points),
            levels=[cl / 100.0 for cl in args.cl],
            progress=_progress("exclusion", "rows"),
            client=client,
        )
    if args.plot:
        from ..plots import plot_exclusion

        plot_exclusion(result, args.plot, title=config.description or config.name)
        print(f"wrote {args.plot}", file=sys.stderr)
    ok = bool(result.valid.all())
    if args.json:
        _print_json(result.to_dict())
        return 0 if ok else 1
    print(repr(result))
    print(f"  ({result.to_dict()['convention']})")
    return 0 if ok else 1


def cmd_nmo(args: argparse.Namespace) -> int:
    from .. import studies

    if len(args.configs) > 1 and args.plot:
        raise JunoFitError("--plot: a joint nmo test runs at each config's own exposure (no exposure curve)")
    config = _load(args, args.configs)
    studies.check_nmo(config, args.exposure, args.vacuum)  # before the cluster starts
    _check_outputs(args, ("--plot", args.plot, PLOT_SUFFIXES))
    with _client(args) as client:
        result = studies.nmo(
            config,
            args.exposure,
            vacuum=args.vacuum,
            progress=_progress("nmo", "exposures"),
            client=client,
        )
    if args.plot:
        import numpy as np

        from ..config import DAYS_PER_YEAR
        from ..plots import plot_nmo

        years = np.array(result.days) / DAYS_PER_YEAR
        sigma = np.array([v["sigma"] for v in result.exposures.values()])
        sigma_vac = np.array([v["sigma"] for v in result.vacuum.values()]) if result.vacuum else None
        title = f"{config.name}: true {result.true_ordering} ordering"
        plot_nmo(years, sigma, args.plot, sigma_vacuum=sigma_vac, title=title)
        print(f"wrote {args.plot}", file=sys.stderr)
    if args.json:
        _print_json(result.to_dict())
        return 0 if result.valid else 1
    print(f"{config.name}: true ordering {result.true_ordering}, Asimov data")
    for label, v in result.exposures.items():
        line = (
            f"  {label:>6}: Δχ²_NMO = {v['dchi2']:.3f}, √Δχ² = {v['sigma']:.3f}, "
            f"wrong-ordering Δm²31 = {v['dm2_31_wrong']:.6g} eV²"
        )
        if result.vacuum:
            w = result.vacuum[label]
            line += (
                f"; vacuum Δχ² = {w['dchi2']:.3f} (√ {w['sigma']:.3f}), matter − vacuum {v['dchi2'] - w['dchi2']:+.3f}"
            )
        print(line + ("" if v["valid"] else "  (a fit was NOT valid)"))
    return 0 if result.valid else 1


def cmd_precision(args: argparse.Namespace) -> int:
    from .. import studies

    joint = len(args.configs) > 1
    studies.check_precision(joint, args.exposure)  # before the cluster starts
    config = _load(args, args.configs) if joint else args.configs[0]
    with _client(args) as client:
        result = studies.precision(config, args.exposure, progress=_progress("precision", "fits"), client=client)
    if args.json:
        _print_json(result.to_dict())
        return 0
    table = result.table
    names = list(next(iter(table.values())))
    print(f"relative 1σ precision, stat+syst (stat only), {result.config if joint else args.configs[0]}")
    print(f"  {'exposure':<10}" + "".join(f"{n:>24}" for n in names))
    for exposure, row in table.items():
        cells = "".join(f"{100 * row[n]['rel']:>13.3f}% ({100 * row[n]['rel_stat']:6.3f}%)" for n in names)
        print(f"  {exposure:<10}{cells}")
    return 0
