"""juno-fit's Daya Bay model against the collaboration's own model (``dayabay-model``), side by side
in one run on the same release and the same fit (real data, CNP χ² with the systematic covariance
matrix, sin²2θ13, Δm²32 and the 19 reactor-spectrum factors free: 21 parameters, MIGRAD then HESSE).

Timed, as medians over repeats:

- building the model (reading the release included);
- the systematic covariance matrix (546 × 546), which both build once at the nominal point;
- one χ² evaluation at a new oscillation point (the stages that do not depend on it cached);
- χ² with its gradient (juno-fit only: the collaboration's model has no gradient);
- the fit from the nominal point (MIGRAD + HESSE), and the whole job: build + matrix + fit;
- the pull-term fit (CNP χ² + priors, the 152 nuisances other than Huber–Mueller's minimised too:
  173 parameters): juno-fit with its exact gradient; the collaboration's model only with
  ``--official-pulls`` (MIGRAD strategy 0 on its numerical gradient: about twenty minutes).

The collaboration's model is timed only when ``import dayabay_model`` works (``pip install
dayabay-model``); otherwise its column says so. juno-fit runs inside
:func:`juno_fit.threads.limited_threads` (one BLAS thread unless OMP_NUM_THREADS says otherwise), the
collaboration's model with NumPy's default thread pools; the report states both counts. ``--load K``
keeps K busy processes running during the measurement (a loaded machine). Usage:
``python benchmarks/dayabay_vs_official.py [--repeats N] [--load K] [-o FILE.md [--force]]``.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import importlib.metadata
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator

import iminuit
import numpy as np
from threadpoolctl import threadpool_info

from juno_fit.files import add_report_option, check_report_option, write_text

N_EVAL = 40


def _median(xs: list[float]) -> float:
    return statistics.median(xs)


def _threads() -> str:
    """The thread pools NumPy and friends use right now, e.g. "openblas 1"."""
    pools = threadpool_info()
    return ", ".join(f"{p['internal_api']} {p['num_threads']}" for p in pools) or "no BLAS pool"


@contextlib.contextmanager
def background_load(k: int) -> Iterator[None]:
    """``k`` processes spinning on the CPU while the block runs."""
    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(k)]
    try:
        yield
    finally:
        for p in procs:
            p.kill()
            p.wait()


def ours(repeats: int) -> dict:
    """juno-fit's timings, inside its run-time thread limit."""
    from juno_fit.threads import limited_threads

    with limited_threads():
        out = _ours(repeats)
        out["threads"] = _threads()
    return out


def _ours(repeats: int) -> dict:
    from juno_fit.config import load_config
    from juno_fit.experiments.dayabay import DYB_SYSTEMATICS, DayaBayModel, covariance_cached
    from juno_fit.fitting import fit
    from juno_fit.likelihood import Likelihood

    config = load_config("dayabay_nGd")
    config = dataclasses.replace(config, background_sigma="official")  # the same inputs as theirs
    DayaBayModel(config)  # Numba compilation outside the timings (cached on disk after the first run)
    no_hm = {g: not g.startswith("hm_") for g in DYB_SYSTEMATICS}
    pull_config = dataclasses.replace(config, fit=dataclasses.replace(config.fit, statistic="pulls", systematics=no_hm))
    out: dict[str, list[float]] = {k: [] for k in ("build", "matrix", "eval", "grad", "fit", "job", "pulls")}
    for _ in range(repeats):
        t0 = time.perf_counter()
        pull_model = DayaBayModel(pull_config)
        pull_result = fit(Likelihood(pull_model, pull_model.real_data()), minos=[], hesse=False)
        out["pulls"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        model = DayaBayModel(config)
        t1 = time.perf_counter()
        groups = tuple(g for g, dirs in model.nuisances.groups.items() if dirs)
        covariance_cached(model, groups)
        t2 = time.perf_counter()
        lik = Likelihood(model, model.real_data())
        t3 = time.perf_counter()
        result = fit(lik, minos=[])
        t4 = time.perf_counter()
        out["build"].append(t1 - t0)
        out["matrix"].append(t2 - t1)
        out["fit"].append(t4 - t3)
        out["job"].append(t4 - t0)
        theta = model.parameters.values()
        i13 = model.parameters.index("sin2_2theta13")
        evals, grads = [], []
        for k in range(N_EVAL):
            theta[i13] = 0.08 + 1e-5 * k
            a = time.perf_counter()
            lik(theta)
            evals.append(time.perf_counter() - a)
            theta[i13] += 5e-6
            a = time.perf_counter()
            lik.value_and_grad(theta)
            grads.append(time.perf_counter() - a)
        out["eval"].append(_median(evals))
        out["grad"].append(_median(grads))
    med = {k: _median(v) for k, v in out.items()}
    med["result"] = (result.values["sin2_2theta13"], result.values["dm2_32"], result.fval, result.nfev)
    med["pull_result"] = (
        pull_result.values["sin2_2theta13"],
        pull_result.values["dm2_32"],
        pull_result.fval,
        pull_result.nfev,
    )
    return med


def official_pulls() -> tuple[float, tuple]:
    """The collaboration's pull fit: its full.pull.chi2cnp over the free and the constrained
    parameters but the Huber–Mueller ones, MIGRAD strategy 0 (no HESSE)."""
    from dag_modelling.tools.make_fcn import make_fcn
    from dayabay_model import model_dayabay

    t0 = time.perf_counter()
    m = model_dayabay()
    m.switch_data("real")
    storage = m.storage
    pars = {p.name: p for p in storage["parameters.free"].walkvalues() if "global_normalization" not in p.name}
    pars.update(
        {p.name: p for p in storage["parameters.constrained"].walkvalues() if "reactor_antineutrino" not in p.name}
    )
    fcn_vec = make_fcn(storage["outputs"]["statistic.full.pull.chi2cnp"], parameters=pars, safe=False)
    calls = [0]

    def fcn(*args):
        calls[0] += 1
        return float(np.asarray(fcn_vec(*args)).ravel()[0])

    mi = iminuit.Minuit(fcn, *[p.value for p in pars.values()], name=list(pars))
    mi.errordef = 1
    mi.strategy = 0
    mi.migrad()
    names = list(pars)
    i13 = next(n for n in names if "SinSq2Theta13" in n)
    i32 = next(n for n in names if "DeltaMSq32" in n)
    return time.perf_counter() - t0, (mi.values[i13], mi.values[i32], mi.fval, calls[0])


def official(repeats: int) -> dict | None:
    try:
        from dag_modelling.tools.make_fcn import make_fcn
        from dayabay_model import model_dayabay
    except ImportError:
        return None
    out: dict[str, list[float]] = {k: [] for k in ("build", "matrix", "eval", "fit", "job")}
    for _ in range(repeats):
        t0 = time.perf_counter()
        m = model_dayabay()
        m.switch_data("real")
        t1 = time.perf_counter()
        storage = m.storage
        free = {p.name: p for p in storage["parameters.free"].walkvalues() if "global_normalization" not in p.name}
        fcn_vec = make_fcn(storage["outputs"]["statistic.full.covmat.chi2cnp"], parameters=free, safe=False)
        calls = [0]

        def fcn(*args, fcn_vec=fcn_vec, calls=calls):
            calls[0] += 1
            return float(np.asarray(fcn_vec(*args)).ravel()[0])

        start = [p.value for p in free.values()]
        fcn(*start)  # the first evaluation builds the covariance matrix (its Jacobian node freezes itself)
        t2 = time.perf_counter()
        mi = iminuit.Minuit(fcn, *start, name=list(free))
        mi.errordef = 1
        mi.migrad()
        mi.hesse()
        t3 = time.perf_counter()
        out["build"].append(t1 - t0)
        out["matrix"].append(t2 - t1)
        out["fit"].append(t3 - t2)
        out["job"].append(t3 - t0)
        names = list(free)
        i13 = next(k for k, n in enumerate(names) if "SinSq2Theta13" in n)
        evals = []
        x = list(mi.values)
        for k in range(N_EVAL):
            x[i13] = 0.08 + 1e-5 * k
            a = time.perf_counter()
            fcn(*x)
            evals.append(time.perf_counter() - a)
        out["eval"].append(_median(evals))
        values = dict(zip(names, mi.values, strict=True))
        i32 = next(n for n in names if "DeltaMSq32" in n)
        result = (values[names[i13]], values[i32], mi.fval, calls[0])
    med = {k: _median(v) for k, v in out.items()}
    med["result"] = result
    med["version"] = importlib.metadata.version("dayabay-model")
    med["threads"] = _threads()
    return med


def report(a: dict, b: dict | None, repeats: int, official_repeats: int, load: int = 0) -> str:
    rows = [
        ("model build (release read)", "build", "s"),
        ("covariance matrix", "matrix", "s"),
        ("one χ² evaluation", "eval", "ms"),
        ("χ² + gradient", "grad", "ms"),
        ("fit: MIGRAD + HESSE", "fit", "s"),
        ("whole job: build + matrix + fit", "job", "s"),
        ("pull fit, 173 parameters (build included)", "pulls", "s"),
    ]
    lines = [
        "# Daya Bay covariance fit: juno-fit vs the collaboration's model",
        "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores,"
        f" Python {platform.python_version()},"
        f" numpy {np.__version__}, iminuit {iminuit.__version__}; medians of {repeats} repeats"
        f" ({official_repeats} for dayabay-model)"
        f" ({N_EVAL} evaluations each for the per-call rows). Release: dayabay-data-official"
        f" {importlib.metadata.version('dayabay-data-official')}.",
        "",
        f"Load: {'idle machine' if not load else f'{load} busy process(es) spinning beside the measurement'}."
        f" Threads: juno-fit {a['threads']}"
        + (f"; dayabay-model {b['threads']}" if b else "")
        + " (threadpoolctl's count of each BLAS/OpenMP pool during the run).",
        "",
        "| step | juno-fit | dayabay-model" + (f" {b['version']}" if b else "") + " | ratio (theirs / ours) |",
        "|---|---|---|---|",
    ]
    for label, key, unit in rows:
        scale = 1e3 if unit == "ms" else 1.0
        mine = f"{a[key] * scale:.3g} {unit}"
        if b is None:
            theirs, ratio = "not installed", ""
        elif key not in b:
            theirs, ratio = ("no gradient" if key == "grad" else "not run (--official-pulls)"), ""
        else:
            theirs, ratio = f"{b[key] * scale:.3g} {unit}", f"{b[key] / a[key]:.1f}×"
        lines.append(f"| {label} | {mine} | {theirs} | {ratio} |")
    lines.append("")
    s, d, chi2, n = a["result"]
    lines.append(f"juno-fit best fit: sin²2θ13 = {s:.7f}, Δm²32 = {d:.7e} eV², χ² = {chi2:.4f} ({n} χ² calls)")
    if b is not None:
        s, d, chi2, n = b["result"]
        lines.append(f"dayabay-model best fit: sin²2θ13 = {s:.7f}, Δm²32 = {d:.7e} eV², χ² = {chi2:.4f} ({n} χ² calls)")
    s, d, chi2, n = a["pull_result"]
    lines.append(f"juno-fit pull fit: sin²2θ13 = {s:.7f}, Δm²32 = {d:.7e} eV², χ² = {chi2:.4f} ({n} χ² calls)")
    if b is not None and "pull_result" in b:
        s, d, chi2, n = b["pull_result"]
        lines.append(f"dayabay-model pull fit: sin²2θ13 = {s:.7f}, Δm²32 = {d:.7e} eV², χ² = {chi2:.4f} ({n} χ² calls)")
    lines.append("")
    lines.append(
        "Both use the collaboration's convention for the absolute background-rate uncertainties and keep"
        " the CNP variance at the nominal prediction, so the two covariance fits minimise the same function;"
        " the pull fits use the CNP variance of the current prediction (both) and stop at MIGRAD's EDM"
        " tolerance (juno-fit without HESSE here, as theirs)."
    )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="repeats of each measurement (default 3)")
    parser.add_argument("--official-repeats", type=int, default=1, help="repeats for dayabay-model (default 1)")
    parser.add_argument("--official-pulls", action="store_true", help="also time dayabay-model's pull fit (~20 min)")
    parser.add_argument("--load", type=int, default=0, metavar="K", help="busy processes beside the run (default 0)")
    add_report_option(parser)
    args = parser.parse_args()
    check_report_option(parser, args)
    with background_load(args.load):
        a = ours(args.repeats)
        print("juno-fit done", file=sys.stderr)
        b = official(args.official_repeats)
        if b is not None and args.official_pulls:
            b["pulls"], b["pull_result"] = official_pulls()
    text = report(a, b, args.repeats, args.official_repeats, args.load)
    print(text)
    if args.output:
        write_text(args.output, text)


if __name__ == "__main__":
    main()
