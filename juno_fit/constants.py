"""Physical constants (MeV, m, s, cm unless stated), each with its source; the bottom layer of the
package (no imports from it), so configuration checks and physics stages share them.

Masses: CODATA 2018 (E. Tiesinga et al., Rev. Mod. Phys. 93 (2021) 025010), as in PHYSICS.md §5.2.
ħ, ħc, N_A and the electron-volt are exact in the 2019 SI.
"""

from __future__ import annotations

import math

M_NEUTRON = 939.56542052  # MeV, CODATA 2018
M_PROTON = 938.27208816  # MeV, CODATA 2018
M_ELECTRON = 0.51099895  # MeV, CODATA 2018 (0.51099895000)
DELTA_NP = M_NEUTRON - M_PROTON  # MeV, Δ = m_n − m_p = 1.293332 MeV
M_NUCLEON = 0.5 * (M_NEUTRON + M_PROTON)  # MeV, Vogel & Beacom's M (average nucleon mass)
# IBD threshold for a proton at rest, ((m_n + m_e)² − m_p²)/(2 m_p) = 1.806066 MeV (PHYSICS.md §5.2)
IBD_THRESHOLD = ((M_NEUTRON + M_ELECTRON) ** 2 - M_PROTON**2) / (2.0 * M_PROTON)

HBARC_MEV_FM = 197.3269804  # MeV fm, exact SI (h, c, e fixed)
HBARC_EV_M = HBARC_MEV_FM * 1e-9  # eV m  (1 MeV fm = 1e6 eV × 1e-15 m)
HBARC_MEV_CM = HBARC_MEV_FM * 1e-13  # MeV cm
HBAR_MEV_S = 6.582119569e-22  # MeV s, exact SI

# Oscillation phase Δ = Δm² L / (4 ħc E) = OSC_PHASE × Δm²[eV²] L[m] / E[MeV] (PHYSICS.md §5.6):
# 1/(4 ħc[eV m] × 1e6 eV/MeV) = 1.2669326794...
OSC_PHASE = 1.0 / (4.0 * HBARC_EV_M * 1e6)

G_FERMI_GEV = 1.1663787e-5  # GeV^-2, PDG 2020 (Review of Particle Physics, PTEP 2020, 083C01)
AVOGADRO = 6.02214076e23  # 1/mol, exact SI
MEV_IN_JOULE = 1.602176634e-13  # J, exact SI
SECONDS_PER_DAY = 86400.0

# Matter potential in the mass-squared matrix, |a| = 2√2 G_F n_e E, per unit ρ[g/cm³] Y_e E[MeV], in eV².
# n_e = ρ Y_e N_A [1/cm³] (one nucleon ≈ 1 g/mol); G_F in eV^-2 = G_F[GeV^-2] 1e-18; (ħc)³ in (eV cm)³.
MATTER_A_PER_RHO_YE_MEV = 2.0 * math.sqrt(2.0) * G_FERMI_GEV * 1e-18 * AVOGADRO * (HBARC_MEV_CM * 1e6) ** 3 * 1e6
