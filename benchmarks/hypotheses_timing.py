"""Fit and contour times of the oscillation hypotheses beside the standard model's, side by side in one
run: ``juno_2025_first_data`` on the release spectrum, one process, one BLAS/Numba thread (the package
default). For each hypothesis: one statistic-with-gradient evaluation (median of 200), a full fit (MIGRAD
+ HESSE, median of 5) and an 11 × 11 profiled (sin²θ12, Δm²21) contour (median of 3), each hypothesis'
own parameters free where a fit can determine them.

Usage: ``python benchmarks/hypotheses_timing.py [--out benchmarks/results/hypotheses_timing.md]``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import juno_fit as jf

ROOT = Path(__file__).resolve().parents[1]
STANDARD = ["sin2_theta12", "sin2_theta13", "dm2_21", "dm2_31"]
CASES = {
    "standard": {},
    "sterile_3p1 (Δm²41 = 2e-3 fixed, sin²θ14 free)": {
        "oscillation": {"model": "sterile_3p1", "dm2_41": 2e-3},
        "fit": {"parameters": [*STANDARD, "sin2_theta14"]},
    },
    "sterile_3p1, grid to dm2_max = 1e-2": {
        "oscillation": {"model": "sterile_3p1", "dm2_41": 2e-3},
        "numerics": {"dm2_max": 1e-2},
        "fit": {"parameters": [*STANDARD, "sin2_theta14"]},
    },
    "decoherence (σ_rel free)": {
        "oscillation": {"model": "decoherence", "sigma_rel": 0.01},
        "fit": {"parameters": [*STANDARD, "sigma_rel"]},
    },
    "scalar_nsi (η_ee free, solar priors)": {
        "oscillation": {"model": "scalar_nsi"},
        "fit": {
            "parameters": [*STANDARD, "eta_ee"],
            "constraints": {"sin2_theta12": [0.307, 0.013], "dm2_21": [7.53e-5, 0.18e-5]},
        },
    },
}


def median_time(f, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "hypotheses_timing.md")
    args = parser.parse_args()
    rows = []
    release = jf.input_path("detector", "juno2025/fig3_panel_a_data.csv")
    for label, overrides in CASES.items():
        model = jf.build_model(jf.load_config("juno_2025_first_data", **overrides))
        lik = jf.Likelihood(model, jf.read_data(release, model))
        theta = model.parameters.values()
        lik.value_and_grad(theta)
        evaluation = median_time(lambda lik=lik, theta=theta: lik.value_and_grad(theta), 200)
        best = jf.fit(lik, minos=False)
        fit_time = median_time(lambda lik=lik: jf.fit(lik, minos=False), 5)
        contour = median_time(
            lambda lik=lik, best=best: jf.contour(lik, "sin2_theta12", "dm2_21", points=11, best=best, progress=False),
            3,
        )
        nodes = sum(len(g.grid.nodes) for d in model.detectors for g in d.groups)
        rows.append((label, nodes, evaluation, best.nfev, fit_time, contour))
        print(rows[-1], flush=True)
    base = rows[0]
    lines = [
        "# Fit and contour times of the oscillation hypotheses",
        "",
        "`python benchmarks/hypotheses_timing.py`: `juno_2025_first_data` on the release spectrum, one process, one "
        "BLAS/Numba thread; medians (200 evaluations, 5 fits, 3 contours). Ratios to the standard model in brackets.",
        "",
        "| hypothesis | E_ν nodes | evaluation + gradient | fit (MIGRAD + HESSE) | evaluations per fit | "
        "11 × 11 contour |",
        "|---|---|---|---|---|---|",
    ]
    for label, nodes, ev, nfev, fit_time, contour in rows:
        lines.append(
            f"| {label} | {nodes} | {ev * 1e3:.2f} ms ({ev / base[2]:.2f}×) "
            f"| {fit_time:.2f} s ({fit_time / base[4]:.2f}×) | {nfev} | {contour:.1f} s ({contour / base[5]:.2f}×) |"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
