"""Data sets: the Asimov data set of a config's true point and Poisson pseudo-experiments.

Pseudo-experiment k of a config is generated from ``numpy.random.SeedSequence(entropy=seed,
spawn_key=(k,))`` with ``seed`` the config's ``[experiment] seed``, so toy k is the same whoever
generates it, in whatever order. With ``throw_nuisances`` the nuisance parameters with priors are first
drawn from their priors (correlated blocks included, values kept inside their limits) and the
bin-to-bin systematic factors from their covariance; the counts are then Poisson-distributed around
that expectation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from . import __version__
from .config import OSCILLATION_PARAMETERS
from .likelihood import Likelihood
from .model import Model


@dataclass
class Dataset:
    """Observed counts per detector with their binning and provenance."""

    counts: dict[str, np.ndarray]
    edges: dict[str, np.ndarray]
    truth: dict[str, float]
    kind: str  # "asimov", "toy" or "external"
    config_name: str
    config_text: str
    seed: int | None = None
    toy: int | None = None
    throw_nuisances: bool = False
    exposure_days: float | None = None  # the exposure the counts were made for (None: not recorded)
    version: str = __version__
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    def arrays(self, model: Model) -> list[np.ndarray]:
        """Counts in the model's detector order."""
        return [self.counts[d.det.name] for d in model.detectors]


def asimov_arrays(model: Model, theta: np.ndarray | None = None) -> list[np.ndarray]:
    """The Asimov counts at θ (default the true point) in the model's detector order; for a joint model
    (juno_fit/joint.py) each part's, at θ mapped into it (its detector names may repeat across parts)."""
    parts = getattr(model, "parts", None)
    if parts is None:
        return asimov(model, theta).arrays(model)
    theta = model.parameters.values() if theta is None else theta
    return [a for part, t in zip(parts, model.part_thetas(theta), strict=True) for a in asimov(part, t).arrays(part)]


def model_exposure(model: Model) -> float | None:
    """Days of data taking the model predicts for; None where the data release fixes the exposure
    (Daya Bay)."""
    days = float(getattr(model.config, "exposure_days", 0.0))
    return days if days > 0 else None


def toy_rng(seed: int, toy: int) -> np.random.Generator:
    """The generator of pseudo-experiment ``toy`` of a config with ``[experiment] seed``."""
    return np.random.default_rng(np.random.SeedSequence(entropy=seed, spawn_key=(toy,)))


def asimov(model: Model, theta: np.ndarray | None = None) -> Dataset:
    """The Asimov data set: counts equal to the expectation at θ (default the true point)."""
    theta = model.parameters.values() if theta is None else np.asarray(theta, dtype=float)
    preds = model.predict(theta)
    return Dataset(
        counts={p.detector: p.total.copy() for p in preds},
        edges={p.detector: p.edges.copy() for p in preds},
        truth=model.parameters.as_dict(theta),
        kind="asimov",
        config_name=model.config.name,
        config_text=model.config.text,
        exposure_days=model_exposure(model),
    )


def throw_parameters(model: Model, rng: np.random.Generator, theta: np.ndarray | None = None) -> np.ndarray:
    """θ with every constrained nuisance drawn from its prior, within its limits (redrawn if outside)."""
    params = model.parameters
    theta = params.values() if theta is None else np.array(theta, dtype=float)
    # the standard four and a JUNO-like hypothesis' own (sterile mixing, ...)
    oscillation = getattr(getattr(model.config, "oscillation", None), "parameter_names", OSCILLATION_PARAMETERS)
    for p in params:
        # the true oscillation parameters are not thrown (an external constraint on one is a prior
        # on the fit, not a nuisance of the data)
        if p.fixed or p.error is None or params.in_block(p.name) or p.name in oscillation:
            continue
        lo, hi = (-np.inf if p.limits[0] is None else p.limits[0]), (np.inf if p.limits[1] is None else p.limits[1])
        for _ in range(100):
            value = rng.normal(p.value, p.error)
            if lo <= value <= hi:
                break
        theta[params.index(p.name)] = value
    for block in params.blocks:
        idx = [params.index(n) for n in block.names]
        lows = np.array([-np.inf if params[n].limits[0] is None else params[n].limits[0] for n in block.names])
        for _ in range(100):
            value = rng.multivariate_normal(block.mean, block.covariance)
            if np.all(value >= lows):
                break
        theta[idx] = value
    return theta


def pseudo_experiment(model: Model, toy: int, *, throw_nuisances: bool = False) -> Dataset:
    """Poisson pseudo-experiment number ``toy`` (reproducible from the config seed and ``toy``)."""
    rng = toy_rng(model.config.seed, toy)
    theta = throw_parameters(model, rng) if throw_nuisances else model.parameters.values()
    preds = model.predict(theta)
    counts = {}
    if throw_nuisances:
        lik = Likelihood(model, [p.total for p in preds])
    for k, pred in enumerate(preds):
        mu = pred.total
        if throw_nuisances:
            sigma = np.sqrt(lik.systematic_variance(k, pred)) / np.where(mu > 0, mu, 1.0)
            mu = mu * np.maximum(1.0 + sigma * rng.standard_normal(len(mu)), 0.0)
        counts[pred.detector] = rng.poisson(mu).astype(float)
    return Dataset(
        counts=counts,
        edges={p.detector: p.edges.copy() for p in preds},
        truth=model.parameters.as_dict(theta),
        kind="toy",
        config_name=model.config.name,
        config_text=model.config.text,
        seed=model.config.seed,
        toy=toy,
        throw_nuisances=throw_nuisances,
        exposure_days=model_exposure(model),
    )
