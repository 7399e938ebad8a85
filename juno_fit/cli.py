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
    from .model import Model

    config = load_config(args.config, exposure=args.exposure)
    model = Model(config)
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
