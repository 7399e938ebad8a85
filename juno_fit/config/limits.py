"""The limits of the whole model that are not about one key of an input file (file sizes, TOML
nesting, the sizes of the integration grids and matrices a config implies, the largest event counts
the statistics handle to per-mille precision) and what a name or a free text may hold, each with its
reason; :mod:`juno_fit.config.rules` re-exports them."""

from __future__ import annotations

import re
import unicodedata

MAX_TOML_BYTES = 1 << 20  # 1 MiB; the shipped inputs are 1-10 kB
MAX_TABLE_BYTES = 16 << 20  # 16 MiB for a CSV table named by an input file (the largest shipped: 26 kB)
MAX_NESTING = 16  # tables/arrays inside each other; the deepest shipped key is 6 levels down
MAX_NAME_LENGTH = 64
MAX_TEXT_LENGTH = 4000

# Grid and matrix sizes a config may imply (per detector). The nominal JUNO model has about 1,300
# fine deposited-energy bins, 1,700 E_ν nodes (two baseline groups) and 1e5 response-matrix
# entries; the accuracy study's reference (0.5 keV bins, 4× finer panels) needs about 10× that. The
# budgets leave another factor of 10-20 and keep a model build under a minute and its matrices
# under 1 GiB.
MAX_RECO_BINS = 10_000
MAX_FINE_BINS = 300_000
MAX_ENU_NODES = 300_000
MAX_MATRIX_ENTRIES = 60_000_000  # entries of a banded fold or response matrix (8 bytes each)
# Element operations of a fold-matrix integration (E_ν integration points × the most fine bins one
# point reaches): 3e5 for the nominal model (0.15 s), 2.5e7 for a grid as fine as the accuracy
# study's reference (10 s); the budget is four times that (about 40 s on one core).
MAX_FOLD_WORK = 100_000_000

# Largest sterile Δm²41 [eV²]. Above what an energy grid resolves, the sterile terms are averaged exactly
# over each node's cell (physics/averaging.py), so any value is computed correctly; at 10 eV² the
# oscillation length at 4 MeV is 1 m, fully averaged in every detector (the reactor anomaly's region,
# ~1 eV², and the largest values reported by short-baseline searches, ~7 eV², lie below).
DM2_41_MAX = 10.0

# Largest expected or observed count the statistics accept, per detector and exposure: a
# Poisson deviance or χ² built from counts N loses about N × 2.2e-16 to rounding, which must stay
# far below the 1e-3 that per-mille parameter precision needs.
MAX_COUNTS = 1e12

# Exposure limits in days: shorter than an hour a JUNO-size detector sees about two reactor events
# (no spectrum); beyond 1,000 years no detector or reactor model holds.
MIN_EXPOSURE_DAYS = 1.0 / 24.0
MAX_EXPOSURE_DAYS = 1000 * 365.25

EARTH_DIAMETER_KM = 12_742.0  # the longest straight baseline between two points on Earth (mean radius 6,371 km)

_IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_+\-]*")
# Unicode bidirectional controls (can reorder what a terminal shows) are refused in any text.
_BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C)}


def identifier_problem(name: str) -> str | None:
    """Why ``name`` cannot name a detector, core, background or experiment (None when it can).

    Names become parts of parameter names (``flux.core.TS1``, ``bkg.geo.rate``) and file names, so
    they are letters, digits, ``_``, ``+`` and ``-`` only, starting with a letter or digit.
    """
    if not name:
        return "is empty"
    if len(name) > MAX_NAME_LENGTH:
        return f"is {len(name)} characters long (at most {MAX_NAME_LENGTH})"
    if not _IDENTIFIER.fullmatch(name):
        return "may hold only letters, digits, '_', '+' and '-', starting with a letter or digit"
    return None


def text_problem(text: str) -> str | None:
    """Why ``text`` cannot be a label, description or source (None when it can): printable
    characters only (no control or bidirectional-override characters), at most MAX_TEXT_LENGTH."""
    if len(text) > MAX_TEXT_LENGTH:
        return f"is {len(text)} characters long (at most {MAX_TEXT_LENGTH})"
    for ch in text:
        if ch in _BIDI or (unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") and ch != "\t"):
            return f"holds the control character U+{ord(ch):04X} (only printable text is accepted)"
    return None
