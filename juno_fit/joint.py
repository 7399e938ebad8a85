"""Joint fits across experiments: one likelihood, the sum of each experiment's, with the oscillation
parameters shared.

A :class:`JointConfig` lists the configs of the parts (e.g. JUNO's 2025 release and Daya Bay's full
release). Its model (:class:`JointModel`, registered as the experiment kind ``"joint"``) holds one
model per part and one parameter registry:

- the shared oscillation parameters in the standard parametrisation (``sin2_theta12``,
  ``sin2_theta13``, ``dm2_21``, ``dm2_31``, the sign of Δm²31 being the ordering), free where any part
  frees them. A part written in another parametrisation receives them through their definitions
  (:data:`CONVERSIONS`): sin²2θ = 4 sin²θ (1 − sin²θ) and Δm²32 = Δm²31 − Δm²21, so Δm²31 and Δm²32
  are linked through Δm²21 and the ordering is respected;
- every other parameter of every part, per experiment; a name that two parts use (``det.res.a``) is
  prefixed with its config name (``dayabay_nGd:det.res.a``) unless listed in ``shared``, in which case
  the parts share it.

Priors: an external constraint on a shared oscillation parameter that another part measures (has
free without a prior) is dropped, because the measurement it stands for is now in the fit (JUNO's
2025 analysis constrains θ13 and Δm²31 by the PDG averages, to which Daya Bay contributes);
``keep_constraints=True`` keeps them. A part may switch off its own systematic treatment of a
parameter that became shared (``config.for_joint``: Daya Bay's solar-parameter uncertainty, now
measured by the fit). The dropped constraints and switched-off groups are listed in
:attr:`JointModel.notes`.

:class:`JointLikelihood` sums the parts' statistics at θ mapped into each part, and their exact
gradients through the Jacobian of that map.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import ConfigError
from .likelihood import Likelihood
from .model import EXPERIMENTS, build_model
from .parameters import OSCILLATION, Parameter, ParameterSet
from .stages import DetectorPrediction

# A part's oscillation parameter → (the shared standard parameters it reads, value, gradient); the
# definitions of the derived quantities (DESIGN.md §3): sin²2θ = 4 s²(1 − s²), Δm²32 = Δm²31 − Δm²21.
CONVERSIONS: dict[str, tuple[tuple[str, ...], Callable, Callable]] = {
    **{n: ((n,), lambda x: x[0], lambda x: (1.0,)) for n in OSCILLATION},
    "sin2_2theta13": (("sin2_theta13",), lambda x: 4 * x[0] * (1 - x[0]), lambda x: (4 * (1 - 2 * x[0]),)),
    "sin2_2theta12": (("sin2_theta12",), lambda x: 4 * x[0] * (1 - x[0]), lambda x: (4 * (1 - 2 * x[0]),)),
    "dm2_32": (("dm2_31", "dm2_21"), lambda x: x[0] - x[1], lambda x: (1.0, -1.0)),
}

# default limits of the shared parameters where no part in the standard parametrisation gives them
_LIMITS = {
    "sin2_theta12": (0.05, 0.6),
    "sin2_theta13": (0.001, 0.2),
    "dm2_21": (1e-5, 2e-4),
    "dm2_31": (-5e-3, 5e-3),
}


@dataclass(frozen=True)
class JointFit:
    retries: int = 3
    minos: bool = True
    statistic: str = "joint"


@dataclass(frozen=True)
class JointOscillation:
    ordering: str = "normal"

    @property
    def dm2_31(self) -> float:
        return 1.0 if self.ordering == "normal" else -1.0


@dataclass(frozen=True)
class JointNumerics:
    dm2_max: float  # the largest |Δm²31| every part's grid resolves


@dataclass(frozen=True)
class JointConfig:
    """The configs of a joint fit, and which further parameter names the parts share."""

    parts: tuple[Any, ...]
    shared: tuple[str, ...] = ()
    keep_constraints: bool = False
    ordering: str = "normal"
    model: str = "joint"
    seed: int = 20260101
    fit: JointFit = field(default_factory=JointFit)

    def __post_init__(self):
        if len(self.parts) < 2:
            raise ConfigError("joint fit", "configs", "needs at least two configs")
        names = [p.name for p in self.parts]
        if len(set(names)) != len(names):
            raise ConfigError("joint fit", "configs", f"each config at most once, got {', '.join(names)}")
        retries = max(p.fit.retries for p in self.parts)
        minos = all(p.fit.minos for p in self.parts)
        object.__setattr__(self, "fit", JointFit(retries, minos))

    @property
    def name(self) -> str:
        """The parts' names joined by +."""
        return "+".join(p.name for p in self.parts)

    @property
    def description(self) -> str:
        """What the joint fit combines."""
        return "joint fit of " + ", ".join(p.name for p in self.parts)

    @property
    def file(self) -> str:
        """The parts' config files joined by +."""
        return " + ".join(p.file for p in self.parts)

    @property
    def text(self) -> str:
        """The parts' config texts, after a header naming the shared parameters (the joint fit's provenance)."""
        head = (
            f"# joint fit; shared beyond oscillation: {list(self.shared)}; keep_constraints = {self.keep_constraints}\n"
        )
        return head + "".join(f"# ===== {p.name} ({p.file})\n{p.text}\n" for p in self.parts)

    @property
    def exposure_days(self) -> float:
        """NaN: each part keeps its own exposure."""
        return float("nan")  # each part has its own

    @property
    def numerics(self) -> JointNumerics:
        """The numerics that bound the shared parameters (the smallest Δm² range of the parts)."""
        tops = [p.numerics.dm2_max for p in self.parts if hasattr(p, "numerics")]
        return JointNumerics(min(tops) if tops else _LIMITS["dm2_31"][1])

    def stat_only(self) -> JointConfig:
        """Every part with its systematic uncertainties switched off."""
        parts = tuple(
            dataclasses.replace(p, fit=dataclasses.replace(p.fit, systematics=dict.fromkeys(p.fit.systematics, False)))
            for p in self.parts
        )
        return dataclasses.replace(self, parts=parts)

    @property
    def oscillation(self) -> JointOscillation:
        """The true ordering of the joint fit (each part holds its own oscillation parameters)."""
        return JointOscillation(self.ordering)

    def with_ordering(self, ordering: str) -> JointConfig:
        """Every part with its true point (the fit's start) in ``ordering`` ("normal" or "inverted")."""
        parts = tuple(p.with_ordering(ordering) for p in self.parts)
        return dataclasses.replace(self, parts=parts, ordering=ordering)


# --------------------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------------------


@dataclass
class _PartMap:
    """How joint θ reaches one part: copies (joint index → part index) and converted oscillation
    parameters (part index, conversion name, joint indices it reads)."""

    copy_from: np.ndarray
    copy_to: np.ndarray
    converted: list[tuple[int, str, np.ndarray]]
    base: np.ndarray  # the part's nominal θ (fixed entries stay there)


class JointModel:
    """The parts' models side by side, with one parameter registry (see the module docstring)."""

    def __init__(self, config: JointConfig, *, backend: str = "numba"):
        self.config = config
        self.backend = backend
        self.notes: list[str] = []
        # which shared oscillation parameters each part reads, in its own names
        first = [build_model(p, backend=backend) for p in config.parts]
        reads = [[n for n in m.parameters.names if n in CONVERSIONS] for m in first]
        shared_free = _freed(first, reads)
        # a part may switch off its own treatment of parameters that the joint fit now measures
        parts_cfg = []
        for cfg, names in zip(config.parts, reads, strict=True):
            mine = {n for n in names if set(CONVERSIONS[n][0]) & shared_free}
            new = cfg.for_joint(mine) if hasattr(cfg, "for_joint") else cfg
            if new is not cfg:
                self.notes.append(f"{cfg.name}: {getattr(new, 'joint_note', 'adapted to the joint fit')}")
            parts_cfg.append(new)
        self.parts = [
            m if new is old else build_model(new, backend=backend)
            for m, new, old in zip(first, parts_cfg, config.parts, strict=True)
        ]
        self._build_parameters(reads)
        self.detectors = [d for m in self.parts for d in m.detectors]
        self.n_detectors = [len(m.detectors) for m in self.parts]
        self.oscillation_names = [n for n in OSCILLATION if n in self.parameters and not self.parameters[n].fixed]
        self._cache_key: bytes | None = None
        self._cache_thetas: list[np.ndarray] = []

    # ----- the registry -----
    def _build_parameters(self, reads) -> None:
        config = self.config
        counts: dict[str, int] = {}
        for m in self.parts:
            for n in m.parameters.names:
                if n not in CONVERSIONS:
                    counts[n] = counts.get(n, 0) + 1
        # shared oscillation parameters: the first part in the standard names gives value, limits and prior
        shared: dict[str, Parameter] = {}
        measured: dict[str, list[str]] = {}  # shared name → parts that fit it without a prior
        for m, names in zip(self.parts, reads, strict=True):
            for n in names:
                p = m.parameters[n]
                for s in CONVERSIONS[n][0]:
                    if not p.fixed and p.error is None:
                        measured.setdefault(s, []).append(m.config.name)
        read = {s for names in reads for n in names for s in CONVERSIONS[n][0]}
        freed = _freed(self.parts, reads)
        for s in OSCILLATION:
            if s not in read:
                continue
            src = next((m.parameters[s] for m in self.parts if s in m.parameters), None)
            free = s in freed
            if src is None:
                value = _standard_value(s, self.parts[0], reads[0])
                src = Parameter(s, value, limits=_signed_limits(s, value))
            # the prior: the first part that constrains the parameter externally
            prior_part = next((m for m in self.parts if s in m.parameters and m.parameters[s].error is not None), None)
            if prior_part is not None:
                q = prior_part.parameters[s]
                src = dataclasses.replace(src, error=q.error, prior_mean=q.prior_mean)
            p = dataclasses.replace(src, fixed=not free)
            if p.error is not None and not config.keep_constraints:
                owner = prior_part.config.name
                others = [name for name in measured.get(s, []) if name != owner]
                if others:
                    self.notes.append(
                        f"{owner}: external constraint on {s} dropped ({', '.join(others)} measures it; "
                        "keep it with --keep-constraints)"
                    )
                    p = dataclasses.replace(p, error=None, prior_mean=None)
            shared[s] = p
        params: list[Parameter] = list(shared.values())
        blocks = []
        self._maps: list[_PartMap] = []
        self._renamed: list[dict[str, str]] = []
        joint_index: dict[str, int] = {p.name: i for i, p in enumerate(params)}
        for m in self.parts:
            rename = {}
            for p in m.parameters:
                if p.name in CONVERSIONS:
                    continue
                name = p.name
                if counts[name] > 1 and name not in config.shared:
                    name = f"{m.config.name}:{name}"
                rename[p.name] = name
                if name in joint_index:
                    continue  # declared shared: the first part's definition
                joint_index[name] = len(params)
                params.append(dataclasses.replace(p, name=name))
            for b in m.parameters.blocks:
                blocks.append(dataclasses.replace(b, names=tuple(rename[n] for n in b.names)))
            self._renamed.append(rename)
        self.parameters = ParameterSet(params, blocks)
        for m, names, rename in zip(self.parts, reads, self._renamed, strict=True):
            copy_from, copy_to = [], []
            for n, new in rename.items():
                copy_from.append(joint_index[new])
                copy_to.append(m.parameters.index(n))
            converted = [
                (m.parameters.index(n), n, np.array([joint_index[s] for s in CONVERSIONS[n][0]], dtype=np.int64))
                for n in names
            ]
            self._maps.append(
                _PartMap(
                    np.array(copy_from, dtype=np.int64),
                    np.array(copy_to, dtype=np.int64),
                    converted,
                    m.parameters.values(),
                )
            )
        # the parts' own registries lose the priors of shared parameters: the joint one carries them
        for m, names in zip(self.parts, reads, strict=True):
            ps = m.parameters
            for n in names:
                if ps[n].error is not None:
                    ps = ps.with_value(n, error=None, prior_mean=None)
            m.parameters = ps

    # ----- θ into each part -----
    def part_thetas(self, theta: np.ndarray) -> list[np.ndarray]:
        theta = np.asarray(theta, dtype=float)
        key = theta.tobytes()
        if key == self._cache_key:
            return self._cache_thetas
        out = []
        for mp in self._maps:
            t = mp.base.copy()
            t[mp.copy_to] = theta[mp.copy_from]
            for i, n, src in mp.converted:
                t[i] = CONVERSIONS[n][1](theta[src])
            out.append(t)
        self._cache_key, self._cache_thetas = key, out
        return out

    def pull_back(self, theta: np.ndarray, part: int, grad: np.ndarray, out: np.ndarray) -> None:
        """Add the joint gradient of part ``part`` (its θ-gradient ``grad``) into ``out``."""
        mp = self._maps[part]
        np.add.at(out, mp.copy_from, grad[mp.copy_to])
        for i, n, src in mp.converted:
            for j, d in zip(src, CONVERSIONS[n][2](theta[src]), strict=True):
                out[j] += d * grad[i]

    # ----- the model interface -----
    def theta(self, **values: float) -> np.ndarray:
        return self.parameters.vector(values)

    def predict(self, theta: np.ndarray | None = None) -> list[DetectorPrediction]:
        theta = self.parameters.values() if theta is None else theta
        return [p for m, t in zip(self.parts, self.part_thetas(theta), strict=True) for p in m.predict(t)]

    def expected(self, theta: np.ndarray) -> list[np.ndarray]:
        return [e for m, t in zip(self.parts, self.part_thetas(theta), strict=True) for e in m.expected(t)]

    def split(self, arrays: list[np.ndarray]) -> list[list[np.ndarray]]:
        """Per-detector arrays of the joint model → one list per part."""
        out, k = [], 0
        for n in self.n_detectors:
            out.append(list(arrays[k : k + n]))
            k += n
        return out


def _freed(models, reads) -> set[str]:
    """The shared (standard) parameters that some part fits: read by a parameter free in that part."""
    return {
        s
        for m, names in zip(models, reads, strict=True)
        for n in names
        if not m.parameters[n].fixed
        for s in CONVERSIONS[n][0]
    }


def _standard_value(name: str, model, names: list[str]) -> float:
    """The value of a standard parameter from a part in another parametrisation (its nominal θ)."""
    values = {n: model.parameters[n].value for n in names}
    if name == "sin2_theta13" and "sin2_2theta13" in values:
        return 0.5 * (1 - math.sqrt(1 - values["sin2_2theta13"]))
    if name == "sin2_theta12" and "sin2_2theta12" in values:
        return 0.5 * (1 - math.sqrt(1 - values["sin2_2theta12"]))
    if name == "dm2_21" and "dm2_21" in values:
        return values["dm2_21"]
    if name == "dm2_31" and "dm2_32" in values:
        return values["dm2_32"] + values.get("dm2_21", 7.5e-5)
    raise ConfigError("joint fit", name, "no part gives a value for this shared parameter")


def _signed_limits(name: str, value: float) -> tuple[float, float]:
    lo, hi = _LIMITS[name]
    if name == "dm2_31":
        return (1e-4, hi) if value > 0 else (lo, -1e-4)
    return lo, hi


# --------------------------------------------------------------------------------------------------
# The likelihood
# --------------------------------------------------------------------------------------------------


class JointLikelihood:
    """Σ over parts of each part's statistic at θ mapped into it, plus the priors of the shared
    parameters; exact gradient through the map's Jacobian."""

    def __init__(self, model: JointModel, data: list[np.ndarray], statistic: str | None = None):
        if len(data) != len(model.detectors):
            raise ValueError(f"data for {len(data)} detectors, the joint model has {len(model.detectors)}")
        self.model = model
        self.data = [np.ascontiguousarray(d, dtype=float) for d in data]
        self.parts = [Likelihood(m, d) for m, d in zip(model.parts, model.split(self.data), strict=True)]
        self.statistic = "+".join(p.statistic for p in self.parts)
        if statistic not in (None, "joint", self.statistic):
            raise ValueError(f"a joint fit uses each part's own statistic ({self.statistic}), not {statistic!r}")
        self.exact_gradient = all(getattr(p, "exact_gradient", True) for p in self.parts)
        params = model.parameters
        self._priors = [
            (params.index(p.name), p.centre, p.error)
            for p in params
            if p.name in OSCILLATION and p.error and not p.fixed
        ]

    def _prior(self, theta: np.ndarray, grad: np.ndarray | None = None) -> float:
        total = 0.0
        for i, c, s in self._priors:
            total += ((theta[i] - c) / s) ** 2
            if grad is not None:
                grad[i] += 2.0 * (theta[i] - c) / (s * s)
        return total

    def __call__(self, theta: np.ndarray) -> float:
        theta = np.asarray(theta, dtype=float)
        thetas = self.model.part_thetas(theta)
        return self._prior(theta) + sum(lik(t) for lik, t in zip(self.parts, thetas, strict=True))

    def value_and_grad(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        theta = np.asarray(theta, dtype=float)
        grad = np.zeros(len(theta))
        total = self._prior(theta, grad)
        for k, (lik, t) in enumerate(zip(self.parts, self.model.part_thetas(theta), strict=True)):
            value, g = lik.value_and_grad(t)
            if not np.isfinite(value):
                return np.inf, np.full(len(theta), np.nan)
            total += value
            self.model.pull_back(theta, k, g, grad)
        return total, grad

    def grad(self, theta: np.ndarray) -> np.ndarray:
        return self.value_and_grad(theta)[1]

    @property
    def n_bins(self) -> int:
        return sum(p.n_bins for p in self.parts)

    @property
    def ndof(self) -> int:
        """Bins minus the free parameters no prior constrains, each counted once."""
        params = self.model.parameters
        unconstrained = [p for p in params if not p.fixed and p.error is None and not params.in_block(p.name)]
        # the parts' counts of their own free, unconstrained parameters (a Daya Bay spectrum factor…)
        own = sum(p.n_bins - p.ndof for p in self.parts)
        shared_in_parts = sum(
            1
            for m in self.model.parts
            for n in m.parameters.names
            if n in CONVERSIONS and not m.parameters[n].fixed and m.parameters[n].error is None
        )
        shared_joint = sum(1 for p in unconstrained if p.name in OSCILLATION)
        return self.n_bins - own + shared_in_parts - shared_joint


JointModel.likelihood_class = JointLikelihood  # type: ignore[attr-defined]
EXPERIMENTS.setdefault("joint", lambda: JointModel)
