"""Test statistics: data n against expectation μ(θ), plus prior (pull) terms.

Statistic per bin (``[fit] statistic``), with v the bin's systematic variance from the covariance-type
uncertainties (below):

- ``"poisson"`` (default): the Poisson deviance −2 ln λ = 2 [μ − n + n ln(n/μ)], with the bin-to-bin
  systematic as a multiplicative nuisance μ → μ(1 + β), β ~ N(0, s²), s² = v/μ², profiled analytically
  per bin (the minimum over β of the deviance plus β²/s² solves a quadratic);
- ``"cnp"``: combined Neyman–Pearson χ² of Ji et al., NIM A 961 (2020) 163677:
  (n − μ)² / (3/(1/n + 2/μ) + v), equal to 2μ for n = 0;
- ``"pearson"``: (n − μ)² / (μ + v);
- ``"neyman"``: (n − μ)² / (max(n, 1) + v).

Systematic uncertainties enter in two ways, each switchable in ``[systematics]``:

- as nuisance parameters with Gaussian priors (pull terms ((θ − θ₀)/σ)²), or multivariate Gaussian
  blocks (δᵀ C⁻¹ δ, fission fractions of a core), from the parameter registry (parameters.py);
- as bin-to-bin uncorrelated covariances (the usual treatment for shape uncertainties without a
  parametrisation): the reactor reference-spectrum shape uncertainty constrained by TAO
  (v = (σ_ref(E) μ_IBD)², ``reference_shape``) and the background shape uncertainties
  (v = Σ_c (σ_c μ_c)², ``background_shapes``).

Each per-bin statistic is a Numba kernel with a NumPy twin.
"""

from __future__ import annotations

import numpy as np

from ._numba import kernel
from .model import DetectorPrediction, Model

STATISTICS = ("poisson", "cnp", "pearson", "neyman")


# --------------------------------------------------------------------------------------------------
# Per-bin statistics: kernels and NumPy twins
# --------------------------------------------------------------------------------------------------


def poisson_numpy(n, mu, var):
    """Σ over bins of the profiled Poisson deviance (see module docstring)."""
    s2 = np.divide(var, mu * mu, out=np.zeros_like(mu), where=mu > 0)
    b = mu * s2 + 1.0
    c = (mu - n) * s2
    beta = -2.0 * c / (b + np.sqrt(np.maximum(b * b - 4.0 * c, 0.0)))
    m = mu * (1.0 + beta)
    log_term = np.where(n > 0, n * np.log(np.where(n > 0, n, 1.0) / m), 0.0)
    prior = np.divide(beta * beta, s2, out=np.zeros_like(beta), where=s2 > 0)
    return float(np.sum(2.0 * (m - n + log_term) + prior))


@kernel
def poisson_kernel(n, mu, var):
    """Numba twin of :func:`poisson_numpy`."""
    total = 0.0
    for i in range(n.shape[0]):
        m0 = mu[i]
        s2 = var[i] / (m0 * m0) if m0 > 0.0 else 0.0
        beta = 0.0
        if s2 > 0.0:
            b = m0 * s2 + 1.0
            c = (m0 - n[i]) * s2
            beta = -2.0 * c / (b + np.sqrt(max(b * b - 4.0 * c, 0.0)))
        m = m0 * (1.0 + beta)
        term = m - n[i]
        if n[i] > 0.0:
            term += n[i] * np.log(n[i] / m)
        total += 2.0 * term
        if s2 > 0.0:
            total += beta * beta / s2
    return total


def chi2_numpy(n, mu, var, kind):
    """Σ over bins of (n − μ)²/σ² for kind 1 = CNP, 2 = Pearson, 3 = Neyman (σ² includes var)."""
    if kind == 1:
        stat = np.where(n > 0, 3.0 / (1.0 / np.where(n > 0, n, 1.0) + 2.0 / mu), 0.5 * mu)
    elif kind == 2:
        stat = mu
    else:
        stat = np.maximum(n, 1.0)
    return float(np.sum((n - mu) ** 2 / (stat + var)))


@kernel
def chi2_kernel(n, mu, var, kind):
    """Numba twin of :func:`chi2_numpy`."""
    total = 0.0
    for i in range(n.shape[0]):
        if kind == 1:
            stat = 3.0 / (1.0 / n[i] + 2.0 / mu[i]) if n[i] > 0.0 else 0.5 * mu[i]
        elif kind == 2:
            stat = mu[i]
        else:
            stat = max(n[i], 1.0)
        d = n[i] - mu[i]
        total += d * d / (stat + var[i])
    return total


_CHI2_KIND = {"cnp": 1, "pearson": 2, "neyman": 3}


def statistic_value(statistic: str, n: np.ndarray, mu: np.ndarray, var: np.ndarray, *, numpy: bool = False) -> float:
    """The data term of ``statistic`` (one of STATISTICS)."""
    if statistic == "poisson":
        return poisson_numpy(n, mu, var) if numpy else poisson_kernel(n, mu, var)
    kind = _CHI2_KIND[statistic]
    return chi2_numpy(n, mu, var, kind) if numpy else chi2_kernel(n, mu, var, kind)


# --------------------------------------------------------------------------------------------------
# The likelihood of a model and a data set
# --------------------------------------------------------------------------------------------------


class Likelihood:
    """−2 ln L (Poisson) or χ² of data given θ, including pull terms; call it with the full θ.

    Parameters
    ----------
    model : Model
    data : list of arrays
        Observed counts per detector, in the model's binning.
    statistic : str, optional
        One of STATISTICS; default the config's ``[fit] statistic``.
    """

    def __init__(self, model: Model, data: list[np.ndarray], statistic: str | None = None):
        self.model = model
        self.statistic = statistic or model.config.fit.statistic
        if self.statistic not in STATISTICS:
            raise ValueError(f"unknown statistic {self.statistic!r} (accepted: {', '.join(STATISTICS)})")
        if len(data) != len(model.detectors):
            raise ValueError(f"data for {len(data)} detectors, model has {len(model.detectors)}")
        self.data = [np.ascontiguousarray(d, dtype=float) for d in data]
        for d, det in zip(self.data, model.detectors, strict=True):
            if d.shape != (det.det.n_bins,):
                raise ValueError(f"{det.det.name}: data has {d.shape[0]} bins, model {det.det.n_bins}")
        params = model.parameters
        independent = [p for p in params if not p.fixed and p.error is not None and not params.in_block(p.name)]
        self.pull_index = np.array([params.index(p.name) for p in independent], dtype=np.int64)
        self.pull_mean = np.array([p.value for p in independent])
        self.pull_sigma = np.array([p.error for p in independent])
        self.blocks = [
            (np.array([params.index(n) for n in b.names]), b.mean, np.linalg.inv(b.covariance)) for b in params.blocks
        ]
        on = model.config.fit.systematics
        spectra = model.config.flux.spectra
        self.ref_sigma: list[np.ndarray | None] = []
        self.bkg_sigma: list[dict[str, float]] = []
        for det in model.detectors:
            edges = det.reco_edges
            if on["reference_shape"] and spectra.shape_sigma is not None:
                centres = 0.5 * (edges[1:] + edges[:-1])
                self.ref_sigma.append(np.interp(centres, spectra.shape_energy, spectra.shape_sigma))
            else:
                self.ref_sigma.append(None)
            self.bkg_sigma.append(
                {
                    b.name: b.shape_uncertainty
                    for b in det.det.backgrounds
                    if on["background_shapes"] and b.shape_uncertainty > 0
                }
            )

    # ----- pieces -----
    def systematic_variance(self, k: int, pred: DetectorPrediction) -> np.ndarray:
        """Bin-to-bin systematic variance of detector k at this prediction (absolute, counts²)."""
        var = np.zeros_like(pred.ibd)
        ref = self.ref_sigma[k]
        if ref is not None:
            var += (ref * pred.ibd) ** 2
        for name, sigma in self.bkg_sigma[k].items():
            var += (sigma * pred.backgrounds[name]) ** 2
        return var

    def prior_terms(self, theta: np.ndarray) -> float:
        """Σ ((θ − θ₀)/σ)² over independent priors plus δᵀ C⁻¹ δ over correlated blocks."""
        z = (theta[self.pull_index] - self.pull_mean) / self.pull_sigma
        total = float(z @ z)
        for idx, mean, inv in self.blocks:
            d = theta[idx] - mean
            total += float(d @ inv @ d)
        return total

    def data_terms(self, theta: np.ndarray) -> float:
        total = 0.0
        for k, det in enumerate(self.model.detectors):
            pred = det.predict(theta)
            mu = pred.total
            if np.any(~np.isfinite(mu)) or np.any(mu <= 0):
                return np.inf
            total += statistic_value(self.statistic, self.data[k], mu, self.systematic_variance(k, pred))
        return total

    def __call__(self, theta: np.ndarray) -> float:
        theta = np.asarray(theta, dtype=float)
        return self.data_terms(theta) + self.prior_terms(theta)

    @property
    def n_bins(self) -> int:
        return sum(len(d) for d in self.data)

    @property
    def ndof(self) -> int:
        """Bins minus the free parameters that no prior constrains (priors count as measurements)."""
        params = self.model.parameters
        unconstrained = [p for p in params if not p.fixed and p.error is None and not params.in_block(p.name)]
        return self.n_bins - len(unconstrained)
