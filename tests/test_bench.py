"""The benchmark helpers (juno_fit/bench.py) and the compile lock (juno_fit/_numba.py)."""

from __future__ import annotations

import time

import pytest

from juno_fit import _numba
from juno_fit.bench import format_report, kernel_benchmarks, machine, median_time
from juno_fit.likelihood import Likelihood


def test_median_time_measures_calls():
    assert 0.004 < median_time(lambda: time.sleep(0.005), repeat=5, min_time=0.0) < 0.05


def test_machine_description():
    m = machine()
    assert m["cores"] >= 1
    assert {"cpu", "numpy", "numba", "python", "date"} <= set(m)


def test_compile_lock_uses_the_numba_cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "cache"))
    assert _numba.cache_dir() == tmp_path / "cache"
    with _numba.compile_lock("abc123"):
        pass
    with _numba.compile_lock("abc123"):  # released: can be taken again
        assert (tmp_path / "cache" / "juno_fit_build.abc123.lock").exists()


def test_threads_default_to_one():
    # In a fresh process without the variables, importing juno_fit sets each thread pool to 1; a
    # value the user set is kept.
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
    env["MKL_NUM_THREADS"] = "3"
    names = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
    code = f"import os, juno_fit; print(*[os.environ[n] for n in {names!r}])"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.split() == ["1", "1", "3"]


@pytest.mark.slow
def test_kernel_benchmarks_cover_every_stage(nominal_model):
    lik = Likelihood(nominal_model, nominal_model.expected(nominal_model.parameters.values()))
    rows = kernel_benchmarks(nominal_model, lik)
    names = {r["name"] for r in rows}
    assert {"oscillation (KNP matter)", "response matrix build", "statistic: Poisson", "response adjoint"} <= names
    assert all(r["numba_s"] > 0 and r["numpy_s"] > 0 for r in rows)
    report = {
        "kernels": rows,
        "model_eval_s": 1e-3,
        "numpy_model_eval_s": 2e-2,
        "model_eval_ratio": 20.0,
        "single_nuisance_eval_s": 2e-5,
        "gradient_s": 2e-3,
        "gradient_over_eval": 2.0,
        "fit": {"with_grad_s": 0.5, "without_grad_s": 2.0, "nfev_with_grad": 300, "nfev_without_grad": 3000},
        "first_call_s": 1.0,
        "machine": machine(),
    }
    text = format_report(report)
    assert "response adjoint" in text
    assert "Asimov fit, exact gradient" in text


def test_bench_report_goes_to_the_checkouts_results_folder():
    # In a checkout the default report is benchmarks/results/bench-<time>.json at the repository root
    # (the command lives two folders down, in juno_fit/cli/).
    from pathlib import Path

    from juno_fit.cli.ensembles import CHECKOUT_RESULTS, default_bench_report

    root = Path(__file__).resolve().parents[1]
    if not (root / "benchmarks" / "results").is_dir() or CHECKOUT_RESULTS.parents[1] != root:
        pytest.skip("an installed package has no benchmarks/results folder")
    path = Path(default_bench_report())
    assert path.parent == root / "benchmarks" / "results"
    assert path.name.startswith("bench-")
    assert path.suffix == ".json"
