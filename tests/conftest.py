"""Shared fixtures. Building the nominal model takes about a second (fold matrices, Numba compilation
on first use), so it is built once per test session."""

from __future__ import annotations

import pytest

from juno_fit.config import load_config
from juno_fit.model import Model


@pytest.fixture(scope="session")
def nominal_config():
    return load_config("juno_nominal")


@pytest.fixture(scope="session")
def nominal_model(nominal_config):
    return Model(nominal_config)
