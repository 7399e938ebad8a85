"""Commands on one config and one data set: ``predict``, ``simulate``, ``fit``."""

from __future__ import annotations

import argparse
import sys

from ..errors import JunoFitError
from ..files import PLOT_SUFFIXES
from .common import (
    _check_outputs,
    _data_source,
    _likelihood_for,
    _load,
    _plot_paths,
    _print_json,
)


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
    from ..config import load_config
    from ..likelihood import warm_model

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
        from ..plots import plot_prediction

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
    from ..config import load_config
    from ..datasets import asimov, pseudo_experiment
    from ..io import write_dataset
    from ..likelihood import warm_model

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
    from ..fitting import fit
    from ..io import write_result

    config = _load(args, args.configs, args.exposure)
    if args.ordering:
        config = config.with_ordering(args.ordering)
    if len(args.configs) > 1 and args.plot:
        raise JunoFitError("--plot: draws one experiment's spectra; fit each config alone for its spectrum plot")
    names = [d.name for d in getattr(config, "detectors", ())] or [getattr(config, "name", "detector")]
    _check_outputs(
        args,
        ("-o", args.output, (".h5", ".hdf5")),
        *(("--plot", path, PLOT_SUFFIXES) for path in _plot_paths(args.plot, names)),
        ("--plot-pulls", args.plot_pulls, PLOT_SUFFIXES),
        ("--plot-correlation", args.plot_correlation, PLOT_SUFFIXES),
    )
    lik = _likelihood_for(config, args.data, args.force_data)
    model = lik.model
    source = _data_source(args.data)
    for note in getattr(model, "notes", ()):
        print(f"note: {note}", file=sys.stderr)
    print(f"fitting {config.name} to {source} ({len(model.parameters.free)} free parameters) ...", file=sys.stderr)
    result = fit(lik, minos=[] if args.no_minos else None, seed=config.seed)
    if args.output:
        write_result(result, args.output, config_text=config.text, data_source=source, force=args.force)
        print(f"wrote {args.output}", file=sys.stderr)
    _fit_plots(args, model, result, lik.data, config)
    if args.json:
        _print_json(result.to_dict())
    else:
        _print_fit(result, model, f"{config.name}: fit to {source}")
    return 0 if result.valid else 1


def _fit_plots(args, model, result, data, config) -> None:
    import numpy as np

    from .. import plots

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
