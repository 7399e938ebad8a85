"""Joint fit of JUNO's 2025 release (59.1 days) and Daya Bay's full release (nGd, 3158 days): the
oscillation parameters shared (Δm²31 and Δm²32 linked through Δm²21), every other parameter per
experiment, in both mass orderings, beside each experiment alone.

- JUNO alone: ``configs/juno_2025_first_data.toml`` as published (θ13 and Δm²31 constrained by the PDG
  2024 averages) and with those two constraints removed (what JUNO's spectrum alone says).
- Daya Bay alone: ``configs/dayabay_nGd.toml`` (covariance CNP χ², free reactor spectrum; its solar
  parameters fixed, their uncertainty in the covariance).
- Joint: the sum of both statistics; JUNO's external θ13 and Δm²31 constraints are dropped (Daya Bay
  measures both) and Daya Bay's solar-parameter uncertainty is not applied again (the fit measures them).

Usage: ``python scripts/joint_juno_dayabay.py [-o scripts/results/joint_juno_dayabay.md] [--force]``
(about 3 minutes on one core; needs ``pip install 'juno-fit[dayabay]'``).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

from juno_fit.config import load_config
from juno_fit.files import add_report_option, check_report_option, write_text
from juno_fit.fitting import fit
from juno_fit.io import read_data
from juno_fit.joint import JointConfig
from juno_fit.likelihood import Likelihood
from juno_fit.model import build_model

ROOT = Path(__file__).resolve().parents[1]
JUNO_DATA = ROOT / "detector" / "juno2025" / "fig3_panel_a_data.csv"
SHOW = ("sin2_theta12", "dm2_21", "dm2_31", "dm2_32", "sin2_theta13", "sin2_2theta13")


def _lik(config):
    model = build_model(config)
    if getattr(model, "parts", None) is None:
        data = "real" if getattr(config, "model", "juno") == "dayabay" else JUNO_DATA
        return Likelihood(model, read_data(data, model).arrays(model))
    arrays = []
    for part in model.parts:
        data = "real" if getattr(part.config, "model", "juno") == "dayabay" else JUNO_DATA
        arrays += read_data(data, part).arrays(part)
    return Likelihood(model, arrays)


def _cell(res, name: str) -> str:
    if name in res.values and name in res.free:
        v, e = res.values[name], res.errors[name]
    elif name in res.derived:
        v, e = res.derived[name]
    elif name in res.values:
        return f"{res.values[name]:.5g} (fixed)"
    else:
        return "–"
    if name.startswith("dm2"):
        return f"{v * 1e3:+.4f} ± {e * 1e3:.4f}" if name != "dm2_21" else f"{v * 1e5:.3f} ± {e * 1e5:.3f}"
    return f"{v:.5f} ± {e:.5f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_report_option(ap, ROOT / "scripts" / "results" / "joint_juno_dayabay.md")
    args = ap.parse_args(argv)
    check_report_option(ap, args)
    t0 = time.perf_counter()
    juno, dyb = load_config("juno_2025_first_data"), load_config("dayabay_nGd")
    free_juno = dataclasses.replace(juno, fit=dataclasses.replace(juno.fit, constraints={}))
    cases = {
        "JUNO 2025 (PDG θ13, Δm²31 constraints)": juno,
        "JUNO 2025 (no external constraint)": free_juno,
        "Daya Bay nGd": dyb,
        "JUNO 2025 + Daya Bay": JointConfig((juno, dyb)),
    }
    rows, fvals, notes = [], {}, []
    for label, cfg in cases.items():
        for ordering in ("normal", "inverted"):
            lik = _lik(cfg.with_ordering(ordering))
            notes += [n for n in getattr(lik.model, "notes", []) if n not in notes]
            res = fit(lik, minos=[])
            status = "valid" if res.valid else "NOT VALID"
            print(f"{label}, {ordering}: χ² = {res.fval:.3f} ({status})", file=sys.stderr)
            fvals[(label, ordering)] = res.fval
            rows.append(
                f"| {label} | {ordering} | "
                + " | ".join(_cell(res, n) for n in SHOW)
                + f" | {res.fval:.3f} / {res.ndof} | {'yes' if res.valid else 'NO'} |"
            )
    lines = [
        "# JUNO 2025 + Daya Bay: a joint fit of the real data",
        "",
        "Written by `scripts/joint_juno_dayabay.py` (juno-fit's joint likelihood, `juno_fit/joint.py`).",
        "Errors are HESSE (exact-gradient Hessian). Δm² in 10⁻³ eV², Δm²21 in 10⁻⁵ eV²; derived quantities",
        "(Δm²32 for JUNO, sin²2θ13) with their propagated errors.",
        "",
        "| fit | ordering | sin²θ12 | Δm²21 | Δm²31 | Δm²32 | sin²θ13 | sin²2θ13 | χ²_min / ndof | valid |",
        "|---|---|---|---|---|---|---|---|---|---|",
        *rows,
        "",
        "χ²_min(inverted) − χ²_min(normal):",
        "",
        *[f"- {label}: {fvals[(label, 'inverted')] - fvals[(label, 'normal')]:+.3f}" for label in cases],
        "",
        "What the joint fit changed in its parts:",
        "",
        *[f"- {n}" for n in notes],
        "",
        f"Run time: {time.perf_counter() - t0:.0f} s.",
        "",
    ]
    write_text(args.output, "\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
