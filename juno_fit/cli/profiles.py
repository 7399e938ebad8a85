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
    _check_param,
    _check_range,
    _client,
    _likelihood_for,
    _load,
    _print_json,
    _progress,
    _save_profile,
)


def cmd_scan(args: argparse.Namespace) -> int:
    import time

    import numpy as np

    from ..fit import SIGMA_LEVELS_1D, crossings, fit, profile_scan

    config = _load(args, args.configs, args.exposure)
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
        from ..plots import plot_profile

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

    from ..fit import SIGMA_LEVELS_2D, fit, minuit_contour, profiled_contours

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
    overlaid = len(args.configs) > 1 and not joint
    if args.data is not None and (overlaid or len(args.exposure or []) > 1):
        raise JunoFitError("--data: fits one config at one exposure; give a single config and at most one --exposure")
    if args.data is not None and not joint and len(args.data) > 1:
        raise JunoFitError("--data: give it once (or once per config with --joint)")
    if args.save and (overlaid or len(args.exposure or []) > 1):
        raise JunoFitError("--save: writes the grid of one config at one exposure; give a single config and exposure")
    _check_outputs(args, ("--plot", args.plot, PLOT_SUFFIXES), ("--save", args.save, PROFILE_SUFFIXES))
    sets, report = [], []
    with _client(args) as client:
        for names in [args.configs] if joint else [[name] for name in args.configs]:
            for exposure in args.exposure or [None]:
                config = _load(args, names, exposure)
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
        from ..plots import plot_contours

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

    from ..config import DAYS_PER_YEAR, parse_exposure
    from ..nmo import nmo_sensitivity

    joint = len(args.configs) > 1
    if joint and (args.exposure or args.vacuum or args.plot):
        raise JunoFitError("--exposure/--vacuum/--plot: a joint nmo test runs at each config's own exposure")
    config = _load(args, args.configs)
    if not joint and not hasattr(config, "detectors"):
        raise JunoFitError(f"{config.file}: nmo needs a JUNO-like config (a Daya Bay fit does not test the ordering)")
    if joint:
        labels, days = ["own"], [None]
    else:
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
        from ..plots import plot_nmo

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
    from ..precision import joint_precision, precision

    joint = len(args.configs) > 1
    if joint and args.exposure:
        raise JunoFitError("--exposure: a joint fit keeps each config's own exposure; set it in the configs")
    if not joint and not args.exposure:
        raise JunoFitError("--exposure: give at least one exposure, e.g. --exposure 6y")
    config = _load(args, args.configs) if joint else None
    with _client(args) as client:
        if joint:
            table = joint_precision(config, progress=_progress("precision", "fits"), client=client)
        else:
            table = precision(args.configs[0], args.exposure, progress=_progress("precision", "fits"), client=client)
    if args.json:
        _print_json({"exposures": table})
        return 0
    names = list(next(iter(table.values())))
    print(f"relative 1σ precision, stat+syst (stat only), {config.name if joint else args.configs[0]}")
    print(f"  {'exposure':<10}" + "".join(f"{n:>24}" for n in names))
    for exposure, row in table.items():
        cells = "".join(f"{100 * row[n]['rel']:>13.3f}% ({100 * row[n]['rel_stat']:6.3f}%)" for n in names)
        print(f"  {exposure:<10}{cells}")
    return 0
