"""Reading Daya Bay's full data release (dayabay-data-official) in its HDF5 and ROOT formats."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip(
    "dayabay_data_official", reason="the Daya Bay data release is an optional extra: pip install 'juno-fit[dayabay]'"
)

from juno_fit.dayabay_release import load_release, release_path
from juno_fit.errors import DataError, JunoFitError


@pytest.fixture(scope="module")
def hdf5():
    return load_release("hdf5")


@pytest.fixture(scope="module")
def root():
    return load_release("root")


def test_hdf5_and_root_hold_identical_numbers(hdf5, root):
    a, b = hdf5.arrays(), root.arrays()
    assert set(a) == set(b)
    assert len(a) > 500
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    assert hdf5.parameters == root.parameters
    assert (hdf5.detectors, hdf5.periods, hdf5.reactors, hdf5.isotopes, hdf5.backgrounds) == (
        root.detectors,
        root.periods,
        root.reactors,
        root.isotopes,
        root.backgrounds,
    )


def test_structure_of_the_release(hdf5):
    # the release README: 8 detectors, three periods in time order, 6 reactors, 4 isotopes; AD22 and
    # AD34 absent in 6AD, AD11 absent in 7AD → 21 spectra
    assert hdf5.detectors == ("AD11", "AD12", "AD21", "AD22", "AD31", "AD32", "AD33", "AD34")
    assert hdf5.periods == ("6AD", "8AD", "7AD")
    assert len(hdf5.reactors) == 6
    assert set(hdf5.isotopes) == {"U235", "U238", "Pu239", "Pu241"}
    assert len(hdf5.pairs()) == 21
    assert "AD22" not in hdf5.ibd["6AD"]
    assert "AD11" not in hdf5.ibd["7AD"]
    # 240 bins of 0.05 MeV over 0–12 MeV; the final 26 bins are unions of them
    np.testing.assert_allclose(hdf5.ibd_edges, np.linspace(0, 12, 241), atol=1e-12)
    assert len(hdf5.final_edges) == 27
    assert np.all(np.isin(np.round(hdf5.final_edges, 6), np.round(hdf5.ibd_edges, 6)))
    assert len(hdf5.spectrum_mesh) == 19


def test_numbers_quoted_by_the_release(hdf5):
    # 5.55 million IBD candidates (README; 5,546,118 exactly as the official model counts them)
    total = sum(v.sum() for dets in hdf5.ibd.values() for v in dets.values())
    assert total == 5_546_118
    assert all(np.all(v == np.round(v)) for dets in hdf5.ibd.values() for v in dets.values())
    # the IAV matrix is normalised so that every column sums to 1 (README); the columns below the
    # smallest prompt energy (1.022 MeV, annihilation) are empty
    sums = hdf5.iav.sum(axis=0)
    low = hdf5.ibd_edges[1:] <= 1.0 + 1e-9
    np.testing.assert_allclose(sums[~low], 1.0, atol=1e-12)
    assert np.all(sums[low] == 0.0)
    # background shapes are normalised to 1 (README)
    for kinds in hdf5.background_shapes.values():
        for dets in kinds.values():
            for shape in dets.values():
                assert shape.sum() == pytest.approx(1.0, abs=1e-9)
    # the daily effective live time is livetime × eff (README)
    for cols in hdf5.daily.values():
        np.testing.assert_allclose(cols["eff_livetime"], cols["livetime"] * cols["eff"], rtol=1e-12)


def test_parameter_files_are_read(hdf5):
    p = hdf5.parameters
    assert p["survival_probability"]["parameters"]["SinSq2Theta13"] > 0
    assert set(p["baselines"]["parameters"]["baseline"]) == set(hdf5.detectors)
    # the release's conversion factor for Δm²L/E [eV² km/MeV]: 2π × 1e-3 × (eV⁻¹ m relationship)
    assert hdf5.constants["survival_probability_argument_factor"] == pytest.approx(5067.7307, rel=1e-7)


def test_bad_requests_are_user_errors(tmp_path, monkeypatch):
    with pytest.raises(JunoFitError, match="accepted values hdf5, root"):
        load_release("npz")
    with pytest.raises(DataError, match="not a Daya Bay data release folder"):
        load_release("hdf5", tmp_path)
    assert release_path("root").name == "root"
    import builtins

    real_import = builtins.__import__

    def no_release(name, *args, **kwargs):
        if name == "dayabay_data_official":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_release)
    with pytest.raises(JunoFitError, match=r"pip install 'juno-fit\[dayabay\]'"):
        release_path("hdf5")
