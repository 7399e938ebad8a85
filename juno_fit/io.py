"""Input/output: HDF5 data sets and fit results (h5py) with provenance.

Outputs are written atomically (:func:`juno_fit.files.atomic_output`): to a locked temporary file in
the target's folder, then renamed over the target, so an interrupted or failed write never leaves a
half-written file. Data sets are checked on reading before any fit: structure, numeric real 1-D
arrays, finite non-negative counts within the count limit, increasing edges, integer counts for
pseudo-experiments, and the exposure they were made for against the config's.
"""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import h5py
import numpy as np

from . import __version__
from .config.rules import MAX_COUNTS, MAX_RECO_BINS
from .errors import DataError
from .files import atomic_output, regular_file_problem

__all__ = ["atomic_output", "read_data", "read_dataset", "write_dataset", "write_result"]

if TYPE_CHECKING:
    from .datasets import Dataset
    from .fitting import FitResult
    from .model import Model


# --------------------------------------------------------------------------------------------------
# HDF5 data sets and fit results
# --------------------------------------------------------------------------------------------------

DATASET_FORMAT = "juno-fit dataset"
RESULT_FORMAT = "juno-fit fit result"
FORMAT_VERSION = 1


def _strings(values) -> np.ndarray:
    return np.array([str(v) for v in values], dtype=h5py.string_dtype())


def _fixed(text: str) -> np.bytes_:
    """A fixed-length UTF-8 string: stored in the object header, not in HDF5's global heap, where a
    damaged byte can make the HDF5 library loop forever when the string is read."""
    return np.bytes_(text.encode("utf-8"))


def content_digest(counts: dict[str, np.ndarray], edges: dict[str, np.ndarray], truth: dict[str, float]) -> str:
    """SHA-256 of a data set's numbers and names: detects a file changed or damaged after writing."""
    h = hashlib.sha256()
    for name in sorted(counts):
        h.update(name.encode())
        h.update(np.ascontiguousarray(counts[name], dtype="<f8").tobytes())
        h.update(np.ascontiguousarray(edges[name], dtype="<f8").tobytes())
    for name, value in truth.items():
        h.update(name.encode())
        h.update(np.float64(value).astype("<f8").tobytes())
    return h.hexdigest()


def write_dataset(dataset: Dataset, path: str | Path, *, force: bool = False) -> Path:
    """Write a data set (schema in README.md, "Data sets") atomically, with HDF5's metadata
    checksums (``libver="latest"``), fixed-length strings and a digest of its content."""
    path = Path(path)
    with atomic_output(path, force=force) as tmp, h5py.File(tmp, "w", libver="latest") as f:
        f.attrs["format"] = _fixed(DATASET_FORMAT)
        f.attrs["format_version"] = FORMAT_VERSION
        f.attrs["juno_fit_version"] = _fixed(dataset.version)
        f.attrs["created"] = _fixed(dataset.created)
        f.attrs["kind"] = _fixed(dataset.kind)
        f.attrs["config_name"] = _fixed(dataset.config_name)
        f.attrs["config_text"] = _fixed(dataset.config_text)
        f.attrs["seed"] = -1 if dataset.seed is None else dataset.seed
        f.attrs["toy"] = -1 if dataset.toy is None else dataset.toy
        f.attrs["throw_nuisances"] = dataset.throw_nuisances
        f.attrs["config_digest"] = _fixed(hashlib.sha256(dataset.config_text.encode()).hexdigest())
        f.attrs["content_sha256"] = _fixed(content_digest(dataset.counts, dataset.edges, dataset.truth))
        if dataset.exposure_days is not None:
            f.attrs["exposure_days"] = float(dataset.exposure_days)
        for name, counts in dataset.counts.items():
            g = f.create_group(f"detectors/{name}")
            g["counts"] = counts
            g["edges"] = dataset.edges[name]
        f["truth/names"] = np.array([n.encode("utf-8") for n in dataset.truth], dtype=np.bytes_)
        f["truth/values"] = np.array(list(dataset.truth.values()), dtype=float)
    return path


def _numbers(path: Path, node, where: str, *, rows: int | None = None) -> np.ndarray:
    """A dataset ``where`` holding a real 1-D array of finite numbers (bounded in length)."""
    if not isinstance(node, h5py.Dataset):
        raise DataError(f"{path}: {where} must be an HDF5 dataset, not {type(node).__name__}")
    if node.dtype.kind not in "iuf" or node.ndim != 1:
        raise DataError(f"{path}: {where} must be a 1-D array of real numbers, got {node.dtype} of shape {node.shape}")
    if not 1 <= node.shape[0] <= MAX_RECO_BINS + 1 or (rows is not None and node.shape[0] != rows):
        want = f"{rows}" if rows is not None else f"1 to {MAX_RECO_BINS + 1}"
        raise DataError(f"{path}: {where} must hold {want} numbers, got {node.shape[0]}")
    values = np.asarray(node[()], dtype=float)
    if not np.all(np.isfinite(values)):
        i = int(np.argmax(~np.isfinite(values)))
        raise DataError(f"{path}: {where}[{i}] is {values[i]}; every entry must be finite")
    return values


def _detector_arrays(path: Path, f: h5py.File, kind: str) -> tuple[dict, dict]:
    group = f.get("detectors")
    if not isinstance(group, h5py.Group) or len(group) == 0:
        raise DataError(f"{path}: /detectors must be a group with one group per detector")
    counts, edges = {}, {}
    for name, g in group.items():
        if not isinstance(g, h5py.Group):
            raise DataError(f"{path}: /detectors/{name} must be a group holding counts and edges")
        if "counts" not in g or "edges" not in g:
            raise DataError(f"{path}: /detectors/{name} must hold the datasets counts and edges")
        c = _numbers(path, g["counts"], f"/detectors/{name}/counts")
        e = _numbers(path, g["edges"], f"/detectors/{name}/edges", rows=len(c) + 1)
        if np.any(c < 0) or c.sum() > MAX_COUNTS:
            raise DataError(f"{path}: /detectors/{name}/counts must be non-negative, {MAX_COUNTS:g} in all at most")
        if kind == "toy" and np.any(c != np.round(c)):
            raise DataError(f"{path}: /detectors/{name}/counts of a pseudo-experiment must be whole numbers")
        if np.any(np.diff(e) <= 0) or e[0] < 0:
            raise DataError(f"{path}: /detectors/{name}/edges must be non-negative and strictly increasing")
        counts[name], edges[name] = c, e
    return counts, edges


def _integer_attr(f: h5py.File, name: str) -> int:
    value = f.attrs[name]
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer):
        raise ValueError(f"attribute {name} must be an integer, got {str(value)[:40]!r}")
    return int(value)


def _text_attr(f: h5py.File, name: str) -> str:
    value = f.attrs[name]
    return value.decode() if isinstance(value, bytes) else str(value)


def read_dataset(path: str | Path, model: Model | None = None, *, force: bool = False) -> Dataset:
    """Read a data set; with a model, check that its detectors, binning and exposure match the
    model's (``force`` accepts a different or unrecorded exposure)."""
    from .datasets import Dataset

    path = Path(path)
    problem = regular_file_problem(path)
    if problem:
        raise DataError(f"{path}: data file: {problem}")
    if not h5py.is_hdf5(path):
        raise DataError(f"{path}: not an HDF5 file (expected a juno-fit data set from 'juno-fit simulate')")
    try:
        with h5py.File(path, "r") as f:
            fmt = f.attrs.get("format")
            if (fmt.decode("utf-8", "replace") if isinstance(fmt, bytes) else fmt) != DATASET_FORMAT:
                shown = repr(fmt)[:60]
                raise DataError(
                    f"{path}: not a juno-fit data set (HDF5 attribute 'format' is {shown}, expected {DATASET_FORMAT!r})"
                )
            version = f.attrs.get("format_version")
            if not (isinstance(version, int | np.integer) and int(version) == FORMAT_VERSION):
                raise DataError(f"{path}: attribute format_version is {str(version)[:40]!r}, expected {FORMAT_VERSION}")
            flag = f.attrs.get("throw_nuisances")
            if not isinstance(flag, bool | np.bool_):
                raise DataError(f"{path}: attribute throw_nuisances must be true or false, got {str(flag)[:40]!r}")
            kind = _text_attr(f, "kind")
            if kind not in ("asimov", "toy", "external"):
                raise DataError(f"{path}: attribute kind is {kind[:40]!r} (accepted: asimov, toy, external)")
            counts, edges = _detector_arrays(path, f, kind)
            names = [n.decode() if isinstance(n, bytes) else str(n) for n in f["truth/names"][()]]
            values = np.asarray(f["truth/values"][()], dtype=float)
            truth = dict(zip(names, (float(v) for v in values), strict=True))
            seed, toy = _integer_attr(f, "seed"), _integer_attr(f, "toy")
            digest = _text_attr(f, "content_sha256") if "content_sha256" in f.attrs else None
            exposure = float(f.attrs["exposure_days"]) if "exposure_days" in f.attrs else None
            if exposure is not None and not (math.isfinite(exposure) and exposure > 0):
                raise DataError(f"{path}: attribute exposure_days must be a positive number of days, got {exposure}")
            dataset = Dataset(
                counts=counts,
                edges=edges,
                truth=truth,
                kind=kind,
                config_name=_text_attr(f, "config_name"),
                config_text=_text_attr(f, "config_text"),
                seed=None if seed < 0 else seed,
                toy=None if toy < 0 else toy,
                throw_nuisances=bool(f.attrs["throw_nuisances"]),
                exposure_days=exposure,
                version=_text_attr(f, "juno_fit_version"),
                created=_text_attr(f, "created"),
            )
    except DataError:
        raise
    except (KeyError, OSError, ValueError, TypeError, AttributeError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: malformed juno-fit data set ({type(exc).__name__}: {str(exc)[:200]})") from None
    if digest is not None and not force and digest != content_digest(counts, edges, truth):
        raise DataError(
            f"{path}: its counts, edges or truth do not match its attribute content_sha256 (the file was changed or "
            "damaged after juno-fit wrote it); pass --force-data to fit it anyway"
        )
    if model is not None:
        check_binning(dataset, model, path)
        check_exposure(dataset, model, path, force=force)
    return dataset


def check_exposure(dataset: Dataset, model: Model, path: str | Path, *, force: bool = False) -> None:
    """Refuse data made for another exposure than the config's (or whose exposure is not recorded)
    unless ``force``: the fit would compare counts of one exposure with predictions of another."""
    days = float(getattr(model.config, "exposure_days", 0.0))
    if force or days <= 0 or dataset.kind == "external":
        return
    if dataset.exposure_days is None:
        raise DataError(
            f"{path}: attribute exposure_days is missing (a data set written before juno-fit recorded it), "
            f"so it cannot be checked against the config's {days:g} days; pass --force-data to fit it anyway"
        )
    if not math.isclose(dataset.exposure_days, days, rel_tol=1e-9):
        raise DataError(
            f"{path}: attribute exposure_days = {dataset.exposure_days:g}: the data were made for "
            f"{dataset.exposure_days:g} days, the config expects {days:g}; pass --exposure {dataset.exposure_days:g}d "
            "to fit them at their exposure (or --force-data to fit them anyway)"
        )


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
    extra = [name for name in dataset.counts if name not in {d.det.name for d in model.detectors}]
    if extra:
        raise DataError(
            f"{path}: detector {extra[0]!r} is not in the config (the config has: "
            f"{', '.join(d.det.name for d in model.detectors)})"
        )


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
    for name in JUNO_RELEASE_COLUMNS:
        bad = cols[name] <= 0 if name in ("Ec", "Ewid") else cols[name] < 0
        if np.any(bad):
            row = int(np.argmax(bad)) + 1
            need = "positive" if name in ("Ec", "Ewid") else "non-negative"
            raise DataError(f"{path}: column {name} must be {need}, got {cols[name][row - 1]:g} in data row {row}")
    scale = cols["Ewid"] / 0.1
    counts = np.round((cols["Nobs_err"] * scale) ** 2)
    # The release rounds Nobs (per 0.1 MeV) to one decimal: it must agree with N from Nobs_err.
    mismatch = np.abs(cols["Nobs"] - counts / scale) > 0.05 + 1e-6
    if np.any(mismatch):
        i = int(np.argmax(mismatch))
        raise DataError(
            f"{path}: columns Nobs and Nobs_err disagree in data row {i + 1} (Nobs {cols['Nobs'][i]:g}; "
            f"(Nobs_err·Ewid/0.1)² = {counts[i]:g} events, {counts[i] / scale[i]:.2f} per 0.1 MeV)"
        )
    lo = cols["Ec"] - 0.5 * cols["Ewid"]
    hi = cols["Ec"] + 0.5 * cols["Ewid"]
    if np.any(np.abs(lo[1:] - hi[:-1]) > 1e-6):
        raise DataError(f"{path}: bins are not contiguous")
    edges = np.round(np.concatenate([lo, hi[-1:]]), 6)
    out = {"edges": edges, "counts": counts}
    for name in JUNO_RELEASE_COLUMNS[4:]:
        out[name] = cols[name] * scale
    return out


# Live time of JUNO's first-data release (arXiv:2511.14593): the release's counts are for it.
JUNO_RELEASE_DAYS = 59.1


def read_data(path: str | Path, model: Model, *, force: bool = False) -> Dataset:
    """A data set for ``fit --data``: a juno-fit HDF5 file, a JUNO release spectrum table (.csv) for a
    single-detector config, checked against the config's binning and exposure (``force`` accepts
    another exposure), or ``real``: the observed spectra of the Daya Bay release for a Daya Bay
    config."""
    from .datasets import Dataset

    if not str(path):
        raise DataError("--data: an empty path (give a data file, or leave --data out for the Asimov data set)")
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
        return read_dataset(path, model, force=force)
    problem = regular_file_problem(path)
    if problem:
        raise DataError(f"{path}: data file: {problem}")
    days = float(getattr(model.config, "exposure_days", 0.0))
    if not force and not math.isclose(days, JUNO_RELEASE_DAYS, rel_tol=1e-9):
        raise DataError(
            f"{path}: a JUNO 2025 release table holds {JUNO_RELEASE_DAYS:g} days of data (arXiv:2511.14593), the "
            f"config expects {days:g}; pass --exposure {JUNO_RELEASE_DAYS:g}d (or --force-data to fit it anyway)"
        )
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
