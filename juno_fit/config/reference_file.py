"""A measured reference spectrum with its covariance: ``[flux.reference_covariance]`` of a config.

The format is the one of Daya Bay's unfolded antineutrino spectra (ancillary file of arXiv:2501.00746,
PRL 134, 201802 (2025)): three blocks of ``BinLowEdge BinUpEdge BinContent BinError`` rows (²³⁵U,
²³⁹Pu and the total, in that order, 10⁻⁴³ cm²/fission/MeV), then the joint covariance of the three
(one row per line, in the same order), then the unfolding's smearing matrix. ``#`` lines are comments.

What the model takes from it is the relative covariance of one spectrum, C_ij / (s_i s_j), on its
E_ν bins: the measured spectrum's uncertainty, rate and shape together, applied to the model's own
reference spectrum (juno_fit/model.py, parameters ``flux.ref.pcK``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..files import read_regular
from ..resources import input_dir
from .inputs import data_file
from .objects import ReferenceCovariance
from .reading import Table

SPECTRA = ("U235", "Pu239", "total")  # the order of the blocks in the file
MAX_BYTES = 4 * 2**20  # the Daya Bay file is 150 kB
SYMMETRY_TOLERANCE = 1e-4  # relative: the file's entries carry 6 significant digits
# √C_ii against the BinError column: Daya Bay's quoted errors are at least √C_ii (up to 1.32 × in the
# lowest bins of arXiv:2501.00746's file; 1.00 ± 0.01 above 4 MeV), so a ratio outside this range
# means a mistyped or mismatched file.
ERROR_RATIO = (0.6, 1.02)


def _blocks(text: str) -> list[list[list[float]]]:
    """Runs of numeric rows, a ``#`` line ending a run (blank lines do not)."""
    blocks: list[list[list[float]]] = [[]]
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("#"):
            if blocks[-1]:
                blocks.append([])
        elif line:
            blocks[-1].append([float(v) for v in line.split()])
    return [b for b in blocks if b]


def parse_unfolded_spectra(text: str) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """(spectra, covariance) of a Daya Bay unfolded-spectrum file: ``spectra[name]`` is an (n, 4)
    array of (low edge, high edge, content, error); ValueError with one line on any problem."""
    try:
        blocks = _blocks(text)
    except ValueError as exc:
        raise ValueError(f"a value is not a number ({exc})") from None
    if len(blocks) < len(SPECTRA) + 1:
        raise ValueError(f"expected {len(SPECTRA)} spectra and a covariance, found {len(blocks)} blocks of numbers")
    spectra = {}
    for name, block in zip(SPECTRA, blocks, strict=False):
        if any(len(r) != 4 for r in block):
            raise ValueError(f"the {name} spectrum needs rows of 4 numbers (low edge, high edge, content, error)")
        spectra[name] = np.array(block)
    n = sum(len(b) for b in spectra.values())
    cov = blocks[len(SPECTRA)]
    if len(cov) != n or any(len(r) != n for r in cov):
        raise ValueError(f"the covariance must follow the spectra as {n} rows of {n} numbers")
    return spectra, np.array(cov)


def read_reference_covariance(ft: Table, folder: Path) -> ReferenceCovariance:
    """``[flux.reference_covariance]``: table, spectrum, source; the file is checked (contiguous bins,
    positive contents, a finite symmetric positive semi-definite covariance whose diagonal matches the
    quoted errors) before the relative covariance of the chosen spectrum is formed."""
    rt = ft.table("reference_covariance")
    source = rt.text("source")
    name = rt.string("table")
    spectrum = rt.choice("spectrum")
    if not Path(name).is_absolute() and not (folder / name).is_file():
        folder = input_dir("spectra")
    path = data_file(folder, name, rt, "table")
    try:
        text = read_regular(path, MAX_BYTES).decode("utf-8")
        spectra, cov = parse_unfolded_spectra(text)
    except (ValueError, UnicodeDecodeError) as exc:
        rt.fail("table", f"{path}: {exc}")
        raise  # unreachable: fail raises
    rt.finish()
    if not np.all(np.isfinite(cov)):
        rt.fail("table", f"{path}: the covariance has non-finite entries")
    asym = np.abs(cov - cov.T) > SYMMETRY_TOLERANCE * np.maximum(np.abs(cov), np.abs(cov.T)) + 1e-15
    if np.any(asym):
        i, j = np.argwhere(asym)[0]
        rt.fail("table", f"{path}: the covariance is not symmetric (entries ({i}, {j}) and ({j}, {i}))")
    start = 0
    for key in SPECTRA:
        block = spectra[key]
        n = len(block)
        if key == spectrum:
            lo, hi, values, errors = block.T
            if np.any(np.abs(lo[1:] - hi[:-1]) > 1e-9) or np.any(hi <= lo):
                rt.fail("table", f"{path}: the {key} bins are not contiguous and increasing")
            if np.any(values <= 0) or np.any(errors <= 0):
                rt.fail("table", f"{path}: the {key} spectrum needs positive contents and errors")
            sub = 0.5 * (cov[start : start + n, start : start + n] + cov[start : start + n, start : start + n].T)
            diag = np.sqrt(np.clip(np.diag(sub), 0.0, None))
            ratio = diag / errors
            worst = int(np.argmax(np.abs(np.log(ratio))))
            if not ERROR_RATIO[0] <= ratio[worst] <= ERROR_RATIO[1]:
                rt.fail(
                    "table",
                    f"{path}: √(covariance diagonal) {diag[worst]:.4g} does not match the {key} error "
                    f"{errors[worst]:.4g} in bin {worst} (accepted ratio {ERROR_RATIO[0]:g} to {ERROR_RATIO[1]:g})",
                )
            relative = sub / np.outer(values, values)
            if np.linalg.eigvalsh(relative)[0] < -1e-9 * np.abs(relative).max():
                rt.fail("table", f"{path}: the {key} covariance is not positive semi-definite")
            edges = np.concatenate([lo, hi[-1:]])
            return ReferenceCovariance(key, edges, values, relative, source)
        start += n
    raise AssertionError("unreachable")  # spectrum is one of SPECTRA (rt.choice)
