"""The systematic budget of JUNO's first oscillation analysis (59.1 days, arXiv:2511.14593) in juno-fit,
and the profiled Δχ² surface against JUNO's own published map.

What it does, for the model "before" (the uncertainty model of the first reproduction) and "after"
(the config as shipped, with the treatments added from published inputs):

1. Fits of the release spectrum (MINOS) beside the published point.
2. The budget: for every systematic group, σ(sin²θ12), σ(Δm²21), σ(Δm²31) from HESSE on the release
   data with the group removed (all others on) and with only that group on (all others off, θ13 and
   Δm²31 fixed unless the group is the external constraints); the contribution is the quadrature
   difference √(σ_all² − σ_without²) and √(σ_only² − σ_stat²).
3. The profiled Δχ² on the nodes of JUNO's published map (Fig. 4 table, 100 × 100 points of
   (sin²θ12, Δm²21)) against that map: signed differences where the official Δχ² < 11.83, the areas
   inside 1σ/2σ/3σ (fraction of grid points below 2.30/6.18/11.83) and the one-dimensional Δχ² = 1
   intervals of the map profiled over the other parameter.
4. Forecasts: relative precision of sin²θ12, Δm²21 and Δm²31 at 200 days and 1 year from Asimov data
   with this model, beside the 2022 design-study model (configs/juno_nominal.toml); Δm²31 once with
   the 2025 analysis' external constraint and once without (JUNO alone).

Usage: ``python scripts/juno_2025_budget.py [-o REPORT.md] [--force] [--workers W] [--skip-grid]``
(about 15 minutes on two cores, most of it the two 100 × 100 profiled grids).
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import sys
import time
from contextlib import redirect_stdout
from pathlib import Path

import numpy as np

from juno_fit.config import SYSTEMATICS, load_config
from juno_fit.ensemble import dask_client, dask_map
from juno_fit.files import add_report_option, check_report_option, write_text
from juno_fit.fit import SIGMA_LEVELS_2D, crossings, fit, profile_grid
from juno_fit.io import read_data
from juno_fit.likelihood import Likelihood, warm_model
from juno_fit.precision import precision_point
from juno_fit.profile_io import read_profile_csv
from juno_fit.progress import Progress

ROOT = Path(__file__).resolve().parents[1]
RELEASE = ROOT / "detector" / "juno2025"
DATA = RELEASE / "fig3_panel_a_data.csv"
OFFICIAL_MAP = RELEASE / "fig4_JUNO_DeltaChi2_59.1days.csv"
CONFIG = "juno_2025_first_data"
DESIGN_CONFIG = "juno_nominal"
NAMES = ("sin2_theta12", "dm2_21", "dm2_31")
CONSTRAINED = ("sin2_theta13", "dm2_31")  # constrained externally in the 2025 analysis

# arXiv:2511.14593 (abstract): normal ordering assumed.
PUBLISHED = {"sin2_theta12": (0.3092, 0.0087), "dm2_21": (7.50e-5, 0.12e-5)}

# Budget groups: label → the [systematics] switches they hold ("constraints": the external θ13, Δm²31).
GROUPS = {
    "reactor rate (flux.norm)": ("flux_normalisation",),
    "reference spectrum (Daya Bay, rate ⊕ shape)": ("reference_spectrum",),
    "fine structure (bin-to-bin)": ("reference_shape",),
    "efficiency ⊕ target protons": ("efficiency",),
    "energy scale": ("energy_scale",),
    "positron nonlinearity": ("nonlinearity",),
    "energy resolution": ("resolution",),
    "matter density": ("matter_density",),
    "background rates": ("background_rates",),
    "background shapes": ("background_shapes",),
    "external θ13, Δm²31": ("constraints",),
}

# The uncertainty model of the first reproduction: the treatments added since switched off, and the
# reference spectrum's 1.2 % rate term back in flux.norm (1.48 %, the paper's six reactor rate terms).
BEFORE_OFF = ("reference_spectrum", "background_shapes")
BEFORE_FLUX_NORM_UNCERTAINTY = 0.0148


def with_switches(config, on: dict[str, bool], *, constraints: bool = True):
    """The config with the given systematics switches; without ``constraints`` θ13 and Δm²31 are fixed
    at the config's values instead of constrained."""
    fit_cfg = dataclasses.replace(config.fit, systematics={**config.fit.systematics, **on})
    if not constraints:
        fit_cfg = dataclasses.replace(fit_cfg, free=tuple(n for n in fit_cfg.free if n not in CONSTRAINED))
    return dataclasses.replace(config, fit=fit_cfg)


def before(config):
    flux = dataclasses.replace(config.flux, normalisation_uncertainty=BEFORE_FLUX_NORM_UNCERTAINTY)
    return with_switches(dataclasses.replace(config, flux=flux), dict.fromkeys(BEFORE_OFF, False))


def data_likelihood(config) -> Likelihood:
    model = warm_model(config)
    return Likelihood(model, read_data(DATA, model).arrays(model))


def sigmas(config) -> dict[str, float]:
    result = fit(data_likelihood(config), minos=[])
    if not result.valid:
        print(f"WARNING: {config.name}: minimum not valid", file=sys.stderr)
    return {n: (result.errors[n] if n in result.free else 0.0) for n in NAMES}


def quad(a: float, b: float) -> float:
    return float(np.sqrt(max(a * a - b * b, 0.0)))


def budget(config, label: str) -> dict:
    """σ of each parameter for all-on, stat-only, remove-one and only-one of every group."""
    present = {s for s in SYSTEMATICS if config.fit.systematics[s]}
    groups = {k: v for k, v in GROUPS.items() if v == ("constraints",) or set(v) & present}
    all_on = sigmas(config)
    stat = sigmas(with_switches(config, dict.fromkeys(SYSTEMATICS, False), constraints=False))
    rows = {}
    bar = Progress(len(groups), f"budget {label}", unit="groups")
    for k, (name, switches) in enumerate(groups.items()):
        if switches == ("constraints",):
            without = sigmas(with_switches(config, {}, constraints=False))
            only = sigmas(with_switches(config, dict.fromkeys(SYSTEMATICS, False)))
        else:
            without = sigmas(with_switches(config, dict.fromkeys(switches, False)))
            only_on = {s: (s in switches and config.fit.systematics[s]) for s in SYSTEMATICS}
            only = sigmas(with_switches(config, only_on, constraints=False))
        rows[name] = {"without": without, "only": only}
        bar.callback(k + 1, len(groups))
    return {"all": all_on, "stat": stat, "rows": rows}


def print_budget(b: dict, title: str) -> None:
    print(f"\n### {title}\n")
    print("σ from HESSE on the release spectrum. Remove-one: √(σ_all² − σ_without²); only-one: √(σ_only² − σ_stat²).")
    print("Units: sin²θ12 in 10⁻³, Δm²21 in 10⁻⁷ eV², Δm²31 in 10⁻⁶ eV².\n")
    scale = {"sin2_theta12": 1e3, "dm2_21": 1e7, "dm2_31": 1e6}
    head = " | ".join(f"{n} remove-one | {n} only-one" for n in NAMES)
    print(f"| source | {head} |")
    print("|---|" + "---|" * (2 * len(NAMES)))
    for name, row in b["rows"].items():
        cells = []
        for n in NAMES:
            rem = quad(b["all"][n], row["without"][n]) * scale[n]
            only = quad(row["only"][n], b["stat"][n]) * scale[n]
            cells += [f"{rem:.2f}", f"{only:.2f}"]
        print(f"| {name} | " + " | ".join(cells) + " |")
    print(
        "| **σ, all on** | "
        + " | ".join(f"**{b['all'][n] * scale[n]:.2f}** | " for n in NAMES).rstrip(" |")
        + " |"
    )
    print("| σ, stat only (θ13, Δm²31 fixed) | " + " | ".join(f"{b['stat'][n] * scale[n]:.2f} | " for n in NAMES)[:-3] + " |")


def fit_summary(config, label: str) -> dict:
    lik = data_likelihood(config)
    result = fit(lik)
    cells = []
    for n, (pv, pe) in PUBLISHED.items():
        lo, hi = result.minos.get(n) or (np.nan, np.nan)
        shift = (result.values[n] - pv) / pe
        mean_err = 0.5 * (hi - lo)
        cells.append(
            f"{n} = {result.values[n]:.5g} {lo:+.3g}/{hi:+.3g} (shift {shift:+.2f}σ; MINOS half-width "
            f"{mean_err:.3g} = {mean_err / pe:.3f} × published)"
        )
    print(f"- {label}: " + "; ".join(cells) + f"; χ²_min = {result.fval:.2f} ({'valid' if result.valid else 'NOT valid'})")
    return {"lik": lik, "result": result}


def compare_map(lik: Likelihood, best, official, workers: int, label: str) -> dict:
    """Our profiled grid on the official nodes and the comparison metrics."""
    dm2 = official.axes[0] * 1e-5  # the map's first column: Δm²21 in 10⁻⁵ eV²
    s12 = official.axes[1]
    ref = official.dchi2.T  # rows: sin²θ12
    bar = Progress(len(s12), f"grid {label}", unit="rows")
    t0 = time.perf_counter()
    with dask_client(workers) as client:
        grid = profile_grid(lik, ("sin2_theta12", "dm2_21"), s12, dm2, best=best, progress=bar.callback, client=client)
    ours = grid["dchi2"]
    inside = ref < SIGMA_LEVELS_2D["3"]
    diff = (ours - ref)[inside]
    worst = np.unravel_index(np.argmax(np.where(inside, np.abs(ours - ref), -1)), ours.shape)
    out = {
        "seconds": time.perf_counter() - t0,
        "failed": int((~grid["valid"]).sum()),
        "mean": float(diff.mean()),
        "max": float(np.abs(diff).max()),
        "worst_at": (float(s12[worst[0]]), float(dm2[worst[1]])),
        "p95": float(np.percentile(np.abs(diff), 95)),
        "frac_gt1": float(np.mean(np.abs(diff) > 1)),
        "slope": float(np.sum(ours[inside] * ref[inside]) / np.sum(ref[inside] ** 2)),
        "areas": {k: (int((ours < v).sum()), int((ref < v).sum())) for k, v in SIGMA_LEVELS_2D.items()},
        "intervals": {},
    }
    for name, axis, prof_ours, prof_ref in (
        ("sin2_theta12", s12, ours.min(axis=1), ref.min(axis=1)),
        ("dm2_21", dm2, ours.min(axis=0), ref.min(axis=0)),
    ):
        res = []
        for prof in (prof_ours, prof_ref):
            lo, hi = crossings(axis, prof, 1.0)
            centre = axis[int(np.argmin(prof))]
            res.append((lo - centre if lo is not None else np.nan, hi - centre if hi is not None else np.nan))
        out["intervals"][name] = res
    return out


def print_map(m: dict, label: str) -> None:
    print(f"\n### {label}\n")
    print(f"100 × 100 profiled grid in {m['seconds']:.0f} s, {m['failed']} failed points.")
    print(
        f"Where the official Δχ² < 11.83: mean signed difference (juno-fit − official) {m['mean']:+.2f}; "
        f"largest |difference| {m['max']:.2f} at sin²θ12 = {m['worst_at'][0]:.4f}, "
        f"Δm²21 = {m['worst_at'][1] * 1e5:.3f} × 10⁻⁵ eV²; 95th percentile {m['p95']:.2f}; "
        f"{100 * m['frac_gt1']:.0f} % of the points differ by more than 1; least-squares slope of juno-fit on "
        f"official {m['slope']:.3f}."
    )
    cells = ", ".join(f"{k}σ {o / r:.3f}" for k, (o, r) in m["areas"].items())
    print(f"Areas inside the contours, juno-fit / official: {cells}.")
    (s_o, s_r), (d_o, d_r) = m["intervals"]["sin2_theta12"], m["intervals"]["dm2_21"]
    print(
        f"Δχ² = 1 intervals from the grids: sin²θ12 {s_o[0]:+.4f}/{s_o[1]:+.4f} (official {s_r[0]:+.4f}/{s_r[1]:+.4f}); "
        f"Δm²21 {d_o[0] * 1e5:+.3f}/{d_o[1] * 1e5:+.3f} (official {d_r[0] * 1e5:+.3f}/{d_r[1] * 1e5:+.3f}) × 10⁻⁵ eV²."
    )


def without_dm2_31_constraint(config):
    constraints = {k: v for k, v in config.fit.constraints.items() if k != "dm2_31"}
    return dataclasses.replace(config, fit=dataclasses.replace(config.fit, constraints=constraints))


def forecasts(workers: int) -> None:
    print("\n## 4. Forecasts (Asimov data, HESSE; relative 1σ precision in %)\n")
    variants = {
        "2025 model": (CONFIG, lambda c: c),
        "2025 model, Δm²31 not constrained": (CONFIG, without_dm2_31_constraint),
        "2025 model before": (CONFIG, before),
        "2022 design-study model": (DESIGN_CONFIG, lambda c: c),
    }
    tasks, keys = [], []
    for label, (name, change) in variants.items():
        for exposure in ("200d", "1y"):
            config = change(load_config(name, exposure=exposure))
            stat = with_switches(config, dict.fromkeys(SYSTEMATICS, False))
            tasks += [(config,), (stat,)]
            keys += [(label, exposure, "rel"), (label, exposure, "rel_stat")]
    bar = Progress(len(tasks), "forecasts", unit="fits")
    with dask_client(workers) as client:
        rows = dask_map(precision_point, tasks, client=client, progress=bar.callback)
    table: dict = {}
    for (label, exposure, kind), row in zip(keys, rows, strict=True):
        table.setdefault((label, exposure), {})[kind] = row
    print("| model | exposure | sin²θ12 | Δm²21 | Δm²31 | sin²θ12 stat | Δm²21 stat | Δm²31 stat |")
    print("|---|---|---|---|---|---|---|---|")
    for (label, exposure), row in table.items():
        cells = [f"{100 * row['rel'][n]:.3f}" for n in NAMES] + [f"{100 * row['rel_stat'][n]:.3f}" for n in NAMES]
        print(f"| {label} | {exposure} | " + " | ".join(cells) + " |")
    print(
        "\nStat-only rows keep the external θ13 and Δm²31 constraints of the config (they are measurements, not "
        "systematics of this analysis)."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_report_option(parser, ROOT / "scripts" / "results" / "juno_2025_budget.md")
    parser.add_argument("--workers", type=int, default=2, help="Dask worker processes for the grids (default 2)")
    parser.add_argument("--skip-grid", action="store_true", help="leave out the 100 × 100 grids (section 3)")
    args = parser.parse_args()
    check_report_option(parser, args)
    config = load_config(CONFIG)
    official = None if args.skip_grid else read_profile_csv(OFFICIAL_MAP)
    models = {"before": before(config), "after": config}
    buf = io.StringIO()
    with redirect_stdout(buf):
        print(f"Output of `python scripts/juno_2025_budget.py` (config {CONFIG}, data {DATA.relative_to(ROOT)}).")
        print("\n## 1. Fits of the release spectrum (MINOS)\n")
        fits = {label: fit_summary(cfg, label) for label, cfg in models.items()}
        print("\n## 2. Systematic budget")
        for label, cfg in models.items():
            print_budget(budget(cfg, label), f"{label}")
        if not args.skip_grid:
            print("\n## 3. The Δχ² surface against JUNO's published map (Fig. 4 table)")
            for label, f in fits.items():
                print_map(compare_map(f["lik"], f["result"], official, args.workers, label), label)
        forecasts(args.workers)
    text = buf.getvalue()
    sys.stdout.write(text)
    if args.output:
        write_text(args.output, text)
        print(f"wrote {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
