"""Data sets (datasets.py) and their HDF5 files (io.py)."""

from __future__ import annotations

import dataclasses

import h5py
import numpy as np
import pytest

from juno_fit.datasets import asimov, pseudo_experiment, throw_parameters, toy_rng
from juno_fit.errors import DataError
from juno_fit.io import read_dataset, write_dataset
from juno_fit.model import Model


@pytest.fixture(scope="module")
def model(nominal_config):
    return Model(dataclasses.replace(nominal_config, exposure_days=100.0))


def test_asimov_is_the_expectation(model):
    data = asimov(model)
    np.testing.assert_array_equal(data.counts["JUNO"], model.predict()[0].total)
    assert data.truth["dm2_31"] == model.config.oscillation.dm2_31


def test_toys_are_reproducible_and_independent_of_order(model):
    a = pseudo_experiment(model, 3).counts["JUNO"]
    for k in (0, 1, 2):
        pseudo_experiment(model, k)
    b = pseudo_experiment(model, 3).counts["JUNO"]
    np.testing.assert_array_equal(a, b)
    c = pseudo_experiment(model, 4).counts["JUNO"]
    assert not np.array_equal(a, c)
    assert np.all(a == np.round(a))


def test_seed_sequence_definition(model):
    # toy k draws from SeedSequence(entropy=config seed, spawn_key=(k,)): anyone can regenerate it
    mu = model.predict()[0].total
    rng = np.random.default_rng(np.random.SeedSequence(entropy=model.config.seed, spawn_key=(7,)))
    np.testing.assert_array_equal(pseudo_experiment(model, 7).counts["JUNO"], rng.poisson(mu))
    assert toy_rng(1, 2).integers(1 << 30) == toy_rng(1, 2).integers(1 << 30)


def test_toys_fluctuate_around_the_expectation(model):
    mu = model.predict()[0].total
    toys = np.array([pseudo_experiment(model, k).counts["JUNO"] for k in range(40)])
    # total counts: mean within 4 standard errors of the expectation
    totals = toys.sum(axis=1)
    assert abs(totals.mean() - mu.sum()) < 4 * np.sqrt(mu.sum() / len(totals))


def test_thrown_nuisances(model):
    params = model.parameters
    theta = throw_parameters(model, toy_rng(5, 0))
    nominal = params.values()
    for p in params:
        i = params.index(p.name)
        if p.fixed or (p.error is None and not params.in_block(p.name)):
            assert theta[i] == nominal[i], p.name
        else:
            assert theta[i] != nominal[i], p.name
        if p.limits[0] is not None:
            assert theta[i] >= p.limits[0]
    toy = pseudo_experiment(model, 0, throw_nuisances=True)
    assert toy.throw_nuisances
    assert toy.truth["flux.norm"] != 1.0


def test_hdf5_round_trip(model, tmp_path):
    data = pseudo_experiment(model, 2)
    path = write_dataset(data, tmp_path / "toy.h5")
    back = read_dataset(path, model)
    np.testing.assert_array_equal(back.counts["JUNO"], data.counts["JUNO"])
    np.testing.assert_array_equal(back.edges["JUNO"], data.edges["JUNO"])
    assert back.truth == data.truth
    assert (back.kind, back.toy, back.seed, back.config_text) == ("toy", 2, model.config.seed, model.config.text)
    with pytest.raises(DataError, match="exists"):
        write_dataset(data, path)
    write_dataset(data, path, force=True)


def test_foreign_files_are_refused(model, tmp_path):
    text = tmp_path / "not.h5"
    text.write_text("hello")
    with pytest.raises(DataError, match="not an HDF5 file"):
        read_dataset(text, model)
    foreign = tmp_path / "foreign.h5"
    with h5py.File(foreign, "w") as f:
        f["x"] = np.arange(3)
    with pytest.raises(DataError, match="not a juno-fit data set"):
        read_dataset(foreign, model)
    with pytest.raises(DataError, match="not found"):
        read_dataset(tmp_path / "missing.h5", model)


def test_binning_mismatch_is_refused(model, tmp_path):
    data = asimov(model)
    data.edges["JUNO"] = data.edges["JUNO"] * 1.01
    path = write_dataset(data, tmp_path / "shifted.h5")
    with pytest.raises(DataError, match="binning of detector 'JUNO' does not match"):
        read_dataset(path, model)
