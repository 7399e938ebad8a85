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

Usage: ``python scripts/build_juno_lsnl_table.py`` (writes detector/juno_lsnl_positron.csv).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.polynomial import legendre

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "detector" / "juno2025" / "edfig2_positron_FullNL.csv"
TARGET = ROOT / "detector" / "juno_lsnl_positron.csv"
N_MODES = 4


def build() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    data = np.loadtxt(SOURCE, delimiter=",", skiprows=1)
    energy, nominal, err_low, err_high = data.T
    half_width = 0.5 * (err_high - err_low)  # err_low is negative in the release
    x = 2.0 * (energy - energy[0]) / (energy[-1] - energy[0]) - 1.0
    legendre_values = np.array([legendre.legval(x, np.eye(N_MODES)[k]) for k in range(N_MODES)])
    norm = np.sqrt(np.sum(legendre_values**2, axis=0))
    modes = half_width * legendre_values / norm
    return energy, nominal, nominal + modes


def main() -> None:
    energy, nominal, pulls = build()
    header = [
        "# JUNO positron nonlinearity E_vis/E_dep versus deposited energy E_dep [MeV] (incl. annihilation)",
        "# nominal: JUNO 2025 data release, Extended Data Fig. 2 positron FullNL (arXiv:2511.14593,",
        "#   Nature 654, 343 (2026)); pull0..pull3: nominal + Legendre shape modes of the published 1 sigma",
        "#   band, built by scripts/build_juno_lsnl_table.py (see its docstring and detector/README.md)",
        "E_MeV,nominal," + ",".join(f"pull{k}" for k in range(N_MODES)),
    ]
    rows = [
        ",".join([f"{e:.4f}", f"{n:.6f}", *[f"{p:.6f}" for p in pulls[:, i]]])
        for i, (e, n) in enumerate(zip(energy, nominal, strict=True))
    ]
    TARGET.write_text("\n".join(header + rows) + "\n")
    print(f"wrote {TARGET} ({len(rows)} rows)")


if __name__ == "__main__":
    main()
