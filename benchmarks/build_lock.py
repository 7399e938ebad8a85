"""Does a slow model build stall another config? ``juno-fit predict juno_nominal`` timed alone and
while another process builds a slow config (juno_nominal with 0.5 keV fine bins and four times
finer E_ν panels: a fold-matrix build of about ten seconds), side by side in one run.

Builds take a lock per config (juno_fit/_numba.py), so the nominal prediction should not wait for
the slow build; with the earlier single lock it waited for all of it. Each command is a fresh
process (``python -m juno_fit.cli``), so the times include start-up and the loading of the compiled
kernels from the on-disk cache (warmed by one untimed run first). Both sides use one BLAS thread
(juno-fit's default). Usage::

    python benchmarks/build_lock.py [--repeats N] [-o FILE.md [--force]]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from juno_fit.files import add_report_option, check_report_option, write_text

REPO = Path(__file__).resolve().parents[1]
SLOW_NUMERICS = """
[numerics]
edep_bin = 0.0005
edep_onset_bin = 0.0005
edep_bin_max = 0.002
panel_phase = 0.5
"""


def _command(config: str) -> list[str]:
    return [sys.executable, "-m", "juno_fit.cli", "predict", config, "--json"]


def _run(config: str) -> float:
    t0 = time.perf_counter()
    subprocess.run(_command(config), check=True, capture_output=True)
    return time.perf_counter() - t0


def measure(repeats: int, slow: str) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"alone": [], "beside": [], "slow": []}
    _run("juno_nominal")  # warm the kernel cache
    for _ in range(repeats):
        out["alone"].append(_run("juno_nominal"))
        t0 = time.perf_counter()
        builder = subprocess.Popen(_command(slow), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)  # the slow build is under way (its config is read, its lock taken)
        out["beside"].append(_run("juno_nominal"))
        if builder.wait() != 0:
            raise SystemExit("the slow config failed")
        out["slow"].append(time.perf_counter() - t0)
    return out


def report(times: dict[str, list[float]], repeats: int) -> str:
    med = {k: statistics.median(v) for k, v in times.items()}
    return "\n".join(
        [
            "# Build locks: a fast config beside a slow build",
            "",
            f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
            f"medians of {repeats} repeats; one BLAS thread per process (OMP_NUM_THREADS=1 default).",
            "",
            "| run | median | runs |",
            "|---|---|---|",
            f"| `predict juno_nominal` alone | {med['alone']:.2f} s | "
            f"{', '.join(f'{t:.2f}' for t in times['alone'])} |",
            f"| `predict juno_nominal` while the slow config builds | {med['beside']:.2f} s | "
            f"{', '.join(f'{t:.2f}' for t in times['beside'])} |",
            f"| the slow config's `predict` (started 1 s earlier) | {med['slow']:.2f} s | "
            f"{', '.join(f'{t:.2f}' for t in times['slow'])} |",
            "",
            f"Ratio beside / alone: {med['beside'] / med['alone']:.2f} (with one lock for all configs the "
            "nominal run would have waited for the whole slow build).",
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    add_report_option(parser)
    args = parser.parse_args()
    check_report_option(parser, args)
    with tempfile.TemporaryDirectory() as tmp:
        text = (REPO / "configs" / "juno_nominal.toml").read_text(encoding="utf-8")
        text = text.replace('detector = "juno"', f'detector = "{REPO / "detector" / "juno.toml"}"')
        text = text.replace('site = "juno_site"', f'site = "{REPO / "spectra" / "juno_site.toml"}"')
        slow = Path(tmp) / "slow_numerics.toml"
        slow.write_text(text + SLOW_NUMERICS, encoding="utf-8")
        times = measure(args.repeats, str(slow))
    text = report(times, args.repeats)
    print(text)
    if args.output:
        write_text(args.output, text)


if __name__ == "__main__":
    main()
