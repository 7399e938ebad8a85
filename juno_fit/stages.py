"""What every experiment model shares, whatever its physics: the prediction of one detector (or
detector-period) per reconstructed-energy bin, split into IBD and backgrounds, and the cache that
recomputes a stage only when one of the parameters it reads has moved."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class DetectorPrediction:
    """Expected counts of one detector for the config's exposure, per reconstructed-energy bin."""

    detector: str
    edges: np.ndarray
    ibd: np.ndarray
    backgrounds: dict[str, np.ndarray] = field(default_factory=dict)
    ibd_cores: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def background(self) -> np.ndarray:
        return sum(self.backgrounds.values(), np.zeros_like(self.ibd))

    @property
    def total(self) -> np.ndarray:
        return self.ibd + self.background


class StagedCache:
    """Stage outputs cached on the parameters each stage reads (shared by the JUNO and Daya Bay models):
    ``_stage(name, θ, idx, compute)`` recomputes only when one of θ[idx] moved."""

    _cache: dict[str, tuple[bytes, object]]

    def _stage(self, name: str, theta: np.ndarray, idx: np.ndarray, compute):
        """Return the cached output of a stage unless one of the parameters it reads moved."""
        key = theta[idx].tobytes()
        hit = self._cache.get(name)
        if hit is not None and hit[0] == key:
            return hit[1]
        value = compute()
        self._cache[name] = (key, value)
        return value
