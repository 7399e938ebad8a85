"""The χ² of the Daya Bay analysis: the CNP statistic with the systematic covariance matrix built once at
the nominal point, or with pull terms, and its exact gradient."""

from __future__ import annotations

import numpy as np

from ...config.dayabay_file import DYB_SYSTEMATICS
from .model import DayaBayModel

# --------------------------------------------------------------------------------------------------
# The χ²
# --------------------------------------------------------------------------------------------------


def cnp_variance(d: np.ndarray, mu: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Combined Neyman–Pearson variance 3/(1/d + 2/μ) and its derivative in μ (μ/2 where d = 0)."""
    d_safe = np.where(d > 0, d, 1.0)
    den = np.where(d > 0, 1.0 / d_safe, 0.0) + 2.0 / mu
    var = 3.0 / den
    dvar = 6.0 / (mu * mu * den * den)
    return var, dvar


class DayaBayLikelihood:
    """CNP χ² of the Daya Bay spectra, with the systematic uncertainties either as a covariance
    matrix (``covariance``, the published treatment: χ² = rᵀ (V_syst + diag σ²_CNP)⁻¹ r, V_syst = J Jᵀ
    built once at the nominal point) or as pull terms (``pulls``: Σ r²/σ²_CNP + Σ z², the Huber–Mueller
    node uncertainties kept as a covariance matrix). With ``[dayabay] cnp_variance = "nominal"`` the CNP
    variance stays at the nominal prediction, as in the published fit; ``"current"`` follows μ."""

    def __init__(self, model: DayaBayModel, data: list[np.ndarray], statistic: str | None = None):
        from scipy.linalg import cho_factor

        self.model = model
        self.statistic = statistic or model.config.fit.statistic
        if self.statistic not in ("covariance", "pulls"):
            raise ValueError(f"unknown Daya Bay statistic {self.statistic!r} (accepted: covariance, pulls)")
        if len(data) != len(model.detectors):
            raise ValueError(f"data for {len(data)} spectra, model has {len(model.detectors)}")
        self.data = [np.ascontiguousarray(x, dtype=float) for x in data]
        self.d = np.concatenate(self.data)
        self.nb = model.detectors[0].det.n_bins
        theta0 = model.parameters.values()
        self.mu0 = model.total(theta0)
        on = [g for g in DYB_SYSTEMATICS if model.nuisances.groups[g]]
        groups = on if self.statistic == "covariance" else [g for g in on if g.startswith("hm_")]
        self.v_syst = covariance_cached(model, tuple(groups))
        self.current = model.config.cnp_variance == "current" or self.statistic == "pulls"
        self._chol = None
        if not self.current:
            var0, _ = cnp_variance(self.d, self.mu0)
            self._chol = cho_factor(self.v_syst + np.diag(var0), lower=True)
        self.use_matrix = bool(groups)
        self.exact_gradient = True
        params = model.parameters
        blocked = {n for b in params.blocks for n in b.names}
        self._pull = [
            (params.index(p.name), p.centre, p.error)
            for p in params
            if not p.fixed and p.error is not None and p.name not in blocked
        ]
        self._blocks = [
            (np.array([params.index(n) for n in b.names]), b.mean, np.linalg.inv(b.covariance)) for b in params.blocks
        ]

    @property
    def n_bins(self) -> int:
        return len(self.d)

    @property
    def ndof(self) -> int:
        params = self.model.parameters
        blocked = {n for b in params.blocks for n in b.names}
        free = sum(1 for p in params if not p.fixed and p.error is None and p.name not in blocked)
        return self.n_bins - free

    def _data_value_grad(self, theta: np.ndarray, want_grad: bool):
        from scipy.linalg import cho_factor, cho_solve

        try:
            mu = self.model.total(theta)
        except ValueError:  # an unphysical point (a non-increasing energy map): no χ² there
            return np.inf, None
        if not np.all(np.isfinite(mu)) or np.any(mu <= 0):
            return np.inf, None
        r = self.d - mu
        if self.use_matrix:
            if self.current:
                var, dvar = cnp_variance(self.d, mu)
                chol = cho_factor(self.v_syst + np.diag(var), lower=True)
                y = cho_solve(chol, r)
                g_mu = -2.0 * y - y * y * dvar
            else:
                y = cho_solve(self._chol, r)
                g_mu = -2.0 * y
            value = float(r @ y)
        else:
            var, dvar = cnp_variance(self.d, mu)
            value = float(np.sum(r * r / var))
            g_mu = -2.0 * r / var - (r * r / (var * var)) * dvar
        return value, (g_mu if want_grad else None)

    def data_terms(self, theta: np.ndarray) -> float:
        return self._data_value_grad(np.asarray(theta, dtype=float), False)[0]

    def prior_terms(self, theta: np.ndarray) -> float:
        theta = np.asarray(theta, dtype=float)
        total = sum(((theta[i] - c) / s) ** 2 for i, c, s in self._pull)
        for idx, mean, inv in self._blocks:
            dz = theta[idx] - mean
            total += float(dz @ inv @ dz)
        return float(total)

    def __call__(self, theta: np.ndarray) -> float:
        theta = np.asarray(theta, dtype=float)
        value = self.data_terms(theta)
        return value + self.prior_terms(theta) if np.isfinite(value) else value

    def value_and_grad(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """χ² and its gradient: in the oscillation and free-spectrum parameters with the covariance
        treatment (the others are fixed there), in every free parameter with pull terms."""
        theta = np.asarray(theta, dtype=float)
        value, g_mu = self._data_value_grad(theta, True)
        if g_mu is None:
            return value, np.zeros(len(theta))
        adjoint = g_mu.reshape(-1, self.nb)
        if self.statistic == "pulls":
            grad = self.model.gradient(theta, adjoint)
        else:
            grad = self.model.gradient_free(theta, adjoint)
        for i, c, s in self._pull:
            grad[i] += 2.0 * (theta[i] - c) / (s * s)
        for idx, mean, inv in self._blocks:
            grad[idx] += 2.0 * inv @ (theta[idx] - mean)
        return value + self.prior_terms(theta), grad

    def grad(self, theta: np.ndarray) -> np.ndarray:
        return self.value_and_grad(theta)[1]


def covariance_cached(model: DayaBayModel, groups: tuple[str, ...]) -> np.ndarray:
    """V_syst at the nominal point over ``groups``, computed once per model (it does not depend on data)."""
    if not groups:
        return np.zeros((sum(s.det.n_bins for s in model.detectors),) * 2)
    cache = model.__dict__.setdefault("_covariances", {})
    if groups not in cache:
        cache[groups] = model.covariance(None, list(groups))
    return cache[groups]


DayaBayModel.likelihood_class = DayaBayLikelihood
