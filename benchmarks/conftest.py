"""Fixtures of the benchmark suite: the nominal model, its Asimov likelihood and a moved point."""

from __future__ import annotations

import numpy as np
import pytest

from juno_fit.config import load_config
from juno_fit.datasets import asimov
from juno_fit.likelihood import Likelihood, warm_model


@pytest.fixture(scope="session")
def nominal():
    model = warm_model(load_config("juno_nominal"))
    lik = Likelihood(model, asimov(model).arrays(model))
    theta = model.parameters.values()
    free = np.array([not p.fixed for p in model.parameters])
    return model, lik, theta, free
