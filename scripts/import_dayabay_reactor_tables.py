"""Write the reactor-side tables of spectra/tables/ from the Daya Bay full data release.

Source: Daya Bay Collaboration, "Full Data Release of the Daya Bay Reactor Neutrino Experiment",
v1.0.0, Zenodo, DOI 10.5281/zenodo.17587229 (2025), distributed on PyPI as ``dayabay-data-official``
(licence CC BY 4.0). The tables used here are its ``tsv/`` folder:

- ``reactor_antineutrino_spectra_hm.tsv``: Huber (235U, 239Pu, 241Pu; PRC 84 (2011) 024617) and
  Mueller (238U; PRC 83 (2011) 054615) isotope spectra, exponentially interpolated by Daya Bay on a
  50 keV mesh from 1.75 to 13 MeV [antineutrinos / fission / MeV];
- ``nonequilibrium_correction.tsv``: relative non-equilibrium corrections of Mueller et al. (2011)
  for 235U, 239Pu and 241Pu;
- ``snf_correction.tsv``: relative spent-nuclear-fuel corrections for the six Daya Bay cores;
- ``dayabay_dataset/dayabay_background_spectra_8AD.tsv``: the normalised 13C(α,n)16O background
  spectrum of far-hall detector AD31 (8-AD period), used by juno-fit as the (α,n) shape proxy for a
  LAB liquid scintillator (written to detector/backgrounds/dayabay/).

Run ``pip install dayabay-data-official`` first. The values are written unchanged (the release
prints them with ``%.17g``); only the container changes (bz2 TSV -> CSV with a provenance header).

Usage: ``python scripts/import_dayabay_reactor_tables.py`` (writes spectra/tables/ and
detector/backgrounds/dayabay/).
"""

from __future__ import annotations

import bz2
import sys
from importlib import resources
from pathlib import Path

CITATION = (
    "Daya Bay Collaboration, Full Data Release of the Daya Bay Reactor Neutrino Experiment, v1.0.0, "
    "Zenodo, DOI 10.5281/zenodo.17587229 (2025); PyPI dayabay-data-official; licence CC BY 4.0"
)


def _read_tsv(path: Path) -> tuple[list[str], list[list[str]]]:
    # The release's .bz2 files carry trailing padding after the stream; bz2.decompress of the first
    # stream via BZ2Decompressor ignores it.
    raw = bz2.BZ2Decompressor().decompress(path.read_bytes()).decode()
    lines = [ln for ln in raw.splitlines() if ln.strip()]
    header = lines[0].split("\t")
    rows = [ln.split("\t") for ln in lines[1:]]
    return header, rows


def _write_csv(out: Path, comment: list[str], header: list[str], rows: list[list[str]]) -> None:
    text = "".join(f"# {c}\n" for c in comment)
    text += ",".join(header) + "\n"
    text += "".join(",".join(r) + "\n" for r in rows)
    out.write_text(text)
    print(f"wrote {out} ({len(rows)} rows)")


def main(argv: list[str]) -> int:
    root = Path(__file__).resolve().parents[1]
    outdir = root / "spectra" / "tables"
    outdir.mkdir(parents=True, exist_ok=True)
    base = Path(str(resources.files("dayabay_data_official"))) / "data" / "tsv"

    for iso in ("U235", "U238", "Pu239", "Pu241"):
        src = base / "reactor_antineutrino_spectra_hm.tsv" / f"reactor_antineutrino_spectra_hm_{iso}.tsv.bz2"
        header, rows = _read_tsv(src)
        ref = "Mueller et al., PRC 83 (2011) 054615" if iso == "U238" else "Huber, PRC 84 (2011) 024617"
        _write_csv(
            outdir / f"hm_{iso}.csv",
            [
                f"{iso} antineutrino spectrum per fission [1/(fission MeV)] vs antineutrino energy [MeV]",
                f"model: {ref}; 50 keV mesh with exponential interpolation/extrapolation by Daya Bay",
                f"source: {CITATION}",
                f"file: tsv/reactor_antineutrino_spectra_hm.tsv/{src.name}; values unchanged",
            ],
            header,
            rows,
        )

    for iso in ("U235", "Pu239", "Pu241"):
        src = base / "nonequilibrium_correction.tsv" / f"nonequilibrium_correction_{iso}.tsv.bz2"
        header, rows = _read_tsv(src)
        _write_csv(
            outdir / f"nonequilibrium_{iso}.csv",
            [
                f"relative non-equilibrium correction C(E) to the {iso} spectrum: S -> S (1 + C)",
                "model: Mueller et al., PRC 83 (2011) 054615",
                f"source: {CITATION}",
                f"file: tsv/nonequilibrium_correction.tsv/{src.name}; values unchanged",
            ],
            header,
            rows,
        )

    columns: list[list[str]] = []
    energies: list[str] | None = None
    for core in range(1, 7):
        src = base / "snf_correction.tsv" / f"snf_correction_R{core}.tsv.bz2"
        _header, rows = _read_tsv(src)
        e = [r[0] for r in rows]
        if energies is None:
            energies = e
        elif e != energies:
            raise SystemExit(f"{src}: energy mesh differs from R1")
        columns.append([r[1] for r in rows])
    assert energies is not None
    _write_csv(
        outdir / "snf_dayabay.csv",
        [
            "relative spent-nuclear-fuel correction C(E) to the equilibrium spectrum: S -> S (1 + C)",
            "one column per Daya Bay core R1..R6 (the release's per-core SNF estimates)",
            f"source: {CITATION}",
            "files: tsv/snf_correction.tsv/snf_correction_R{1..6}.tsv.bz2; values unchanged",
        ],
        ["E_MeV", *[f"R{c}" for c in range(1, 7)]],
        [[energies[i], *[col[i] for col in columns]] for i in range(len(energies))],
    )

    bkg_dir = root / "detector" / "backgrounds" / "dayabay"
    bkg_dir.mkdir(parents=True, exist_ok=True)
    src = base / "dayabay_dataset" / "dayabay_background_spectra_8AD.tsv" / "spectrum_shape_alpha_neutron_AD31.tsv.bz2"
    header, rows = _read_tsv(src)
    _write_csv(
        bkg_dir / "alpha_neutron_AD31_8AD.csv",
        [
            "13C(alpha,n)16O background: expected prompt-energy spectrum, normalised to 1, Daya Bay AD31 (8-AD period)",
            "columns: reconstructed prompt energy bin edges [MeV] and the fraction of events in the bin",
            f"source: {CITATION}",
            f"file: tsv/dayabay_dataset/dayabay_background_spectra_8AD.tsv/{src.name}; values unchanged",
        ],
        header,
        rows,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
