"""Benchmarks, measured side by side in one run (``juno-fit bench``, benchmarks/).

Every number is a median over repeated calls after a warm-up call; ratios compare the Numba kernel
with its NumPy twin on the same inputs. The model evaluations use ``juno_nominal`` (6 years, 68 free
parameters): "all parameters moved" changes every free parameter before each call, so no stage can
be reused; "single nuisance" moves one background normalisation. The fits start from the same point
away from the truth and run MIGRAD and the covariance (no MINOS). Cold and warm starts run
``juno-fit fit juno_nominal --no-minos`` in a fresh process with an empty and with a filled Numba
cache directory.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime

import numpy as np

from . import __version__


def median_time(func: Callable[[], object], *, repeat: int = 50, min_time: float = 0.2) -> float:
    """Median seconds per call of ``func`` (after one warm-up call), at least ``repeat`` calls or
    ``min_time`` seconds."""
    func()
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < repeat or time.perf_counter() - start < min_time:
        t = time.perf_counter()
        func()
        times.append(time.perf_counter() - t)
        if len(times) > 100_000:
            break
    return float(np.median(times))


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            names = [ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    import numba

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": numba.__version__,
        "juno_fit": __version__,
        "platform": platform.platform(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _moved(theta0: np.ndarray, free: np.ndarray, counter: list[int]) -> np.ndarray:
    counter[0] += 1
    theta = theta0.copy()
    theta[free] += 1e-7 * (1 + counter[0] % 97) * np.where(theta0[free] != 0, np.abs(theta0[free]), 1e-3)
    return theta


def kernel_benchmarks(model, lik) -> list[dict]:
    """Each kernel against its NumPy twin on the inputs of the nominal model."""
    from .likelihood import (
        chi2_kernel,
        chi2_numpy,
        poisson_kernel,
        poisson_numpy,
        statistic_grad_kernel,
        statistic_grad_numpy,
    )
    from .physics import banded, flux, response
    from .physics import oscillation as osc

    det = model.detectors[0]
    theta = model.parameters.values()
    g = det.groups[0]
    nodes, baselines = g.grid.nodes, g.baselines
    args = (0.307, 0.0218, 7.53e-5, 2.5283e-3)
    fractions = g.fractions.copy()
    h = det.fine_spectrum(theta)
    v = det.visible_edges(theta)
    res = (0.0261, 0.0082, 0.0123)
    mu = model.expected(theta)[0]
    n = np.random.default_rng(0).poisson(mu).astype(float)
    var = (0.01 * mu) ** 2
    eff, _jac = osc.effective_jacobian(nodes, *args, "knp", 2.45, 0.5)
    w = np.random.default_rng(1).normal(size=(len(baselines), len(nodes)))
    alpha = np.random.default_rng(2).normal(size=(2, len(mu)))
    spectra = np.array([h, det.h_world])
    rmat = det.response_matrix(theta)
    cases = [
        (
            "oscillation (KNP matter)",
            lambda: osc.pee_knp_kernel(nodes, baselines, *args, 2.45, 0.5),
            lambda: osc.pee_knp_numpy(nodes, baselines, *args, 2.45, 0.5),
        ),
        (
            "oscillation (vacuum)",
            lambda: osc.pee_vacuum_kernel(nodes, baselines, *args),
            lambda: osc.pee_vacuum_numpy(nodes, baselines, *args),
        ),
        (
            "flux per core",
            lambda: flux.core_flux_kernel(g.spec, g.neq, g.snf, fractions, g.scales, g.use_snf, 1.0, 1.0),
            lambda: flux.core_flux_numpy(g.spec, g.neq, g.snf, fractions, g.scales, g.use_snf, 1.0, 1.0),
        ),
        ("IBD fold (flux x sigma)", lambda: g.fold @ nodes, lambda: banded.matvec_numpy(g.fold, nodes)),
        (
            "response matrix build",
            lambda: response.response_matrix_kernel(v, *res, det.reco_edges, 5.0),
            lambda: response.response_matrix_numpy(v, *res, det.reco_edges, 5.0),
        ),
        ("response fold (R h)", lambda: rmat @ h, lambda: banded.matvec_numpy(rmat, h)),
        ("statistic: Poisson", lambda: poisson_kernel(n, mu, var), lambda: poisson_numpy(n, mu, var)),
        ("statistic: CNP", lambda: chi2_kernel(n, mu, var, 1), lambda: chi2_numpy(n, mu, var, 1)),
        (
            "statistic gradient",
            lambda: statistic_grad_kernel(n, mu, var, 0),
            lambda: statistic_grad_numpy(n, mu, var, 0),
        ),
        (
            "oscillation adjoint",
            lambda: osc.pee_adjoint_kernel(nodes, baselines, w, eff),
            lambda: osc.pee_adjoint_numpy(nodes, baselines, w, eff),
        ),
        (
            "response adjoint",
            lambda: response.response_adjoint_kernel(v, *res, det.reco_edges, 5.0, alpha, spectra),
            lambda: response.response_adjoint_numpy(v, *res, det.reco_edges, 5.0, alpha, spectra),
        ),
    ]
    out = []
    for name, fast, slow in cases:
        t_fast = median_time(fast)
        t_slow = median_time(slow, repeat=10)
        out.append({"name": name, "numba_s": t_fast, "numpy_s": t_slow, "ratio": t_slow / t_fast})
    return out


def _start(model) -> np.ndarray:
    start = model.parameters.values()
    for name, shift in (("sin2_theta12", 0.006), ("sin2_theta13", 0.004), ("dm2_21", 1e-6), ("dm2_31", 2e-5)):
        start[model.parameters.index(name)] += shift
    return start


def _cli_start(cache: str) -> float:
    env = dict(os.environ, NUMBA_CACHE_DIR=cache)
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "juno_fit.cli", "fit", "juno_nominal", "--no-minos", "--json"],
        env=env,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - t


def toy_throughput(n_toys: int = 8, exposure: str = "100d") -> dict:
    """Toy fits of ``juno_nominal`` at ``exposure`` (every systematic), as ``juno-fit toys`` fits them with
    each minimiser, beside one model + statistic evaluation of the same model in the same run: the fit
    time of a toy (median) in evaluations' worth travels between machines. Newton's one-off curvature
    (per process and true point) is reported apart. One process, one thread."""
    from .config import load_config
    from .ensemble import ensemble_spec, fit_toy
    from .likelihood import Likelihood, warm_model
    from .newton import curvature

    config = load_config("juno_nominal", exposure=exposure)
    model = warm_model(config)
    theta0 = model.parameters.values()
    free = np.array([not p.fixed for p in model.parameters])
    lik = Likelihood(model, [p.total for p in model.predict(theta0)])
    counter = [0]
    eval_s = median_time(lambda: lik(_moved(theta0, free, counter)), repeat=200)
    t = time.perf_counter()
    curvature(model, theta0, free)
    out: dict = {"exposure": exposure, "toys": n_toys, "model_eval_s": eval_s, "curvature_s": time.perf_counter() - t}
    for minimiser in ("migrad", "newton"):
        spec = ensemble_spec(config, minimiser=minimiser)
        records = [fit_toy(model, k, spec) for k in range(n_toys)]
        per_toy = float(np.median([r["seconds"] for r in records]))
        out[minimiser] = {
            "per_toy_s": per_toy,
            "evaluations_per_toy": per_toy / eval_s,
            "toys_per_s_per_core": 1.0 / per_toy,
            "calls_per_toy": float(np.median([r["nfev"] for r in records])),
            "valid": int(sum(r["valid"] for r in records)),
        }
    out["speedup"] = out["migrad"]["per_toy_s"] / out["newton"]["per_toy_s"]
    return out


def run(*, progress: Callable[[str], None] = lambda s: None, starts: bool = True) -> dict:
    """All benchmarks; returns the ``juno-fit bench --json`` document."""
    from .config import load_config
    from .datasets import asimov
    from .fitting import fit
    from .likelihood import Likelihood, warm_model
    from .model import Model

    progress("compiling and building juno_nominal ...")
    t = time.perf_counter()
    config = load_config("juno_nominal")
    model = warm_model(config)
    first_call = time.perf_counter() - t
    data = asimov(model).arrays(model)
    lik = Likelihood(model, data)
    twin = Likelihood(Model(config, backend="numpy"), data)
    theta0 = model.parameters.values()
    free = np.array([not p.fixed for p in model.parameters])
    counter = [0]
    progress("kernels against their NumPy twins ...")
    kernels = kernel_benchmarks(model, lik)
    progress("model + statistic evaluations ...")
    eval_s = median_time(lambda: lik(_moved(theta0, free, counter)), repeat=200)
    numpy_eval_s = median_time(lambda: twin(_moved(theta0, free, counter)), repeat=10)
    i_bkg = model.parameters.index("bkg.geo.rate")

    def one_nuisance():
        counter[0] += 1
        theta = theta0.copy()
        theta[i_bkg] += 1e-7 * (1 + counter[0] % 97)
        lik(theta)

    single_s = median_time(one_nuisance, repeat=2000)
    grad_s = median_time(lambda: lik.value_and_grad(_moved(theta0, free, counter)), repeat=200)
    progress("Asimov fits with and without the gradient ...")
    start = _start(model)
    fits = {}
    for use_grad in (True, False):
        times, result = [], None
        for _ in range(3):
            t = time.perf_counter()
            result = fit(lik, start=start, minos=[], use_grad=use_grad)
            times.append(time.perf_counter() - t)
        fits[use_grad] = (float(np.median(times)), result)
    report = {
        "kernels": kernels,
        "model_eval_s": eval_s,
        "numpy_model_eval_s": numpy_eval_s,
        "model_eval_ratio": numpy_eval_s / eval_s,
        "single_nuisance_eval_s": single_s,
        "gradient_s": grad_s,
        "gradient_over_eval": grad_s / eval_s,
        "fit": {
            "with_grad_s": fits[True][0],
            "without_grad_s": fits[False][0],
            "nfev_with_grad": fits[True][1].nfev,
            "nfev_without_grad": fits[False][1].nfev,
            "valid": bool(fits[True][1].valid and fits[False][1].valid),
        },
        "first_call_s": first_call,
        "machine": machine(),
    }
    progress("toy fits at 100 days, MIGRAD and Newton ...")
    report["toy_fits"] = toy_throughput()
    if starts:
        progress("cold and warm start of 'juno-fit fit juno_nominal --no-minos' ...")
        with tempfile.TemporaryDirectory() as cache:
            report["cold_start_s"] = _cli_start(cache)
            report["warm_start_s"] = _cli_start(cache)
    return report


def format_report(report: dict) -> str:
    lines = [f"juno-fit bench on {report['machine']['cpu']} ({report['machine']['cores']} cores), medians", ""]
    lines.append(f"  {'kernel':<28} {'numba':>11} {'numpy':>11} {'ratio':>8}")
    for k in report["kernels"]:
        lines.append(f"  {k['name']:<28} {1e6 * k['numba_s']:9.1f}µs {1e6 * k['numpy_s']:9.1f}µs {k['ratio']:7.1f}x")
    lines += [
        "",
        f"  model + statistic, all parameters moved   {1e3 * report['model_eval_s']:8.3f} ms"
        f"   (NumPy twin {1e3 * report['numpy_model_eval_s']:.2f} ms, {report['model_eval_ratio']:.0f}x)",
        f"  after moving one background normalisation {1e6 * report['single_nuisance_eval_s']:8.1f} µs",
        f"  value + exact gradient, all moved          {1e3 * report['gradient_s']:8.3f} ms"
        f"   ({report['gradient_over_eval']:.1f}x one evaluation)",
        f"  Asimov fit, exact gradient                 {report['fit']['with_grad_s']:8.3f} s"
        f"   ({report['fit']['nfev_with_grad']} evaluations)",
        f"  Asimov fit, numerical gradient             {report['fit']['without_grad_s']:8.3f} s"
        f"   ({report['fit']['nfev_without_grad']} evaluations)",
        f"  first call (cache load or compile + model) {report['first_call_s']:8.2f} s",
    ]
    if "toy_fits" in report:
        toys = report["toy_fits"]
        lines.append(
            f"  toy fits, juno_nominal at {toys['exposure']} (one eval {1e3 * toys['model_eval_s']:.3f} ms; "
            f"Newton's curvature once per process {toys['curvature_s']:.2f} s):"
        )
        for name in ("migrad", "newton"):
            t = toys[name]
            lines.append(
                f"    {name:<7} {t['per_toy_s']:8.3f} s per toy = {t['evaluations_per_toy']:6.0f} evaluations' worth,"
                f" {t['toys_per_s_per_core']:6.2f} toys/s per core ({t['valid']}/{toys['toys']} valid)"
            )
    if "cold_start_s" in report:
        lines.append(f"  'juno-fit fit' cold start (empty cache)    {report['cold_start_s']:8.2f} s")
        lines.append(f"  'juno-fit fit' warm start (cached)         {report['warm_start_s']:8.2f} s")
    return "\n".join(lines)
