"""Experiment models beyond the JUNO-like reactor model of :mod:`juno_fit.model`, one package per
kind (``[experiment] model = "..."``)."""
