"""Input/output: HDF5 data sets and fit results (h5py) with provenance, and atomic output files.

Outputs are written atomically: to a temporary file in the target's folder, then renamed over the
target, so an interrupted or failed write never leaves a half-written file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import h5py
import numpy as np

from . import __version__
from .errors import DataError

if TYPE_CHECKING:
    from .datasets import Dataset
    from .fit import FitResult
    from .model import Model


@contextlib.contextmanager
def atomic_output(path: str | Path, *, force: bool = True) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success rename it to ``path``, on error delete it.

    With ``force=False`` an existing ``path`` is an error (DataError) and nothing is written.
    """
    target = Path(path)
    if not force and target.exists():
        raise DataError(f"{target}: exists; pass --force to overwrite")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise DataError(f"{target}: folder {folder} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=target.suffix or ".tmp", dir=folder)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        # mkstemp creates 0600; give the result the permissions of a normally created file
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp_path, 0o666 & ~umask)
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


# --------------------------------------------------------------------------------------------------
# HDF5 data sets and fit results
# --------------------------------------------------------------------------------------------------

DATASET_FORMAT = "juno-fit dataset"
RESULT_FORMAT = "juno-fit fit result"
FORMAT_VERSION = 1


def _strings(values) -> np.ndarray:
    return np.array([str(v) for v in values], dtype=h5py.string_dtype())


def write_dataset(dataset: Dataset, path: str | Path, *, force: bool = False) -> Path:
    """Write a data set (schema in README.md, "Data sets") atomically."""
    path = Path(path)
    with atomic_output(path, force=force) as tmp, h5py.File(tmp, "w") as f:
        f.attrs["format"] = DATASET_FORMAT
        f.attrs["format_version"] = FORMAT_VERSION
        f.attrs["juno_fit_version"] = dataset.version
        f.attrs["created"] = dataset.created
        f.attrs["kind"] = dataset.kind
        f.attrs["config_name"] = dataset.config_name
        f.attrs["config_text"] = dataset.config_text
        f.attrs["seed"] = -1 if dataset.seed is None else dataset.seed
        f.attrs["toy"] = -1 if dataset.toy is None else dataset.toy
        f.attrs["throw_nuisances"] = dataset.throw_nuisances
        for name, counts in dataset.counts.items():
            g = f.create_group(f"detectors/{name}")
            g["counts"] = counts
            g["edges"] = dataset.edges[name]
        f["truth/names"] = _strings(dataset.truth)
        f["truth/values"] = np.array(list(dataset.truth.values()), dtype=float)
    return path


def read_dataset(path: str | Path, model: Model | None = None) -> Dataset:
    from .datasets import Dataset

    """Read a data set; with a model, check that its detectors and binning match the model's."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: data file not found")
    if not h5py.is_hdf5(path):
        raise DataError(f"{path}: not an HDF5 file (expected a juno-fit data set from 'juno-fit simulate')")
    try:
        with h5py.File(path, "r") as f:
            if f.attrs.get("format") != DATASET_FORMAT:
                raise DataError(
                    f"{path}: not a juno-fit data set (HDF5 attribute 'format' is "
                    f"{f.attrs.get('format')!r}, expected {DATASET_FORMAT!r})"
                )
            counts = {name: np.asarray(g["counts"][()], dtype=float) for name, g in f["detectors"].items()}
            edges = {name: np.asarray(g["edges"][()], dtype=float) for name, g in f["detectors"].items()}
            names = [n.decode() if isinstance(n, bytes) else str(n) for n in f["truth/names"][()]]
            truth = dict(zip(names, (float(v) for v in f["truth/values"][()]), strict=True))
            seed, toy = int(f.attrs["seed"]), int(f.attrs["toy"])
            dataset = Dataset(
                counts=counts,
                edges=edges,
                truth=truth,
                kind=str(f.attrs["kind"]),
                config_name=str(f.attrs["config_name"]),
                config_text=str(f.attrs["config_text"]),
                seed=None if seed < 0 else seed,
                toy=None if toy < 0 else toy,
                throw_nuisances=bool(f.attrs["throw_nuisances"]),
                version=str(f.attrs["juno_fit_version"]),
                created=str(f.attrs["created"]),
            )
    except DataError:
        raise
    except (KeyError, OSError, ValueError, TypeError) as exc:
        raise DataError(f"{path}: malformed juno-fit data set ({exc})") from None
    if model is not None:
        check_binning(dataset, model, path)
    return dataset


def check_binning(dataset: Dataset, model: Model, path: str | Path) -> None:
    for det in model.detectors:
        name = det.det.name
        if name not in dataset.counts:
            raise DataError(f"{path}: no data for detector {name!r} (the file has: {', '.join(dataset.counts)})")
        edges = dataset.edges[name]
        if edges.shape != det.reco_edges.shape or not np.allclose(edges, det.reco_edges, rtol=1e-12, atol=1e-12):
            raise DataError(
                f"{path}: binning of detector {name!r} does not match the config ({len(edges) - 1} bins over "
                f"[{edges[0]:g}, {edges[-1]:g}] MeV in the file, {det.det.n_bins} bins over "
                f"[{det.reco_edges[0]:g}, {det.reco_edges[-1]:g}] MeV in the config)"
            )
        if dataset.counts[name].shape != (det.det.n_bins,) or np.any(dataset.counts[name] < 0):
            raise DataError(f"{path}: counts of detector {name!r} must be {det.det.n_bins} non-negative numbers")


def write_result(
    result: FitResult, path: str | Path, *, config_text: str, data_source: str, force: bool = False
) -> Path:
    """Write a fit result with its provenance atomically; refuses to overwrite without ``force``."""
    path = Path(path)
    with atomic_output(path, force=force) as tmp, h5py.File(tmp, "w") as f:
        f.attrs["format"] = RESULT_FORMAT
        f.attrs["format_version"] = FORMAT_VERSION
        f.attrs["juno_fit_version"] = __version__
        f.attrs["created"] = datetime.now(UTC).isoformat(timespec="seconds")
        f.attrs["config_text"] = config_text
        f.attrs["data"] = data_source
        f.attrs["statistic"] = result.statistic
        f.attrs["fval"] = result.fval
        f.attrs["ndof"] = result.ndof
        f.attrs["valid"] = result.valid
        f.attrs["nfev"] = result.nfev
        names = list(result.values)
        f["parameters/names"] = _strings(names)
        f["parameters/values"] = np.array([result.values[n] for n in names])
        f["parameters/errors"] = np.array([result.errors[n] for n in names])
        f["parameters/free"] = np.array([n in result.free for n in names])
        lo = [result.minos[n][0] if result.minos.get(n) else np.nan for n in names]
        hi = [result.minos[n][1] if result.minos.get(n) else np.nan for n in names]
        f["parameters/minos_lower"] = np.array(lo)
        f["parameters/minos_upper"] = np.array(hi)
        f["covariance/names"] = _strings(result.free)
        f["covariance/matrix"] = result.covariance
        f["derived/names"] = _strings(result.derived)
        f["derived/values"] = np.array([v[0] for v in result.derived.values()])
        f["derived/errors"] = np.array([v[1] for v in result.derived.values()])
    return path


# --------------------------------------------------------------------------------------------------
# JUNO's 2025 data release (first 59.1 days)
# --------------------------------------------------------------------------------------------------

JUNO_RELEASE_COLUMNS = (
    "Ec",
    "Ewid",
    "Nobs",
    "Nobs_err",
    "Npred_best_fit",
    "Npred_signal",
    "Npred_9Li8He",
    "Npred_Geonu",
    "Npred_WorldRea",
    "Npred_Bipo",
    "Npred_OtherBkg",
)


def read_juno_release_table(path: str | Path) -> dict[str, np.ndarray]:
    """The 66-bin prompt spectrum of JUNO's first-data release (Fig. 3a table, arXiv:2511.14593) as
    counts per bin: ``edges``, ``counts`` (integers) and the release's best-fit components per bin.

    Every column of the file is per 0.1 MeV; counts per bin are value × width/0.1. The observed
    counts are integers N = (Nobs_err · Ewid/0.1)² (the statistical error is √N); in five wide bins
    the Nobs column is rounded to one decimal, so N is taken from Nobs_err (the release's notes).
    """
    from .config import read_csv_columns

    path = Path(path)
    try:
        cols = read_csv_columns(path, list(JUNO_RELEASE_COLUMNS))
    except ValueError as exc:
        raise DataError(f"{path}: not a JUNO 2025 release spectrum table ({exc})") from None
    scale = cols["Ewid"] / 0.1
    lo = cols["Ec"] - 0.5 * cols["Ewid"]
    hi = cols["Ec"] + 0.5 * cols["Ewid"]
    if np.any(np.abs(lo[1:] - hi[:-1]) > 1e-6):
        raise DataError(f"{path}: bins are not contiguous")
    edges = np.round(np.concatenate([lo, hi[-1:]]), 6)
    counts = np.round((cols["Nobs_err"] * scale) ** 2)
    out = {"edges": edges, "counts": counts}
    for name in JUNO_RELEASE_COLUMNS[4:]:
        out[name] = cols[name] * scale
    return out


def read_data(path: str | Path, model: Model) -> Dataset:
    """A data set for ``fit --data``: a juno-fit HDF5 file, a JUNO release spectrum table (.csv) for a
    single-detector config, checked against the config's binning, or ``real``: the observed spectra of
    the Daya Bay release for a Daya Bay config."""
    from .datasets import Dataset

    if str(path) == "real":
        real = getattr(model, "real_data", None)
        if real is None:
            raise DataError("--data real: only a Daya Bay config has built-in real data (the release's spectra)")
        return Dataset(
            counts={d.det.name: c for d, c in zip(model.detectors, real(), strict=True)},
            edges={d.det.name: np.asarray(d.det.bin_edges) for d in model.detectors},
            truth={},
            kind="external",
            config_name=model.config.name,
            config_text=model.config.text,
        )
    path = Path(path)
    if path.suffix.lower() != ".csv":
        return read_dataset(path, model)
    if not path.is_file():
        raise DataError(f"{path}: data file not found")
    if len(model.detectors) != 1:
        raise DataError(f"{path}: a release spectrum table holds one detector; the config has {len(model.detectors)}")
    table = read_juno_release_table(path)
    name = model.detectors[0].det.name
    dataset = Dataset(
        counts={name: table["counts"]},
        edges={name: table["edges"]},
        truth={},
        kind="external",
        config_name=model.config.name,
        config_text=model.config.text,
    )
    check_binning(dataset, model, path)
    return dataset
