"""pytest-benchmark suite: ``python -m pytest benchmarks`` (the project's tests live in tests/).

The same measurements, side by side with the NumPy twins and as one report, come from
``juno-fit bench`` (juno_fit/bench.py).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from juno_fit.bench import _start, kernel_benchmarks
from juno_fit.fitting import fit

COUNTER = itertools.count()


def _moved(theta, free):
    theta = theta.copy()
    theta[free] += 1e-7 * (1 + next(COUNTER) % 97) * np.where(theta[free] != 0, np.abs(theta[free]), 1e-3)
    return theta


def test_model_eval_all_moved(benchmark, nominal):
    _model, lik, theta, free = nominal
    benchmark(lambda: lik(_moved(theta, free)))


def test_model_eval_one_background(benchmark, nominal):
    model, lik, theta, _free = nominal
    i = model.parameters.index("bkg.geo.rate")

    def run():
        t = theta.copy()
        t[i] += 1e-7 * (1 + next(COUNTER) % 97)
        return lik(t)

    benchmark(run)


def test_value_and_gradient(benchmark, nominal):
    _model, lik, theta, free = nominal
    benchmark(lambda: lik.value_and_grad(_moved(theta, free)))


@pytest.mark.parametrize("use_grad", [True, False], ids=["gradient", "numerical"])
def test_asimov_fit(benchmark, nominal, use_grad):
    model, lik, _theta, _free = nominal
    start = _start(model)
    result = benchmark.pedantic(lambda: fit(lik, start=start, minos=[], use_grad=use_grad), rounds=3)
    assert result.valid


def test_kernels_against_twins(benchmark, nominal):
    model, lik, _theta, _free = nominal
    rows = benchmark.pedantic(lambda: kernel_benchmarks(model, lik), rounds=1)
    assert all(r["ratio"] > 0 for r in rows)
