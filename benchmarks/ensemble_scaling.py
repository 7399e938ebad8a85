"""Throughput of toy ensembles on a local Dask cluster: 1 worker against K workers, side by side in
one run, and whether the two ensembles are bit-identical.

For each worker count the same N toys of a config (default juno_nominal at 100 days, every
systematic, fits from the truth) are fitted into a fresh ensemble file with ``juno-fit toys``'s
engine (``juno_fit.ensemble.run_ensemble``). Reported per run: wall time from the start of the
cluster to the last result, the time to the first result (cluster start, model build on each
worker) and the throughput both over the whole wall time and after the first result; then the
ratio K workers / 1 worker and a field-by-field comparison of every toy (fit times excluded).

Usage: ``python benchmarks/ensemble_scaling.py [--n 1000] [--workers 2] [--config juno_nominal]
[--exposure 100d] [--keep DIR]``; writes ``benchmarks/results/ensemble_scaling.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from juno_fit.config import load_config
from juno_fit.ensemble import read_ensemble, run_ensemble, same_toy
from juno_fit.files import add_report_option, check_report_option, write_text

RESULTS = Path(__file__).resolve().parent / "results" / "ensemble_scaling.md"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--config", default="juno_nominal")
    parser.add_argument("--exposure", default="100d")
    parser.add_argument("--keep", type=Path, help="keep the two ensemble files in this folder")
    add_report_option(parser, default=RESULTS)
    args = parser.parse_args()
    check_report_option(parser, args)

    config = load_config(args.config, exposure=args.exposure)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="ensemble_scaling_"))
    folder.mkdir(parents=True, exist_ok=True)
    runs = {}
    for k in (1, args.workers):
        out = folder / f"toys_{k}w.h5"
        out.unlink(missing_ok=True)
        res = run_ensemble(config, args.n, out, workers=k)
        steady = (res["fitted"]) / (res["seconds"] - res["first_result_seconds"])
        runs[k] = {**res, "rate": res["fitted"] / res["seconds"], "steady_rate": steady, "file": out}
        print(
            f"{k} worker(s): {res['seconds']:.1f} s, {runs[k]['rate']:.3f} toys/s ({steady:.3f} after the first result)"
        )
    one, many = runs[1], runs[args.workers]
    a, b = read_ensemble(one["file"]), read_ensemble(many["file"])
    identical = sorted(a.records) == sorted(b.records) and all(same_toy(a.records[i], b.records[i]) for i in a.records)
    converged = sum(r["valid"] for r in a.records.values())
    lines = [
        "# Toy-ensemble throughput on a local Dask cluster",
        "",
        f"`python benchmarks/ensemble_scaling.py --n {args.n} --workers {args.workers} --config {args.config} "
        f"--exposure {args.exposure}`, {datetime.now(UTC).date()}, {machine()}.",
        "",
        f"{args.n} toys of {args.config} at {args.exposure} (every systematic, fits from the truth), "
        f"{converged} converged.",
        "",
        "| workers | wall [s] | to first result [s] | toys/s (wall) | toys/s (after first result) |",
        "|---|---|---|---|---|",
    ]
    for k, r in runs.items():
        lines.append(
            f"| {k} | {r['seconds']:.1f} | {r['first_result_seconds']:.1f} | {r['rate']:.3f} | {r['steady_rate']:.3f} |"
        )
    lines += [
        "",
        f"Throughput ratio {args.workers} workers / 1 worker: {many['rate'] / one['rate']:.3f} over the wall time, "
        f"{many['steady_rate'] / one['steady_rate']:.3f} after the first result.",
        "",
        f"The two ensembles are {'bit-identical' if identical else 'NOT identical'} (every toy, every field but "
        "the fit time).",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    write_text(args.output, text)


if __name__ == "__main__":
    main()
