"""Reproduce JUNO's first measurement of sin²θ12 and Δm²21 (59.1 days, arXiv:2511.14593, Nature 654,
343 (2026)) from its public data release, and compare with the published result.

What it does, in order:

1. The flux normalisation of ``configs/juno_2025_first_data.toml``: juno-fit's unoscillated,
   efficiency-corrected IBD rate with every core at nominal power against the paper's expected
   150.9 ± 2.7 /day.
2. The unoscillated prediction bin by bin against the release's own ((N_obs − B)/P_ee,meas, Fig. 3c),
   with pure Huber–Mueller and with the reference-shape correction of the config.
3. Three fits of the release spectrum: the config (stat + syst), stat only (every systematic off; the
   external θ13 and Δm²31 priors kept) and the config without the shape correction; each beside the
   published values.
4. The best-fit prediction per component and per bin against the release's best-fit columns (Fig. 3a).
5. The (sin²θ12, Δm²21) contours at 1, 2, 3σ on a profiled grid, with the published point, and a
   spectrum figure like the paper's Fig. 3a (data, stacked components, best fit, no-oscillation
   prediction, residuals).

Usage: ``python scripts/reproduce_juno_2025.py [--outdir DIR] [--points N] [--workers W]``
(about half a minute on two cores with the default 41 × 41 grid).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import numpy as np

from juno_fit.config import SYSTEMATICS, load_config, read_csv_columns
from juno_fit.fitting import SIGMA_LEVELS_2D, fit, profiled_contours
from juno_fit.io import read_data, read_juno_release_table
from juno_fit.likelihood import Likelihood, warm_model
from juno_fit.parallel import dask_client
from juno_fit.plots import plot_contours, plot_fit_spectrum
from juno_fit.progress import Progress

ROOT = Path(__file__).resolve().parents[1]
RELEASE = ROOT / "detector" / "juno2025"
DATA = RELEASE / "fig3_panel_a_data.csv"
CONFIG = "juno_2025_first_data"

# arXiv:2511.14593 (abstract and Table 3): normal ordering assumed.
PUBLISHED = {"sin2_theta12": (0.3092, 0.0087), "dm2_21": (7.50e-5, 0.12e-5)}
PUBLISHED_RATE = (150.9, 2.7)  # expected unoscillated IBD /day, efficiency-corrected (paper, Table 1)
# The release's best-fit components (Fig. 3a columns) and which of our backgrounds each one holds.
COMPONENTS = {
    "signal": ("Npred_signal", None),
    "⁹Li/⁸He": ("Npred_9Li8He", ["li9he8"]),
    "geo-ν": ("Npred_Geonu", ["geo"]),
    "world reactors": ("Npred_WorldRea", ["world_reactors"]),
    "²¹⁴Bi–²¹⁴Po": ("Npred_Bipo", ["bipo"]),
    "other (five)": ("Npred_OtherBkg", ["c13_alpha_n", "fast_neutrons", "double_neutrons", "atm_nc", "accidentals"]),
}


def with_flux(config, **changes):
    return dataclasses.replace(config, flux=dataclasses.replace(config.flux, **changes))


def stat_only(config):
    return dataclasses.replace(
        config, fit=dataclasses.replace(config.fit, systematics=dict.fromkeys(SYSTEMATICS, False))
    )


def unoscillated(model) -> np.ndarray:
    det = model.detectors[0]
    theta = model.parameters.values()
    return det.response(det.fine_spectrum(theta, oscillate=False), theta) * det.signal_scale(theta)


def release_unoscillated(table: dict) -> np.ndarray:
    ratio = read_csv_columns(RELEASE / "fig3_panel_c_data.csv", ["Ec", "Pee_meas"])
    background = sum(table[col] for col, ours in COMPONENTS.values() if ours)
    return (table["counts"] - background) / ratio["Pee_meas"]


def section(title: str) -> None:
    print(f"\n## {title}\n")


def normalisation(config) -> None:
    section("1. Flux normalisation")
    model = warm_model(with_flux(config, normalisation=1.0))
    det = config.detectors[0]
    per_day = unoscillated(model).sum() / (config.exposure_days * det.efficiency * det.duty_cycle)
    rate, err = PUBLISHED_RATE
    print(f"juno-fit, all cores at nominal power, Huber–Mueller: {per_day:.1f} IBD/day (efficiency-corrected)")
    print(f"paper, expected without oscillation:            {rate} ± {err} /day")
    print(f"ratio = {rate / per_day:.4f} (config: {config.flux.normalisation}); the reactor power history")
    print("is not public, so this one number stands for it (reactors off or reduced during the run).")


def unoscillated_comparison(config, table: dict) -> None:
    section("2. Unoscillated prediction against the release's (N_obs − B)/P_ee,meas")
    target = release_unoscillated(table)
    plain = unoscillated(warm_model(with_flux(config, shape_correction=None)))
    corrected = unoscillated(warm_model(config))
    edges = table["edges"]
    use = edges[:-1] < 7.0
    print(
        f"totals: release {target.sum():.1f}, Huber–Mueller {plain.sum():.1f}, "
        f"with shape correction {corrected.sum():.1f}"
    )
    print("ratio to the release, mean over prompt-energy ranges (bins below 7 MeV; above, N_obs − B is a few events):")
    print("  range (MeV)    HM    corrected")
    for lo, hi in ((0.7, 2.0), (2.0, 3.0), (3.0, 4.0), (4.0, 4.5), (4.5, 5.5), (5.5, 6.0), (6.0, 7.0)):
        sel = (edges[:-1] >= lo - 1e-9) & (edges[1:] <= hi + 1e-9)
        print(
            f"  {lo:4.1f}–{hi:4.1f}   {plain[sel].sum() / target[sel].sum():6.3f}  "
            f"{corrected[sel].sum() / target[sel].sum():6.3f}"
        )
    for name, pred in (("HM", plain), ("corrected", corrected)):
        dev = np.abs(pred / target - 1)[use]
        print(f"  {name:>9}: largest bin deviation {100 * dev.max():.1f} %, rms {100 * np.sqrt(np.mean(dev**2)):.1f} %")


def run_fit(config, data_path: Path, label: str):
    model = warm_model(config)
    dataset = read_data(data_path, model)
    lik = Likelihood(model, dataset.arrays(model))
    t0 = time.perf_counter()
    result = fit(lik)
    elapsed = time.perf_counter() - t0
    if not result.valid:
        print(f"WARNING: {label}: minimum not valid ({'; '.join(result.messages)})", file=sys.stderr)
    return model, lik, result, elapsed


def fits(config) -> tuple:
    section("3. Fits of the release spectrum (2379 events, 66 bins)")
    runs = {
        "stat + syst": run_fit(config, DATA, "stat + syst"),
        "stat only": run_fit(stat_only(config), DATA, "stat only"),
        "Huber–Mueller shape": run_fit(with_flux(config, shape_correction=None), DATA, "HM"),
    }
    print("| fit | sin²θ12 | Δm²21 [10⁻⁵ eV²] | χ² (data) / ndf | seconds |")
    print("|---|---|---|---|---|")
    v12, e12 = PUBLISHED["sin2_theta12"]
    v21, e21 = PUBLISHED["dm2_21"]
    print(f"| published | {v12:.4f} ± {e12:.4f} | {v21 * 1e5:.3f} ± {e21 * 1e5:.3f} | | |")
    for label, (model, lik, result, elapsed) in runs.items():
        theta = np.array([result.values[n] for n in model.parameters.names])
        s12, d21 = result.values["sin2_theta12"], result.values["dm2_21"]
        es12, ed21 = result.errors["sin2_theta12"], result.errors["dm2_21"]
        print(
            f"| {label} | {s12:.4f} ± {es12:.4f} | {d21 * 1e5:.3f} ± {ed21 * 1e5:.3f} "
            f"| {lik.data_terms(theta):.1f} / {result.ndof} (total {result.fval:.1f}) | {elapsed:.1f} |"
        )
    print("\nagainst the published values (shift in published σ; error ratio):")
    for label, (_, _, result, _) in runs.items():
        cells = []
        for name, (pv, pe) in PUBLISHED.items():
            shift = (result.values[name] - pv) / pe
            cells.append(f"{name} {shift:+.2f}σ, error ×{result.errors[name] / pe:.3f}")
        print(f"  {label:>20}: " + "; ".join(cells))
    model, lik, result, _ = runs["stat + syst"]
    stat = runs["stat only"][2]
    print("\nsystematic share of the error, √(full² − stat²)/full:")
    for name in PUBLISHED:
        full, st = result.errors[name], stat.errors[name]
        print(f"  {name}: {np.sqrt(max(full**2 - st**2, 0.0)) / full:.2f}")
    print(
        "\nMINOS (stat + syst): "
        + ", ".join(f"{n} {lo:+.3g}/{hi:+.3g}" for n, (lo, hi) in result.minos.items() if n in PUBLISHED)
    )
    print(
        "largest nuisance pulls: "
        + ", ".join(f"{n} {p:+.2f}" for n, p in sorted(result.pulls.items(), key=lambda kv: -abs(kv[1]))[:5])
    )
    return model, lik, result


def components(model, result, table: dict) -> np.ndarray:
    section("4. Best-fit prediction against the release's best-fit columns")
    theta = np.array([result.values[n] for n in model.parameters.names])
    pred = model.predict(theta)[0]
    print("| component | release | juno-fit | ratio |")
    print("|---|---|---|---|")
    for label, (col, ours) in COMPONENTS.items():
        ref = table[col].sum()
        mine = pred.ibd.sum() if ours is None else sum(pred.backgrounds[n].sum() for n in ours)
        print(f"| {label} | {ref:.1f} | {mine:.1f} | {mine / ref:.3f} |")
    total_ref = table["Npred_best_fit"]
    print(f"| total | {total_ref.sum():.1f} | {pred.total.sum():.1f} | {pred.total.sum() / total_ref.sum():.3f} |")
    big = total_ref > 20
    dev = pred.total / total_ref - 1
    worst = int(np.argmax(np.where(big, np.abs(dev), 0)))
    e = table["edges"]
    print(
        f"\nper bin, total: {big.sum()} bins with more than 20 expected events; largest deviation "
        f"{100 * dev[worst]:+.2f} % ({e[worst]:.1f}–{e[worst + 1]:.1f} MeV), "
        f"rms {100 * np.sqrt(np.mean(dev[big] ** 2)):.2f} %"
    )
    return pred


def figures(model, lik, result, pred, outdir: Path, points: int, workers: int) -> None:
    section("5. Figures")
    names = ("sin2_theta12", "dm2_21")
    progress = Progress(points, "contour grid", unit="rows").callback
    t0 = time.perf_counter()
    with dask_client(workers) as client:
        _, _, grid, lines = profiled_contours(lik, names, result, points, progress=progress, client=client)
    print(
        f"{points}×{points} profiled grid in {time.perf_counter() - t0:.0f} s, "
        f"{int((~grid['valid']).sum())} failed points"
    )
    for key, ls in lines.items():
        pts = np.vstack(ls)
        print(
            f"  {key}σ (Δχ² = {SIGMA_LEVELS_2D[key]}): sin²θ12 {pts[:, 0].min():.4f}–{pts[:, 0].max():.4f}, "
            f"Δm²21 {pts[:, 1].min() * 1e5:.3f}–{pts[:, 1].max() * 1e5:.3f} ×10⁻⁵ eV²"
        )
    refs = [{"label": "JUNO 2025 (published, 1σ)", "x": PUBLISHED[names[0]], "y": PUBLISHED[names[1]]}]
    sets = [{"label": "juno-fit", "lines": lines, "best": (result.values[names[0]], result.values[names[1]])}]
    path = plot_contours(
        names, sets, outdir / "juno2025_contour.png", title="JUNO 59.1 days: release spectrum", references=refs
    )
    print(f"wrote {path}")
    theta = np.array([result.values[n] for n in model.parameters.names])
    det = model.detectors[0]
    no_osc = det.response(det.fine_spectrum(theta, oscillate=False), theta) * det.signal_scale(theta)
    path = plot_fit_spectrum(
        pred, lik.data[0], outdir / "juno2025_spectrum.png", title="JUNO 59.1 days: best fit", unoscillated=no_osc
    )
    print(f"wrote {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outdir", type=Path, default=Path("."), help="folder for the two figures (default: .)")
    parser.add_argument("--points", type=int, default=41, help="contour grid points per axis (default 41)")
    parser.add_argument("--workers", type=int, default=2, help="Dask worker processes for the contour grid (default 2)")
    args = parser.parse_args()
    args.outdir.mkdir(parents=True, exist_ok=True)

    config = load_config(CONFIG)
    table = read_juno_release_table(DATA)
    print(f"# JUNO 2025 first data (arXiv:2511.14593) with juno-fit: config {CONFIG}, data {DATA.relative_to(ROOT)}")
    normalisation(config)
    unoscillated_comparison(config, table)
    model, lik, result = fits(config)
    pred = components(model, result, table)
    figures(model, lik, result, pred, args.outdir, args.points, args.workers)


if __name__ == "__main__":
    main()
