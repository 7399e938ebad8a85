"""The model of a config, whatever its experiment: a registry from ``[experiment] model`` to the
experiment plug-in that implements it (:mod:`juno_fit.experiments`).

Every experiment model offers the same interface, which the likelihood, the fits and the command
line rely on and which knows no experiment:

- ``config`` and ``parameters``: the config and its parameter registry (:class:`~juno_fit.parameters.ParameterSet`:
  names, values, limits, priors and correlated blocks);
- ``detectors``: one entry per detector (or detector-period) with its binning;
- ``predict(θ)``: a :class:`~juno_fit.stages.DetectorPrediction` per detector (IBD and backgrounds per
  reconstructed bin), its stages cached on the parameters each reads (:class:`~juno_fit.stages.StagedCache`);
- ``expected(θ)``: the total counts per detector; ``theta(**values)``: the nominal θ with some values replaced;
- the statistic: the plug-in's own ``likelihood_class`` if it has one (Daya Bay's covariance or pull χ²),
  otherwise :class:`juno_fit.likelihood.Likelihood`, each with its exact reverse-mode gradient.

A new experiment is one package in ``juno_fit/experiments/``, its configuration reader in
``juno_fit/config/`` and one entry in :data:`EXPERIMENTS` below.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .stages import DetectorPrediction

__all__ = ["EXPERIMENTS", "DetectorPrediction", "Model", "build_model"]


def _reactor() -> type:
    from .experiments.reactor import ReactorModel

    return ReactorModel


def _dayabay() -> type:
    from .experiments.dayabay import DayaBayModel

    return DayaBayModel


# ``[experiment] model`` → the model class of its plug-in (imported when first asked for)
EXPERIMENTS: dict[str, Callable[[], type]] = {"juno": _reactor, "dayabay": _dayabay}


def build_model(config: Any, *, backend: str = "numba") -> Any:
    """The model of ``config``: the plug-in of its ``[experiment] model`` kind (``"juno"`` by default),
    with every stage's Numba kernels (``backend="numba"``) or their NumPy twins (``"numpy"``)."""
    kind = getattr(config, "model", "juno")
    try:
        cls = EXPERIMENTS[kind]()
    except KeyError:
        raise ValueError(f"unknown experiment model {kind!r} (accepted: {', '.join(EXPERIMENTS)})") from None
    return cls(config, backend=backend)


class Model:
    """``Model(config)`` builds the model of a config (:func:`build_model`); a type for annotations."""

    def __new__(cls, config: Any, *, backend: str = "numba") -> Any:
        return build_model(config, backend=backend)
