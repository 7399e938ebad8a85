"""The parameter registry: every number the model reads that a fit may move.

Names follow DESIGN.md §3: oscillation parameters ``sin2_theta12``, ``sin2_theta13``, ``dm2_21``,
``dm2_31`` (signed), the matter density ``matter.density``, and nuisances ``<group>.<name>``:

- ``flux.norm`` (overall reactor-flux scale), ``flux.core.<CORE>`` (per-core scale), ``flux.snf``,
  ``flux.noneq`` (scales of the spent-fuel and non-equilibrium corrections), ``flux.ff.<CORE>.<ISO>``
  (relative shift of a fission fraction, correlated between the isotopes of a core);
- ``det.eff`` (efficiency scale), ``det.escale`` (energy scale), ``det.lsnl.pull<k>`` (LSNL pull
  weights), ``det.res.a``, ``det.res.b``, ``det.res.c`` (resolution terms, absolute);
- ``bkg.<name>.rate`` (background rate scale).

With more than one detector, detector and background names carry the detector: ``det.<DET>.eff``,
``bkg.<DET>.<name>.rate``. Scales are 1 at the nominal point; the fitter sees the flat vector θ in
registry order.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace

import numpy as np

from .errors import ConfigError

OSCILLATION = ("sin2_theta12", "sin2_theta13", "dm2_21", "dm2_31")


@dataclass(frozen=True)
class Parameter:
    """One parameter: its nominal (true) value, an optional Gaussian prior width, limits, and whether
    a fit holds it fixed."""

    name: str
    value: float
    error: float | None = None
    limits: tuple[float | None, float | None] = (None, None)
    fixed: bool = False
    description: str = ""
    prior_mean: float | None = None  # centre of the Gaussian prior when it is not the nominal value
    step: float | None = None  # MIGRAD's first step for a free parameter without prior (default: 1 % of the value)

    @property
    def centre(self) -> float:
        """Centre of the prior: ``prior_mean`` if given (an external measurement), else ``value``."""
        return self.value if self.prior_mean is None else self.prior_mean


@dataclass(frozen=True)
class CorrelatedBlock:
    """A multivariate Gaussian prior on several parameters: pull (θ_b − mean)ᵀ C⁻¹ (θ_b − mean)."""

    names: tuple[str, ...]
    mean: np.ndarray
    covariance: np.ndarray


class ParameterSet:
    """Ordered, name-indexed collection of :class:`Parameter` objects, plus correlated prior blocks.

    A parameter is either fixed, free without prior (``error`` None), constrained by its own Gaussian
    prior (``error`` set), or a member of one :class:`CorrelatedBlock`.
    """

    def __init__(self, params: Iterable[Parameter], blocks: Iterable[CorrelatedBlock] = ()):
        self._params = list(params)
        self.blocks = list(blocks)
        self._index = {p.name: i for i, p in enumerate(self._params)}
        if len(self._index) != len(self._params):
            dup = next(p.name for p in self._params if sum(q.name == p.name for q in self._params) > 1)
            raise ValueError(f"duplicate parameter name {dup!r}")

    def __len__(self) -> int:
        return len(self._params)

    def __iter__(self) -> Iterator[Parameter]:
        return iter(self._params)

    def __contains__(self, name: object) -> bool:
        return name in self._index

    def __getitem__(self, name: str) -> Parameter:
        try:
            return self._params[self._index[name]]
        except KeyError:
            raise ConfigError("parameters", name, f"unknown parameter (known: {', '.join(self.names)})") from None

    @property
    def names(self) -> list[str]:
        return [p.name for p in self._params]

    def index(self, name: str) -> int:
        self[name]  # raises a clear error for unknown names
        return self._index[name]

    def values(self) -> np.ndarray:
        """Nominal values as the flat vector θ."""
        return np.array([p.value for p in self._params])

    def vector(self, updates: Mapping[str, float] | None = None, base: np.ndarray | None = None) -> np.ndarray:
        """θ with some entries replaced by name (starting from ``base`` or the nominal values)."""
        theta = self.values() if base is None else np.array(base, dtype=float)
        for name, value in (updates or {}).items():
            theta[self.index(name)] = value
        return theta

    def as_dict(self, theta: np.ndarray) -> dict[str, float]:
        return {p.name: float(v) for p, v in zip(self._params, theta, strict=True)}

    def with_value(self, name: str, **changes: object) -> ParameterSet:
        """A copy with one parameter's fields changed (value, error, limits, fixed)."""
        i = self.index(name)
        params = list(self._params)
        params[i] = replace(params[i], **changes)  # type: ignore[arg-type]
        return ParameterSet(params, self.blocks)

    @property
    def free(self) -> list[str]:
        return [p.name for p in self._params if not p.fixed]

    def in_block(self, name: str) -> bool:
        return any(name in b.names for b in self.blocks)
