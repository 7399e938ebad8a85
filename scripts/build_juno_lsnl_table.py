"""Build detector/juno_lsnl_positron.csv: a nominal positron nonlinearity curve plus four pull curves.

Input: ``detector/juno2025/edfig2_positron_FullNL.csv``, the positron full nonlinearity
E_rec/E_true versus true (deposited) positron energy with its 1σ band, from the public data release
of JUNO Collaboration, "First measurement of reactor neutrino oscillations at JUNO",
arXiv:2511.14593, Nature 654, 343–348 (2026), Extended Data Fig. 2 (copied byte for byte).

Construction (ours, documented in detector/README.md): the band half-width
δ(E) = (high − low)/2 is split into four smooth shape modes

    m_k(E) = δ(E) P_k(x) / sqrt(Σ_j P_j(x)²),   k = 0..3,   x = 2 (E − E_min)/(E_max − E_min) − 1,

with P_k the Legendre polynomials. The modes add in quadrature to δ(E) at every energy, so with
unit-Gaussian weights a_k the curve f = f0 + Σ_k a_k (f_k − f0), f_k = f0 + m_k, reproduces the
published band as its 1σ envelope while letting its shape vary smoothly (the "Daya Bay approach" of a
nominal curve plus pull curves). The asymmetry of the band (mean of high and |low| differs from
either by at most 0.0001) is ignored; the nominal curve is the published central value.

A second table, ``detector/juno_lsnl_positron_2021band.csv``, has the same nominal curve but a band of
the size the JUNO common inputs of the 2022 sensitivity study assumed (pull curves ``positronScintNL
pull0..3`` of the JUNO calibration strategy, arXiv:2011.06405): their range about the nominal curve
as read in PHYSICS.md §6.2, half-width (high − low)/2 at 1.022, 1.5, 2, 3, 4, 5, 6, 8, 10 MeV
(0.0045, 0.004, 0.002, 0.0015, 0.0007, 0.0007, 0.0006, 0.001, 0.001), linearly interpolated and held
constant beyond 10 MeV. The published 2025 band is two to five times wider between 3 and 7 MeV.

Usage: ``python scripts/build_juno_lsnl_table.py`` (writes both tables).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.polynomial import legendre

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "detector" / "juno2025" / "edfig2_positron_FullNL.csv"
TARGET = ROOT / "detector" / "juno_lsnl_positron.csv"
TARGET_2021 = ROOT / "detector" / "juno_lsnl_positron_2021band.csv"
N_MODES = 4
# Range of the 2021 pull curves about the nominal curve (PHYSICS.md §6.2, read from the JUNO common
# inputs positronScintNLpull0..3): energies [MeV] and half-widths (high − low)/2.
BAND_2021_ENERGY = np.array([1.022, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0])
BAND_2021_HALF_WIDTH = np.array([0.0045, 0.004, 0.002, 0.0015, 0.0007, 0.0007, 0.0006, 0.001, 0.001])


def build(band: str = "2025") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Energies, nominal curve and pull curves (n_modes × n_points) with the 2025 or 2021 band."""
    data = np.loadtxt(SOURCE, delimiter=",", skiprows=1)
    energy, nominal, err_low, err_high = data.T
    if band == "2025":
        half_width = 0.5 * (err_high - err_low)  # err_low is negative in the release
    else:
        half_width = np.interp(energy, BAND_2021_ENERGY, BAND_2021_HALF_WIDTH)
    x = 2.0 * (energy - energy[0]) / (energy[-1] - energy[0]) - 1.0
    legendre_values = np.array([legendre.legval(x, np.eye(N_MODES)[k]) for k in range(N_MODES)])
    norm = np.sqrt(np.sum(legendre_values**2, axis=0))
    modes = half_width * legendre_values / norm
    return energy, nominal, nominal + modes


def write(target: Path, band: str, band_text: str) -> None:
    energy, nominal, pulls = build(band)
    header = [
        "# JUNO positron nonlinearity E_vis/E_dep versus deposited energy E_dep [MeV] (incl. annihilation)",
        "# nominal: JUNO 2025 data release, Extended Data Fig. 2 positron FullNL (arXiv:2511.14593,",
        f"#   Nature 654, 343 (2026)); pull0..pull3: nominal + Legendre shape modes of {band_text},",
        "#   built by scripts/build_juno_lsnl_table.py (see its docstring and detector/README.md)",
        "E_MeV,nominal," + ",".join(f"pull{k}" for k in range(N_MODES)),
    ]
    rows = [
        ",".join([f"{e:.4f}", f"{n:.6f}", *[f"{p:.6f}" for p in pulls[:, i]]])
        for i, (e, n) in enumerate(zip(energy, nominal, strict=True))
    ]
    target.write_text("\n".join(header + rows) + "\n")
    print(f"wrote {target} ({len(rows)} rows)")


def main() -> None:
    write(TARGET, "2025", "the published 1 sigma band")
    write(TARGET_2021, "2021", "the 2021 JUNO common-input pull range (PHYSICS.md 6.2)")


if __name__ == "__main__":
    main()
