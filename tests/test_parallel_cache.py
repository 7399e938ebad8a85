"""Numba's on-disk cache when several processes start at once (juno_fit/_numba.py): no corruption,
no recompilation storm, identical results."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

SCRIPT = """
import json, time
t = time.perf_counter()
from juno_fit.config import load_config
from juno_fit.likelihood import Likelihood, warm_model
from juno_fit import _numba
model = warm_model(load_config("juno_nominal", exposure="100d"))
theta = model.parameters.values()
lik = Likelihood(model, model.expected(theta))
theta[0] *= 1.01
value, grad = lik.value_and_grad(theta)
stats = _numba.cache_statistics()
print(json.dumps({"value": value, "grad0": float(grad[0]), "seconds": time.perf_counter() - t,
                  "misses": sum(m for _h, m in stats.values()), "hits": sum(h for h, _m in stats.values())}))
"""


def _start(cache, n):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache))
    return [
        subprocess.Popen(
            [sys.executable, "-c", SCRIPT], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(n)
    ]


def _collect(procs):
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=600)
        assert p.returncode == 0, stderr
        out.append(json.loads(stdout.strip().splitlines()[-1]))
    return out


@pytest.mark.slow
def test_processes_starting_together_share_one_compilation(tmp_path):
    cache = tmp_path / "numba-cache"
    first = _collect(_start(cache, 3))
    # identical numbers in every process
    assert len({r["value"] for r in first}) == 1
    assert len({r["grad0"] for r in first}) == 1
    # under the compile lock one process compiles; the others load what it wrote
    compiled = [r for r in first if r["misses"] > 0]
    assert len(compiled) == 1
    assert all(r["hits"] > 0 for r in first if r["misses"] == 0)
    # a later process finds everything in the cache: no recompilation, and the cache is readable
    (later,) = _collect(_start(cache, 1))
    assert later["misses"] == 0
    assert later["value"] == first[0]["value"]
    assert any(cache.rglob("*.nbi"))
