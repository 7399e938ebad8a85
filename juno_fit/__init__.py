"""juno-fit: reactor antineutrino oscillation fits for JUNO-like experiments.

The chain is config → model (reactor flux × IBD cross section × survival probability, folded through
the detector response, plus backgrounds) → expected counts per prompt-energy bin. See README.md,
section "Architecture".
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
