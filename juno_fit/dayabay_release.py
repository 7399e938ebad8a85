"""Reader of the Daya Bay full data release (``dayabay-data-official``, CC BY 4.0).

Daya Bay Collaboration, "Full Data Release of the Daya Bay Reactor Neutrino Experiment", v1.0.0,
Zenodo, DOI 10.5281/zenodo.17587229 (2025); F. P. An et al., Phys. Rev. Lett. 130, 161802 (2023).

The release ships the same content in four formats; this module reads two of them, HDF5 (h5py) and
ROOT (uproot), into one in-memory :class:`Release` whose arrays are identical whichever format was
read (tested). What is in it, with the release's own names (its README describes every file):

- ``ibd[period][detector]``: observed prompt spectra, 240 bins of 0.05 MeV over 0–12 MeV;
- ``daily[detector]``: per day ``day``, ``n_det``, ``livetime`` [s], ``eff``, ``eff_livetime`` [s],
  ``rate_accidentals`` [/day];
- ``background_rates[period][label][detector]`` (``accidentals_rate``, ``…_uncertainty``, …) and
  ``background_shapes[period][background][detector]`` (240-bin normalised shapes);
- ``iav``: the 240 × 240 IAV matrix; ``lsnl[name]``: (E, f) of the nominal and four pull curves;
- ``neutrino_rate[reactor]``: weekly table (``day``, ``n_days``, ``n_det_mask``, ``neutrino_rate_per_s``);
- ``hm[isotope]``, ``hm_uncertainty[kind][isotope]`` (``corr``/``uncorr``), ``nonequilibrium[isotope]``,
  ``snf[reactor]``: graphs (E, value) on their meshes;
- ``parameters[name]``: every parameter YAML as parsed; ``final_edges``, ``spectrum_mesh``: the two
  bin-definition tables; ``constants``: the two conversion factors the release defines through scipy
  constants (computed here the same way).

Detector, period, reactor, isotope and background names are discovered from the files, not typed here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import DataError, JunoFitError

SOURCES = ("hdf5", "root")
INSTALL_HINT = "install it with: pip install 'juno-fit[dayabay]'"


def release_path(source: str = "hdf5") -> Path:
    """The folder of the installed release in ``source`` format."""
    if source not in SOURCES:
        raise JunoFitError(f"Daya Bay release format {source!r}: accepted values {', '.join(SOURCES)}")
    try:
        from dayabay_data_official import get_path_data
    except ImportError:
        raise JunoFitError(
            f"the Daya Bay data release (dayabay-data-official) is not installed; {INSTALL_HINT}"
        ) from None
    return Path(get_path_data(source))


# --------------------------------------------------------------------------------------------------
# Format back ends: histograms, graphs, tables, matrices by (file stem, key)
# --------------------------------------------------------------------------------------------------


class _HDF5:
    suffix = ".hdf5"

    def __init__(self, folder: Path):
        import h5py

        self.folder = folder
        self._h5py = h5py
        self._open: dict[str, Any] = {}

    def _file(self, stem: str):
        if stem not in self._open:
            path = self.folder / f"{stem}{self.suffix}"
            try:
                self._open[stem] = self._h5py.File(path, "r")
            except OSError as exc:
                raise DataError(f"{path}: cannot read the Daya Bay release file ({exc})") from None
        return self._open[stem]

    def keys(self, stem: str) -> list[str]:
        return list(self._file(stem).keys())

    def _record(self, stem: str, key: str) -> np.ndarray:
        try:
            return self._file(stem)[key][()]
        except KeyError:
            raise DataError(f"{self.folder / (stem + self.suffix)}: no object {key!r}") from None

    def histogram(self, stem: str, key: str) -> tuple[np.ndarray, np.ndarray]:
        rec = self._record(stem, key)
        edges = np.append(rec["E_min_MeV"], rec["E_max_MeV"][-1])
        return edges.astype(float), rec["N"].astype(float)

    def graph(self, stem: str, key: str) -> tuple[np.ndarray, np.ndarray]:
        rec = self._record(stem, key)
        x, y = rec.dtype.names[0], rec.dtype.names[1]
        return rec[x].astype(float), rec[y].astype(float)

    def table(self, stem: str, key: str) -> dict[str, np.ndarray]:
        rec = self._record(stem, key)
        out = {}
        for name in rec.dtype.names:
            col = rec[name]
            if col.dtype.kind in "OSU":
                out[name] = np.array([v.decode() if isinstance(v, bytes) else str(v) for v in col])
            else:
                out[name] = col
        return out

    def matrix(self, stem: str, key: str) -> np.ndarray:
        return np.asarray(self._record(stem, key), dtype=float)

    def close(self) -> None:
        for f in self._open.values():
            f.close()
        self._open.clear()


class _ROOT:
    suffix = ".root"

    def __init__(self, folder: Path):
        import uproot

        self.folder = folder
        self._uproot = uproot
        self._open: dict[str, Any] = {}

    def _file(self, stem: str):
        if stem not in self._open:
            path = self.folder / f"{stem}{self.suffix}"
            try:
                self._open[stem] = self._uproot.open(path)
            except (OSError, ValueError) as exc:
                raise DataError(f"{path}: cannot read the Daya Bay release file ({exc})") from None
        return self._open[stem]

    def keys(self, stem: str) -> list[str]:
        return [k.split(";")[0] for k in self._file(stem).keys(recursive=False) if not k.startswith("graph")]

    def _object(self, stem: str, key: str):
        try:
            return self._file(stem)[key]
        except KeyError:
            raise DataError(f"{self.folder / (stem + self.suffix)}: no object {key!r}") from None

    def histogram(self, stem: str, key: str) -> tuple[np.ndarray, np.ndarray]:
        h = self._object(stem, key)
        return np.asarray(h.axis().edges(), dtype=float), np.asarray(h.values(), dtype=float)

    def graph(self, stem: str, key: str) -> tuple[np.ndarray, np.ndarray]:
        x, y = self._object(stem, f"graph/{key}").values()
        return np.asarray(x, dtype=float), np.asarray(y, dtype=float)

    def table(self, stem: str, key: str) -> dict[str, np.ndarray]:
        arrays = self._object(stem, key).arrays(library="np")
        return {
            name: (np.array([str(v) for v in col]) if col.dtype.kind in "OSU" else col) for name, col in arrays.items()
        }

    def matrix(self, stem: str, key: str) -> np.ndarray:
        m = self._object(stem, key)
        rows, cols = int(m.member("fNrows")), int(m.member("fNcols"))
        return np.asarray(m.member("fElements"), dtype=float).reshape(rows, cols)

    def close(self) -> None:
        for f in self._open.values():
            f.close()
        self._open.clear()


# --------------------------------------------------------------------------------------------------
# The release in memory
# --------------------------------------------------------------------------------------------------


@dataclass
class Release:
    source: str
    folder: Path
    detectors: tuple[str, ...]
    periods: tuple[str, ...]
    reactors: tuple[str, ...]
    isotopes: tuple[str, ...]
    backgrounds: tuple[str, ...]
    ibd_edges: np.ndarray
    ibd: dict[str, dict[str, np.ndarray]]
    daily: dict[str, dict[str, np.ndarray]]
    background_rates: dict[str, dict[str, dict[str, float]]]
    background_shapes: dict[str, dict[str, dict[str, np.ndarray]]]
    iav: np.ndarray
    lsnl: dict[str, tuple[np.ndarray, np.ndarray]]
    neutrino_rate: dict[str, dict[str, np.ndarray]]
    hm: dict[str, tuple[np.ndarray, np.ndarray]]
    hm_uncertainty: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]]
    nonequilibrium: dict[str, tuple[np.ndarray, np.ndarray]]
    snf: dict[str, tuple[np.ndarray, np.ndarray]]
    parameters: dict[str, dict]
    final_edges: np.ndarray
    spectrum_mesh: np.ndarray
    constants: dict[str, float] = field(default_factory=dict)

    def pairs(self) -> list[tuple[str, str]]:
        """(period, detector) of every observed spectrum, periods in time order."""
        return [(p, d) for p in self.periods for d in self.detectors if d in self.ibd[p]]

    def arrays(self) -> dict[str, np.ndarray]:
        """Every number of the release as flat named arrays (for comparing formats)."""
        out: dict[str, np.ndarray] = {"ibd_edges": self.ibd_edges, "iav": self.iav}
        out["final_edges"], out["spectrum_mesh"] = self.final_edges, self.spectrum_mesh
        for p, dets in self.ibd.items():
            for d, v in dets.items():
                out[f"ibd/{p}/{d}"] = v
        for d, cols in self.daily.items():
            for c, v in cols.items():
                out[f"daily/{d}/{c}"] = v
        for p, labels in self.background_rates.items():
            for label, dets in labels.items():
                for d, v in dets.items():
                    out[f"bkg_rate/{p}/{label}/{d}"] = np.array([v])
        for p, kinds in self.background_shapes.items():
            for k, dets in kinds.items():
                for d, v in dets.items():
                    out[f"bkg_shape/{p}/{k}/{d}"] = v
        for group, graphs in (("lsnl", self.lsnl), ("hm", self.hm), ("noneq", self.nonequilibrium), ("snf", self.snf)):
            for k, (x, y) in graphs.items():
                out[f"{group}/{k}/x"], out[f"{group}/{k}/y"] = x, y
        for kind, graphs in self.hm_uncertainty.items():
            for k, (x, y) in graphs.items():
                out[f"hm_unc/{kind}/{k}/x"], out[f"hm_unc/{kind}/{k}/y"] = x, y
        for r, cols in self.neutrino_rate.items():
            for c, v in cols.items():
                out[f"nu_rate/{r}/{c}"] = v
        return out


def _tsv_column(path: Path) -> np.ndarray:
    try:
        lines = path.read_text(encoding="utf-8").split()
        return np.array([float(v) for v in lines[1:]])
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot read the bin definition ({exc})") from None


def _yaml_parameters(folder: Path) -> dict[str, dict]:
    import yaml

    out = {}
    for path in sorted(folder.glob("*.yaml")) + sorted(folder.glob("extra/*.yaml")):
        try:
            out[path.stem] = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise DataError(f"{path}: cannot read the parameter file ({exc})") from None
    return out


def conversion_constants() -> dict[str, float]:
    """The release's two conversion factors (parameters/conversion_*.py), from scipy's CODATA values
    as the release defines them: Δm²L/E in eV²·km/MeV → phase, and GW/MeV → fissions/s."""
    from scipy.constants import pi, value

    ev_km = 1.0e-3 * value("electron volt-inverse meter relationship")
    return {
        "survival_probability_argument_factor": ev_km * 2 * pi,
        "conversion_reactor_power": 1000 * value("joule-electron volt relationship"),
    }


def load_release(source: str = "hdf5", folder: str | Path | None = None) -> Release:
    """Read the release in ``source`` format (``hdf5`` or ``root``) from the installed
    ``dayabay-data-official`` package, or from ``folder``."""
    if source not in SOURCES:
        raise JunoFitError(f"Daya Bay release format {source!r}: accepted values {', '.join(SOURCES)}")
    folder = release_path(source) if folder is None else Path(folder)
    if not (folder / "dayabay_dataset").is_dir():
        raise DataError(f"{folder}: not a Daya Bay data release folder (no dayabay_dataset/)")
    io = _HDF5(folder) if source == "hdf5" else _ROOT(folder)
    data = "dayabay_dataset/"
    try:
        daily = {
            d: io.table(data + "dayabay_daily_detector_data", d)
            for d in sorted(io.keys(data + "dayabay_daily_detector_data"))
        }
        for cols in daily.values():
            for text in ("start_date", "end_date"):
                cols.pop(text, None)
        detectors = tuple(daily)
        rate_periods = io.keys(data + "dayabay_background_rates")
        # periods in time order: the first day on which n_det equals the period's detector count
        first_day = {}
        for p in rate_periods:
            n = int(re.match(r"(\d+)", p).group(1))
            days = [cols["day"][cols["n_det"] == n] for cols in daily.values()]
            first_day[p] = min(int(d.min()) for d in days if len(d))
        periods = tuple(sorted(rate_periods, key=first_day.get))
        ibd: dict[str, dict[str, np.ndarray]] = {}
        ibd_edges = None
        for p in periods:
            stem = data + f"dayabay_ibd_spectra_{p}"
            ibd[p] = {}
            for key in sorted(io.keys(stem)):
                edges, counts = io.histogram(stem, key)
                ibd_edges = edges if ibd_edges is None else ibd_edges
                if not np.array_equal(edges, ibd_edges):
                    raise DataError(f"{folder}: {stem}/{key} has other bin edges than the other spectra")
                ibd[p][key.removeprefix("ibd_spectrum_")] = counts
        background_rates: dict[str, dict[str, dict[str, float]]] = {}
        for p in periods:
            table = io.table(data + "dayabay_background_rates", p)
            background_rates[p] = {
                str(label): {d: float(table[d][i]) for d in detectors if d in ibd[p]}
                for i, label in enumerate(table["Label"])
            }
        background_shapes: dict[str, dict[str, dict[str, np.ndarray]]] = {}
        kinds: set[str] = set()
        for p in periods:
            stem = data + f"dayabay_background_spectra_{p}"
            background_shapes[p] = {}
            for key in io.keys(stem):
                m = re.fullmatch(r"spectrum_shape_(.+)_(AD\d+)", key)
                if not m:
                    continue
                edges, values = io.histogram(stem, key)
                if not np.array_equal(edges, ibd_edges):
                    raise DataError(f"{folder}: {stem}/{key} has other bin edges than the IBD spectra")
                background_shapes[p].setdefault(m.group(1), {})[m.group(2)] = values
                kinds.add(m.group(1))
        lsnl = {k: io.graph("detector_lsnl_curves", k) for k in io.keys("detector_lsnl_curves")}
        neutrino_rate = {r: io.table("neutrino_rate", r) for r in sorted(io.keys("neutrino_rate"))}
        hm = {k: io.graph("reactor_antineutrino_spectra_hm", k) for k in io.keys("reactor_antineutrino_spectra_hm")}
        hm_uncertainty: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]] = {}
        for key in io.keys("reactor_antineutrino_spectra_hm_uncertainties"):
            kind, iso = key.split("_", 1)
            hm_uncertainty.setdefault(kind, {})[iso] = io.graph("reactor_antineutrino_spectra_hm_uncertainties", key)
        noneq = {k: io.graph("nonequilibrium_correction", k) for k in io.keys("nonequilibrium_correction")}
        snf = {k: io.graph("snf_correction", k) for k in sorted(io.keys("snf_correction"))}
        iav = io.matrix("detector_iav_matrix", io.keys("detector_iav_matrix")[0])
    finally:
        io.close()
    params_folder = folder / "parameters"
    parameters = _yaml_parameters(params_folder)
    try:
        isotopes = tuple(parameters["reactor_fission_fractions"]["parameters"]["fission_fractions"])
    except (KeyError, TypeError):
        raise DataError(f"{params_folder}: reactor_fission_fractions.yaml lacks parameters.fission_fractions") from None
    return Release(
        source=source,
        folder=folder,
        detectors=detectors,
        periods=periods,
        reactors=tuple(neutrino_rate),
        isotopes=isotopes,
        backgrounds=tuple(sorted(kinds)),
        ibd_edges=ibd_edges,
        ibd=ibd,
        daily=daily,
        background_rates=background_rates,
        background_shapes=background_shapes,
        iav=iav,
        lsnl=lsnl,
        neutrino_rate=neutrino_rate,
        hm=hm,
        hm_uncertainty=hm_uncertainty,
        nonequilibrium=noneq,
        snf=snf,
        parameters=parameters,
        final_edges=_tsv_column(params_folder / "final_erec_bin_edges.tsv"),
        spectrum_mesh=_tsv_column(params_folder / "reactor_antineutrino_spectrum_edges.tsv"),
        constants=conversion_constants(),
    )
