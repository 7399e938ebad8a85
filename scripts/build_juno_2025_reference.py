"""Build the reference-spectrum correction R(E_ν) that carries JUNO's own no-oscillation prediction of
its first 59.1 days into juno-fit (``spectra/tables/juno2025_reference_ratio.csv``).

Why: juno-fit's first-principles prediction uses the Huber–Mueller isotope spectra. Measured reactor
spectra (Daya Bay, RENO, Double Chooz, and JUNO's reference through Daya Bay) differ from them in
shape, most visibly by the ~10 % excess at 5 MeV prompt energy. JUNO's paper (arXiv:2511.14593)
predicts the unoscillated spectrum from a measured reference (its "reference spectrum" systematic,
1.2 %), which is not public as used. The release does give that prediction per bin implicitly:
Fig. 3c is P_ee,meas = (N_obs − B)/N_no-osc with the best-fit backgrounds B of Fig. 3a, so

    N_no-osc,i = (N_obs,i − B_i) / P_ee,meas,i

(the same numbers, within rounding, follow from N_no-osc = √N_obs / σ(P_ee,meas)). This script
compares it with juno-fit's prediction of ``configs/juno_2025_first_data.toml`` without the
correction, bin by bin, and fits a smooth multiplicative correction in neutrino energy:

    R(E_ν) = Σ_k c_k B_k(E_ν),   B_k cubic B-splines, knots every KNOT_STEP MeV on [E_LO, E_HI],

linear in c_k, so each basis function is pushed through the full model (IBD cross section, survival
probability off, the detector response with energy nonlinearity and resolution) and the c_k follow
from one weighted linear least-squares fit, Σ_i (Σ_k c_k M_ik − N_no-osc,i)² / N_no-osc,i, over the bins
below FIT_EMAX in prompt energy (above it N_obs − B is a few events and the derived N_no-osc is noise).
R is then scaled to leave the total unoscillated rate unchanged: the rate comes from the paper's
expected 150.9 /day (the config's flux normalisation), the correction carries shape only. Beyond the
knot range R is held at its end values.

Usage: ``python scripts/build_juno_2025_reference.py [--plot FILE.png] [--output FILE.csv]``; prints the bin-by-bin
comparison before and after and writes the table.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import numpy as np
from scipy.interpolate import BSpline

from juno_fit.config import load_config, read_csv_columns
from juno_fit.io import read_juno_release_table
from juno_fit.model import Model

ROOT = Path(__file__).resolve().parents[1]
RELEASE = ROOT / "detector" / "juno2025"
OUTPUT = ROOT / "spectra" / "tables" / "juno2025_reference_ratio.csv"
CONFIG = "juno_2025_first_data"

E_LO, E_HI = 1.8, 7.0  # MeV, neutrino energy: IBD threshold to ~6.3 MeV prompt; beyond, the fitted bins
# (up to 7 MeV prompt, smeared) constrain R too weakly and it is held at its end value
KNOT_STEP = 0.5  # MeV; the prompt resolution is 60–90 keV at 3–6 MeV, so this resolves the 5 MeV excess
FIT_EMAX = 7.0  # MeV prompt; 60 of 66 bins, 99.4 % of the unoscillated events
TABLE_STEP = 0.02  # MeV; linear interpolation of the cubic spline on this grid is exact to < 1e-5

BACKGROUND_COLUMNS = ("Npred_9Li8He", "Npred_Geonu", "Npred_WorldRea", "Npred_Bipo", "Npred_OtherBkg")


def release_no_oscillation() -> tuple[np.ndarray, np.ndarray]:
    """(edges, N_no-osc per bin) from the release's Fig. 3a and Fig. 3c tables."""
    table = read_juno_release_table(RELEASE / "fig3_panel_a_data.csv")
    ratio = read_csv_columns(RELEASE / "fig3_panel_c_data.csv", ["Ec", "Pee_meas"])
    background = sum(table[k] for k in BACKGROUND_COLUMNS)
    return table["edges"], (table["counts"] - background) / ratio["Pee_meas"]


def unoscillated(config, correction: tuple[np.ndarray, np.ndarray] | None) -> np.ndarray:
    """juno-fit's unoscillated IBD counts per bin at the nominal parameters, with a correction R(E_ν)."""
    flux = dataclasses.replace(config.flux, shape_correction=correction)
    model = Model(dataclasses.replace(config, flux=flux))
    det = model.detectors[0]
    theta = model.parameters.values()
    return det.response(det.fine_spectrum(theta, oscillate=False), theta) * det.signal_scale(theta)


def basis() -> tuple[np.ndarray, list[np.ndarray]]:
    knots = np.arange(E_LO, E_HI + 1e-9, KNOT_STEP)
    t = np.concatenate([[E_LO] * 3, knots, [E_HI] * 3])
    n = len(t) - 4
    grid = np.round(np.arange(E_LO, E_HI + 1e-9, TABLE_STEP), 6)
    return grid, [BSpline(t, np.eye(n)[k], 3)(grid) for k in range(n)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plot", metavar="FILE.png", help="plot the ratio before and after")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="table to write (default: %(default)s)")
    args = parser.parse_args(argv)

    config = load_config(CONFIG)
    if config.flux.shape_correction is not None:
        config = dataclasses.replace(config, flux=dataclasses.replace(config.flux, shape_correction=None))
    edges, target = release_no_oscillation()
    centres = 0.5 * (edges[1:] + edges[:-1])
    plain = unoscillated(config, None)
    grid, funcs = basis()
    design = np.column_stack([unoscillated(config, (grid, f)) for f in funcs])
    use = centres < FIT_EMAX
    w = 1.0 / np.sqrt(target[use])
    coef, *_ = np.linalg.lstsq(design[use] * w[:, None], target[use] * w, rcond=None)
    ratio = sum(c * f for c, f in zip(coef, funcs, strict=True))
    corrected = design @ coef
    scale = plain.sum() / corrected.sum()
    ratio *= scale
    corrected *= scale

    print(
        f"unoscillated events: juno-fit HM {plain.sum():.1f}, release {target.sum():.1f}, "
        f"corrected {corrected.sum():.1f}"
    )
    print(
        f"fit: {len(coef)} B-splines (knots every {KNOT_STEP} MeV, E_ν {E_LO}–{E_HI}), "
        f"{use.sum()} bins below {FIT_EMAX} MeV"
    )
    pull_before = (plain - target)[use] / np.sqrt(target[use])
    pull_after = (corrected / scale - target)[use] / np.sqrt(target[use])
    print(
        f"Σ (pred − release)²/release over fitted bins: before {np.sum(pull_before**2):.2f}, "
        f"after {np.sum(pull_after**2):.2f}"
    )
    print(" prompt bin (MeV)   release   HM   HM/rel   corrected  corr/rel")
    for i in range(len(target)):
        print(
            f"  {edges[i]:5.2f}-{edges[i + 1]:5.2f}  {target[i]:8.2f} {plain[i]:8.2f} {plain[i] / target[i]:6.3f}"
            f"  {corrected[i]:8.2f} {corrected[i] / target[i]:6.3f}{'' if use[i] else '  (not fitted)'}"
        )
    print(f"R(E_ν) range: {ratio.min():.3f}–{ratio.max():.3f}")

    output = args.output
    tmp = output.with_suffix(".tmp")
    with tmp.open("w") as f:
        f.write(
            "# Reference-spectrum correction R(E_nu) = JUNO 2025 no-oscillation prediction / juno-fit Huber-Mueller,\n"
            "# shape only (total rate unchanged). Built by scripts/build_juno_2025_reference.py from the JUNO\n"
            "# first-data release (arXiv:2511.14593, Nature 654, 343 (2026)), Fig. 3a and Fig. 3c tables.\n"
            f"# Cubic B-splines, knots every {KNOT_STEP} MeV on {E_LO}-{E_HI} MeV; held constant beyond.\n"
            "E_MeV,ratio\n"
        )
        for e, r in zip(grid, ratio, strict=True):
            f.write(f"{e:.2f},{r:.6f}\n")
    tmp.replace(output)
    print(f"wrote {output}")

    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, (a0, a1) = plt.subplots(2, 1, figsize=(7, 6), constrained_layout=True)
        a0.plot(grid, ratio, "k-")
        a0.axhline(1, color="0.6", lw=0.8)
        a0.set_xlabel("E_ν [MeV]")
        a0.set_ylabel("R(E_ν)")
        a1.step(centres, plain / target, where="mid", label="Huber–Mueller / release")
        a1.step(centres, corrected / target, where="mid", label="corrected / release")
        a1.axhline(1, color="0.6", lw=0.8)
        a1.set_xlim(0.7, 8)
        a1.set_ylim(0.8, 1.2)
        a1.set_xlabel("prompt energy [MeV]")
        a1.legend()
        fig.savefig(args.plot, dpi=120)


if __name__ == "__main__":
    main()
