"""Results that a refactoring must leave unchanged, written once and compared after.

For JUNO's 2025 release (``juno_2025_first_data`` on the release spectrum) and Daya Bay's full release
(``dayabay_nGd`` on its real data): the statistic at the config's nominal point and the real-data best
fit (every free parameter, χ²_min, HESSE errors of the oscillation parameters); for ``juno_nominal``
the Asimov precision table of arXiv:2204.13249 (100 days, 6 and 20 years, stat+syst and stat only).

Usage::

    python scripts/check_identity.py --write BASELINE.json     # before the change
    python scripts/check_identity.py --compare BASELINE.json   # after: prints both, exit 1 beyond 1e-10

The comparison prints every number before and after with its relative difference; a difference above
``--rtol`` (default 1e-10) in any of them fails.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from juno_fit.config import load_config
from juno_fit.fitting import fit
from juno_fit.io import read_data
from juno_fit.likelihood import Likelihood, warm_model
from juno_fit.precision_table import precision

ROOT = Path(__file__).resolve().parents[1]
JUNO_DATA = ROOT / "detector" / "juno2025" / "fig3_panel_a_data.csv"
OSCILLATION = ("sin2_theta12", "sin2_theta13", "dm2_21", "dm2_31")


def real_data_results(config_name: str, data: str | Path) -> dict[str, float]:
    model = warm_model(load_config(config_name))
    lik = Likelihood(model, read_data(data, model).arrays(model))
    theta = model.parameters.values()
    out = {"chi2_nominal": float(lik(theta))}
    result = fit(lik, minos=[])
    out["chi2_min"] = float(result.fval)
    for name in result.free:
        out[f"best.{name}"] = float(result.values[name])
    for name in OSCILLATION:
        if name in result.free:
            out[f"error.{name}"] = float(result.errors[name])
    return out


def collect() -> dict[str, float]:
    numbers: dict[str, float] = {}
    for label, (config, data) in {
        "juno2025": ("juno_2025_first_data", JUNO_DATA),
        "dayabay": ("dayabay_nGd", "real"),
    }.items():
        for key, value in real_data_results(config, data).items():
            numbers[f"{label}.{key}"] = value
    table = precision("juno_nominal", ["100d", "6y", "20y"])
    for exposure, row in table.items():
        for name, rel in row.items():
            for kind, value in rel.items():
                numbers[f"precision.{exposure}.{name}.{kind}"] = float(value)
    return numbers


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", type=Path, metavar="FILE.json", help="write the numbers (refuses to overwrite)")
    group.add_argument("--compare", type=Path, metavar="FILE.json", help="compare with numbers written before")
    parser.add_argument("--rtol", type=float, default=1e-10, help="largest relative difference accepted")
    args = parser.parse_args()
    if args.write and args.write.exists():
        parser.error(f"{args.write} exists; choose another name")
    if args.compare and not args.compare.is_file():
        parser.error(f"{args.compare}: not found")
    numbers = collect()
    if args.write:
        args.write.write_text(json.dumps(numbers, indent=1, sort_keys=True) + "\n")
        print(f"wrote {len(numbers)} numbers to {args.write}")
        return 0
    before = json.loads(args.compare.read_text())
    worst, failed = 0.0, []
    print(f"{'quantity':58s} {'before':>22s} {'after':>22s} {'rel. diff':>10s}")
    for key in sorted(set(before) | set(numbers)):
        a, b = before.get(key), numbers.get(key)
        if a is None or b is None:
            failed.append(key)
            print(f"{key:58s} {a!s:>22s} {b!s:>22s} {'missing':>10s}")
            continue
        rel = abs(b - a) / max(abs(a), 1e-300) if a != b else 0.0
        worst = max(worst, rel)
        if not np.isfinite(rel) or rel > args.rtol:
            failed.append(key)
        print(f"{key:58s} {a:22.15g} {b:22.15g} {rel:10.1e}")
    print(f"\n{len(numbers)} numbers; largest relative difference {worst:.1e}; {len(failed)} beyond {args.rtol:g}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
