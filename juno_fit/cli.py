"""The ``juno-fit`` command (DESIGN.md §3, CLI contract).

User errors (bad config, missing file, bad value) print one line ``juno-fit: error: ...`` on stderr
and exit with code 2; ``--json`` prints exactly one JSON object on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .errors import JunoFitError


def _add_config(p: argparse.ArgumentParser) -> None:
    p.add_argument("config", help="config name (e.g. juno_nominal) or path to a .toml file")
    p.add_argument("--exposure", help='replace the config\'s exposure ("100d", "6y", or days)')


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
    p.add_argument("--data", metavar="FILE.h5", help="data set from 'juno-fit simulate'")
    p.add_argument("-o", "--output", metavar="RESULT.h5", help="save the result with its provenance")
    p.add_argument("--force", action="store_true", help="overwrite an existing result file")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.add_argument("--no-minos", action="store_true", help="skip MINOS (HESSE errors only)")
    p.set_defaults(func=cmd_fit)

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
    p.set_defaults(func=cmd_precision)

    p = sub.add_parser("bench", help="time kernels, model evaluations, gradient and fits side by side")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.add_argument("--no-starts", action="store_true", help="skip the cold/warm start runs")
    p.add_argument(
        "-o",
        "--output",
        metavar="FILE.json",
        help="also write the report here (default: benchmarks/results/ in a checkout)",
    )
    p.set_defaults(func=cmd_bench)
    return parser


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
    model = warm_model(config)
    preds = model.predict(cores=True)
    summaries = {p.detector: _prediction_summary(model, p, d) for p, d in zip(preds, model.detectors, strict=True)}
    if args.plot:
        from .plots import plot_prediction

        for pred in preds:
            path = args.plot if len(preds) == 1 else _suffixed(args.plot, pred.detector)
            plot_prediction(pred, path, title=config.description or config.name, exposure_days=config.exposure_days)
            print(f"wrote {path}", file=sys.stderr)
    if args.json:
        out = next(iter(summaries.values())) if len(summaries) == 1 else {"detectors": summaries}
        print(json.dumps(out))
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
    model = warm_model(config)
    if args.toy is None:
        if args.throw_nuisances:
            raise JunoFitError("--throw-nuisances needs --toy K (the Asimov data set has no fluctuations)")
        dataset = asimov(model)
    else:
        if args.toy < 0:
            raise JunoFitError(f"--toy: must be a non-negative integer, got {args.toy}")
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
    for name in ("sin2_theta12", "sin2_theta13", "dm2_21", "dm2_31"):
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
    from .io import read_dataset, write_result
    from .likelihood import Likelihood, warm_model

    config = load_config(args.config, exposure=args.exposure)
    if args.output and not args.force and Path(args.output).exists():
        raise JunoFitError(f"{args.output}: exists; pass --force to overwrite")
    model = warm_model(config)
    if args.data:
        dataset = read_dataset(args.data, model)
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
    if args.json:
        print(json.dumps(result.to_json()))
    else:
        _print_fit(result, model, f"{config.name}: fit to {source}")
    return 0 if result.valid else 1


def cmd_precision(args: argparse.Namespace) -> int:
    from .precision import precision

    table = precision(args.config, args.exposure, progress=lambda msg: print(msg, file=sys.stderr))
    if args.json:
        print(json.dumps({"exposures": table}))
        return 0
    names = list(next(iter(table.values())))
    print(f"relative 1σ precision, stat+syst (stat only), {args.config}")
    print(f"  {'exposure':<10}" + "".join(f"{n:>24}" for n in names))
    for exposure, row in table.items():
        cells = "".join(f"{100 * row[n]['rel']:>13.3f}% ({100 * row[n]['rel_stat']:6.3f}%)" for n in names)
        print(f"  {exposure:<10}{cells}")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from .bench import format_report, run
    from .io import atomic_output

    report = run(progress=lambda msg: print(msg, file=sys.stderr, flush=True), starts=not args.no_starts)
    output = args.output
    if output is None:
        results = Path(__file__).resolve().parents[1] / "benchmarks" / "results"
        if results.is_dir():
            output = str(results / f"bench-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}.json")
    if output:
        with atomic_output(output) as tmp:
            tmp.write_text(json.dumps(report, indent=2) + "\n")
        print(f"wrote {output}", file=sys.stderr)
    print(json.dumps(report) if args.json else format_report(report))
    return 0


def _suffixed(path: str, tag: str) -> str:
    stem, dot, ext = path.rpartition(".")
    return f"{stem}_{tag}.{ext}" if dot else f"{path}_{tag}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
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


if __name__ == "__main__":
    sys.exit(main())
