"""The JUNO-like reactor experiment (``[experiment] model = "juno"``): reactor cores × detectors, each
detector with its own response and backgrounds (JUNO alone, or JUNO with other detectors of the same
site), built from the shared physics stages of :mod:`juno_fit.physics`."""

from __future__ import annotations

from .model import DetectorModel, ReactorModel
from .parameters import background_prefix, build_parameters, detector_prefix

__all__ = ["DetectorModel", "ReactorModel", "background_prefix", "build_parameters", "detector_prefix"]
