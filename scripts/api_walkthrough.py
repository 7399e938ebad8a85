"""A notebook-style walk through the public Python API, checked against the command line.

With ``import juno_fit as jf`` only, it

1. fits ``juno_nominal`` (6 years, Asimov data, MINOS),
2. scans Δm²31 (profile, 11 points),
3. draws the (sin²θ12, Δm²21) contours of JUNO's 2025 data (21 × 21 profiled grid),
4. runs 20 toys of ``juno_nominal`` at 100 days,

then runs ``juno-fit`` (a separate process per command) on the same inputs with ``--json`` and
compares the documents: every number must be identical (timings aside), and the toy ensembles bit
for bit. Writes ``scripts/results/api_walkthrough.md`` and the contour figure beside it.

Usage: ``python scripts/api_walkthrough.py [--outdir DIR]`` (about two minutes on two cores).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import juno_fit as jf

ROOT = Path(__file__).resolve().parents[1]
TIMINGS = ("seconds", "first_result_seconds", "output")


def cli(*argv: str) -> dict:
    """``juno-fit ARGV --json`` in its own process: the JSON document it prints."""
    done = subprocess.run(
        [sys.executable, "-m", "juno_fit.cli", *argv, "--json"], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"juno-fit {' '.join(argv)} exited with {done.returncode}: {done.stderr[-2000:]}")
    return json.loads(done.stdout)


def without(doc, keys=TIMINGS):
    if isinstance(doc, dict):
        return {k: without(v, keys) for k, v in doc.items() if k not in keys}
    if isinstance(doc, list):
        return [without(v, keys) for v in doc]
    return doc


def differences(a, b, at="") -> list[str]:
    """Where two JSON documents differ (paths), empty when identical."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = [f"{at}.{k}: only on one side" for k in set(a) ^ set(b)]
        for k in set(a) & set(b):
            out += differences(a[k], b[k], f"{at}.{k}")
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in differences(x, y, f"{at}[{i}]")]
    return [] if a == b else [f"{at}: {a!r} != {b!r}"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outdir", type=Path, default=ROOT / "scripts" / "results")
    args = parser.parse_args()
    args.outdir.mkdir(parents=True, exist_ok=True)
    rows, lines = [], []
    t_api = {}

    # 1. the main job: juno_nominal, 6 years, Asimov data, MINOS
    t0 = time.perf_counter()
    config = jf.load_config("juno_nominal")
    model = jf.build_model(config)
    likelihood = jf.Likelihood(model, jf.asimov(model))
    result = jf.fit(likelihood)
    t_api["fit"] = time.perf_counter() - t0
    print(result)
    diff = differences(json.loads(result.to_json()), cli("fit", "juno_nominal"))
    rows.append(("fit juno_nominal (6 y, MINOS)", "juno-fit fit juno_nominal --json", diff))
    lines.append(
        "fit: "
        + ", ".join(
            f"{n} = {result.values[n]:.6g} {result.minos[n][0]:+.4g}/{result.minos[n][1]:+.4g}"
            for n in ("sin2_theta12", "dm2_21", "dm2_31")
        )
    )

    # 2. a profile scan of Δm²31 (best fit ± 4σ)
    t0 = time.perf_counter()
    profile = jf.scan(likelihood, "dm2_31", points=11, best=result, progress=False)
    t_api["scan"] = time.perf_counter() - t0
    print(profile)
    diff = differences(
        without(json.loads(profile.to_json())),
        without(cli("scan", "juno_nominal", "--param", "dm2_31", "--points", "11")),
    )
    rows.append(("scan Δm²31, 11 points", "juno-fit scan juno_nominal --param dm2_31 --points 11 --json", diff))
    lo, hi = profile.intervals["1"]
    lines.append(f"scan: Δm²31 1σ interval [{lo:.7g}, {hi:.7g}] eV²")

    # 3. JUNO's 2025 data: the (sin²θ12, Δm²21) contours
    t0 = time.perf_counter()
    config25 = jf.load_config("juno_2025_first_data")
    model25 = jf.build_model(config25)
    release = jf.input_path("detector", "juno2025/fig3_panel_a_data.csv")
    lik25 = jf.Likelihood(model25, jf.read_data(release, model25))
    grid = jf.contour(lik25, "sin2_theta12", "dm2_21", points=21, progress=False)
    t_api["contour"] = time.perf_counter() - t0
    print(grid)
    fig, ax = plt.subplots(figsize=(6, 5))
    grid.plot(
        ax,
        title="JUNO 2025 data (59.1 days), public API",
        references=[{"label": "published (1σ)", "x": (0.3092, 0.0087), "y": (7.50e-5, 0.12e-5)}],
    )
    figure = args.outdir / "api_walkthrough_contour.png"
    fig.savefig(figure, dpi=120, bbox_inches="tight")
    argv = ["contour", "juno_2025_first_data", "--data", str(release), "--params", "sin2_theta12", "dm2_21"]
    diff = differences(without(json.loads(grid.to_json())), without(cli(*argv, "--points", "21")))
    rows.append(("contours of JUNO 2025 data, 21 × 21", " ".join(argv[:2]) + " --data … --points 21 --json", diff))
    (alo, ahi), (blo, bhi) = grid.extent("1")
    lines.append(f"contour: 1σ region sin²θ12 ∈ [{alo:.4f}, {ahi:.4f}], Δm²21 ∈ [{blo:.4e}, {bhi:.4e}] eV²")

    # 4. 20 toys of juno_nominal at 100 days
    with tempfile.TemporaryDirectory() as tmp:
        api_file, cli_file = Path(tmp) / "api.h5", Path(tmp) / "cli.h5"
        t0 = time.perf_counter()
        toys = jf.toys(jf.load_config("juno_nominal", exposure="100d"), 20, output=api_file, progress=False)
        t_api["toys"] = time.perf_counter() - t0
        print(toys)
        doc = cli("toys", "juno_nominal", "--exposure", "100d", "--n", "20", "-o", str(cli_file), "--workers", "1")
        diff = differences(without(toys.to_dict()), without(doc))
        summary_cli = cli("summary", str(cli_file))
        diff += differences(toys.summary, summary_cli)
        from juno_fit.ensemble import read_ensemble  # to compare the files' arrays bit for bit

        a, b = read_ensemble(api_file).arrays(), read_ensemble(cli_file).arrays()
        diff += [
            f"toy array {k} differs"
            for k in ("values", "errors", "truth", "valid", "fval")
            if not np.array_equal(a[k], b[k])
        ]
    rows.append(("20 toys, juno_nominal 100 d", "juno-fit toys … --n 20 --json; juno-fit summary", diff))
    p = toys.summary["parameters"]["dm2_31"]
    lines.append(
        f"toys: {toys.summary['converged']}/20 converged; Δm²31 pull mean {p['pull_mean']:+.3f}, "
        f"width {p['pull_width']:.3f}"
    )

    out = [
        "# The public API against the command line",
        "",
        "Made by `python scripts/api_walkthrough.py` (juno-fit " + jf.__version__ + "): each step with",
        "`import juno_fit as jf` only, then the same inputs through `juno-fit … --json` in a separate process.",
        "Timing fields (`seconds`, `first_result_seconds`, `output`) are left out of the comparison.",
        "",
        "| step | command line | differing numbers | API time |",
        "|---|---|---|---|",
    ]
    keys = ("fit", "scan", "contour", "toys")
    for (step, command, diff), key in zip(rows, keys, strict=True):
        out.append(f"| {step} | `{command}` | {len(diff)} | {t_api[key]:.1f} s |")
    out += ["", *[f"- {line}" for line in lines], "", f"![contours]({figure.name})", ""]
    bad = [d for _, _, diff in rows for d in diff]
    if bad:
        out += ["Differences:", "", *[f"- {d}" for d in bad[:50]], ""]
    (args.outdir / "api_walkthrough.md").write_text("\n".join(out), encoding="utf-8")
    print("\n".join(out))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
