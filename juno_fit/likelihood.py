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

import hashlib
import itertools
import pickle
from typing import Any

import numpy as np

from ._numba import kernel
from .config.rules import MAX_COUNTS
from .errors import ConfigError
from .model import Model
from .physics.derived import DERIVED, STANDARD, derived_priors
from .stages import DetectorPrediction
from .threads import limited_threads

STATISTICS = ("poisson", "cnp", "pearson", "neyman")


# --------------------------------------------------------------------------------------------------
# Per-bin statistics: kernels and NumPy twins
# --------------------------------------------------------------------------------------------------


def _profiled_beta_numpy(n, mu, var):
    """(β̂, s²) per bin: the bin nuisance minimising 2[μ(1+β) − n + n ln(n/(μ(1+β)))] + β²/s², s² = v/μ²,
    i.e. the root of β² + (μs² + 1)β + (μ − n)s² = 0 written without cancellation."""
    s2 = np.divide(var, mu * mu, out=np.zeros_like(mu), where=mu > 0)
    b = mu * s2 + 1.0
    c = (mu - n) * s2
    return -2.0 * c / (b + np.sqrt(np.maximum(b * b - 4.0 * c, 0.0))), s2


def poisson_numpy(n, mu, var):
    """Σ over bins of the profiled Poisson deviance (see module docstring)."""
    beta, s2 = _profiled_beta_numpy(n, mu, var)
    m = mu * (1.0 + beta)
    log_term = np.where(n > 0, n * np.log(np.where(n > 0, n, 1.0) / m), 0.0)
    prior = np.divide(beta * beta, s2, out=np.zeros_like(beta), where=s2 > 0)
    return float(np.sum(2.0 * (m - n + log_term) + prior))


@kernel
def _profiled_beta(n, m0, v):
    """Scalar twin of :func:`_profiled_beta_numpy`: (β̂, s²) of one bin."""
    s2 = v / (m0 * m0) if m0 > 0.0 else 0.0
    if s2 <= 0.0:
        return 0.0, 0.0
    b = m0 * s2 + 1.0
    c = (m0 - n) * s2
    return -2.0 * c / (b + np.sqrt(max(b * b - 4.0 * c, 0.0))), s2


@kernel
def poisson_kernel(n, mu, var):
    """Numba twin of :func:`poisson_numpy`."""
    total = 0.0
    for i in range(n.shape[0]):
        m0 = mu[i]
        beta, s2 = _profiled_beta(n[i], m0, var[i])
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


def statistic_grad_numpy(n, mu, var, kind):
    """(value, ∂/∂μ per bin, ∂/∂v per bin) of the per-bin statistic; kind 0 = Poisson (profiled),
    1 = CNP, 2 = Pearson, 3 = Neyman. Twin of :func:`statistic_grad_kernel`.

    Poisson: D = min_β 2[μ(1+β) − n + n ln(n/(μ(1+β)))] + β²μ²/v; by the envelope theorem
    ∂D/∂μ = 2[(1+β) − n/μ] + 2β²μ/v and ∂D/∂v = −β²μ²/v² (limit −(μ−n)²/μ² as v → 0).
    χ²: t = (n−μ)²/V, ∂t/∂μ = −2(n−μ)/V − t V'/V, ∂t/∂v = −t/V.
    """
    if kind == 0:
        value = poisson_numpy(n, mu, var)
        beta, _s2 = _profiled_beta_numpy(n, mu, var)
        safe = np.where(var > 0, var, 1.0)
        dmu = 2.0 * ((1.0 + beta) - n / mu) + np.where(var > 0, 2.0 * beta * beta * mu / safe, 0.0)
        dvar = np.where(var > 0, -beta * beta * mu * mu / (safe * safe), -(((mu - n) / mu) ** 2))
        return value, dmu, dvar
    if kind == 1:
        pos = n > 0
        nn = np.where(pos, n, 1.0)
        den = 1.0 / nn + 2.0 / mu
        stat = np.where(pos, 3.0 / den, 0.5 * mu)
        dstat = np.where(pos, 6.0 / (mu * mu * den * den), 0.5)
    elif kind == 2:
        stat, dstat = mu, np.ones_like(mu)
    else:
        stat, dstat = np.maximum(n, 1.0), np.zeros_like(mu)
    v = stat + var
    t = (n - mu) ** 2 / v
    return float(np.sum(t)), -2.0 * (n - mu) / v - t * dstat / v, -t / v


@kernel
def statistic_grad_kernel(n, mu, var, kind):
    """Numba twin of :func:`statistic_grad_numpy`."""
    m = n.shape[0]
    dmu = np.empty(m)
    dvar = np.empty(m)
    total = 0.0
    for i in range(m):
        if kind == 0:
            m0 = mu[i]
            v = var[i]
            beta, s2 = _profiled_beta(n[i], m0, v)
            mm = m0 * (1.0 + beta)
            term = mm - n[i]
            if n[i] > 0.0:
                term += n[i] * np.log(n[i] / mm)
            total += 2.0 * term
            if v > 0.0:
                total += beta * beta / s2
                dmu[i] = 2.0 * ((1.0 + beta) - n[i] / m0) + 2.0 * beta * beta * m0 / v
                dvar[i] = -beta * beta * m0 * m0 / (v * v)
            else:
                dmu[i] = 2.0 * (1.0 - n[i] / m0)
                r = (m0 - n[i]) / m0
                dvar[i] = -r * r
        else:
            if kind == 1:
                if n[i] > 0.0:
                    den = 1.0 / n[i] + 2.0 / mu[i]
                    stat = 3.0 / den
                    dstat = 6.0 / (mu[i] * mu[i] * den * den)
                else:
                    stat = 0.5 * mu[i]
                    dstat = 0.5
            elif kind == 2:
                stat = mu[i]
                dstat = 1.0
            else:
                stat = max(n[i], 1.0)
                dstat = 0.0
            v = stat + var[i]
            d = n[i] - mu[i]
            t = d * d / v
            total += t
            dmu[i] = -2.0 * d / v - t * dstat / v
            dvar[i] = -t / v
    return total, dmu, dvar


@kernel
def prior_kernel(theta, pull_index, pull_mean, pull_sigma, block_index, block_mean, block_inverse, grad, want_grad):
    """Σ ((θ − θ₀)/σ)² + Σ_blocks δᵀ C⁻¹ δ, and (when want_grad) its gradient added into ``grad``.
    Blocks are stacked: block_index (n_blocks, m), block_mean (n_blocks, m), block_inverse (n_blocks, m, m)."""
    total = 0.0
    for i in range(pull_index.shape[0]):
        z = (theta[pull_index[i]] - pull_mean[i]) / pull_sigma[i]
        total += z * z
        if want_grad:
            grad[pull_index[i]] += 2.0 * z / pull_sigma[i]
    nb = block_index.shape[0]
    m = block_index.shape[1] if nb > 0 else 0
    delta = np.empty(m)
    for bk in range(nb):
        for a in range(m):
            delta[a] = theta[block_index[bk, a]] - block_mean[bk, a]
        for a in range(m):
            acc = 0.0
            for b in range(m):
                acc += block_inverse[bk, a, b] * delta[b]
            total += delta[a] * acc
            if want_grad:
                grad[block_index[bk, a]] += 2.0 * acc
    return total


_CHI2_KIND = {"poisson": 0, "cnp": 1, "pearson": 2, "neyman": 3}


def statistic_value(statistic: str, n: np.ndarray, mu: np.ndarray, var: np.ndarray, *, numpy: bool = False) -> float:
    """The data term of ``statistic`` (one of STATISTICS)."""
    if statistic == "poisson":
        return poisson_numpy(n, mu, var) if numpy else poisson_kernel(n, mu, var)
    kind = _CHI2_KIND[statistic]
    if kind == 0:
        raise ValueError("unreachable")
    return chi2_numpy(n, mu, var, kind) if numpy else chi2_kernel(n, mu, var, kind)


# --------------------------------------------------------------------------------------------------
# The likelihood of a model and a data set
# --------------------------------------------------------------------------------------------------


def chi2_variance(n: np.ndarray, mu: np.ndarray, kind: int) -> tuple[np.ndarray, np.ndarray]:
    """The statistical variance of each bin in a χ² statistic and its derivative in μ: CNP (kind 1)
    3/(1/n + 2/μ), μ/2 for n = 0 (so that the bin adds 2μ); Pearson (2) μ; Neyman (3) max(n, 1)."""
    if kind == 1:
        pos = n > 0
        inv = np.where(pos, 1.0 / np.where(pos, n, 1.0), 0.0) + 2.0 / mu
        v = np.where(pos, 3.0 / inv, 0.5 * mu)
        dv = np.where(pos, 6.0 / (mu * mu * inv * inv), 0.5)
        return v, dv
    if kind == 2:
        return mu.copy(), np.ones_like(mu)
    return np.maximum(n, 1.0), np.zeros_like(mu)


def nuisance_covariance(model: Model) -> np.ndarray:
    """V = Σ_k J_k J_kᵀ over the nuisances a covariance treatment holds fixed (priors kept, fixed): J_k =
    (μ(θ₀ + δ_k) − μ(θ₀ − δ_k))/2 with δ_k one prior σ, and for a correlated block each eigenvector of its
    covariance scaled by √λ; μ the expected counts of every detector, concatenated (so detectors that
    share a nuisance are correlated)."""
    params = model.parameters
    theta0 = params.values()
    directions: list[np.ndarray] = []
    for p in params:
        if p.fixed and p.error is not None and not params.in_block(p.name):
            d = np.zeros(len(theta0))
            d[params.index(p.name)] = p.error
            directions.append(d)
    for b in params.blocks:
        if not all(params[n].fixed for n in b.names):
            continue
        lam, vec = np.linalg.eigh(b.covariance)
        for m in range(len(lam)):
            d = np.zeros(len(theta0))
            d[[params.index(n) for n in b.names]] = np.sqrt(max(lam[m], 0.0)) * vec[:, m]
            directions.append(d)
    n_bins = sum(len(e) for e in model.expected(theta0))
    jac = np.zeros((n_bins, len(directions)))
    for k, d in enumerate(directions):
        up = np.concatenate(model.expected(theta0 + d))
        down = np.concatenate(model.expected(theta0 - d))
        jac[:, k] = 0.5 * (up - down)
    return jac @ jac.T


def data_arrays(model: Model, data: Any) -> list[np.ndarray]:
    """Observed counts per detector in the model's order, from a data set (anything with
    ``arrays(model)``, e.g. :class:`~juno_fit.datasets.Dataset`), a list of data sets (one per part of
    a joint model, in its order), or a list of arrays (returned as they are)."""
    if hasattr(data, "arrays"):
        return data.arrays(model)
    data = list(data)
    parts = getattr(model, "parts", None)
    if parts is not None and data and all(hasattr(d, "arrays") for d in data):
        if len(data) != len(parts):
            raise ValueError(f"data sets for {len(data)} experiments, the joint model has {len(parts)}")
        return [a for part, d in zip(parts, data, strict=True) for a in d.arrays(part)]
    return data


class Likelihood:
    """−2 ln L (Poisson) or χ² of data given θ, including pull terms; call it with the full θ.

    :meth:`grad` returns the exact gradient with respect to every parameter (reverse mode through
    the model's linear stages, forward derivatives inside the kernels; see Model ``backprop``).

    Parameters
    ----------
    model : Model
    data : Dataset, list of Dataset or list of arrays
        Observed counts per detector, in the model's binning (:func:`data_arrays`).
    statistic : str, optional
        One of STATISTICS; default the config's ``[fit] statistic``.
    """

    def __new__(cls, model: Model, data: Any, statistic: str | None = None):
        other = getattr(model, "likelihood_class", None)  # a model with its own statistic (Daya Bay)
        if other is not None:
            return other(model, data_arrays(model, data), statistic)
        return super().__new__(cls)

    def __init__(self, model: Model, data: Any, statistic: str | None = None):
        data = data_arrays(model, data)
        self.model = model
        self.statistic = statistic or model.config.fit.statistic
        # the exact 3×3 matter diagonalisation has no derivatives: MINUIT's numerical gradient then
        self.exact_gradient = getattr(getattr(model.config, "oscillation", None), "matter", "") != "exact"
        if self.statistic not in STATISTICS:
            raise ValueError(f"unknown statistic {self.statistic!r} (accepted: {', '.join(STATISTICS)})")
        self.kind = _CHI2_KIND[self.statistic]
        # constraints on derived quantities (physics/derived.py), resolved once: none for most configs
        self.derived = {n: c for n, c in model.config.fit.constraints.items() if n in DERIVED}
        self.derived_index = [model.parameters.index(n) for n in STANDARD] if self.derived else []
        if len(data) != len(model.detectors):
            raise ValueError(f"data for {len(data)} detectors, model has {len(model.detectors)}")
        self.data = [np.ascontiguousarray(d, dtype=float) for d in data]
        for d, det in zip(self.data, model.detectors, strict=True):
            if d.shape != (det.det.n_bins,):
                raise ValueError(f"{det.det.name}: data has {d.shape[0]} bins, model {det.det.n_bins}")
        params = model.parameters
        independent = [p for p in params if not p.fixed and p.error is not None and not params.in_block(p.name)]
        self.pull_index = np.array([params.index(p.name) for p in independent], dtype=np.int64)
        self.pull_mean = np.array([p.centre for p in independent], dtype=float)
        self.pull_sigma = np.array([p.error for p in independent], dtype=float)
        sizes = {len(b.names) for b in params.blocks}
        if len(sizes) > 1:
            raise ValueError("correlated prior blocks must have equal sizes")
        m = sizes.pop() if sizes else 0
        self.block_index = np.array([[params.index(n) for n in b.names] for b in params.blocks], dtype=np.int64)
        self.block_index = self.block_index.reshape(len(params.blocks), m)
        self.block_mean = np.array([b.mean for b in params.blocks], dtype=float).reshape(len(params.blocks), m)
        self.block_inverse = np.array([np.linalg.inv(b.covariance) for b in params.blocks], dtype=float).reshape(
            len(params.blocks), m, m
        )
        # the covariance treatment (``[fit] treatment``): nuisances fixed, their priors a matrix in the χ²
        self.covariance = nuisance_covariance(model) if model.config.fit.treatment == "covariance" else None
        if self.covariance is not None and self.kind == 0:
            raise ValueError("the covariance treatment needs a χ² statistic (cnp, pearson or neyman)")
        on = model.config.fit.systematics
        spectra = model.config.flux.spectra
        self._det: list[dict] = []
        for det in model.detectors:
            edges = det.reco_edges
            centres = 0.5 * (edges[1:] + edges[:-1])
            if on["reference_shape"] and spectra.shape_sigma is not None:
                ref = np.interp(centres, spectra.shape_energy, spectra.shape_sigma)
            else:
                ref = np.zeros(len(centres))
            fixed = [b for b in det.det.backgrounds if det.bkg_shapes[b.name] is not None]
            world = [b for b in det.det.backgrounds if det.bkg_shapes[b.name] is None]
            shape_sigma = {
                b.name: (b.shape_uncertainty if on["background_shapes"] else 0.0) for b in det.det.backgrounds
            }
            info = {
                "ref2": ref**2,
                "names": [b.name for b in fixed],
                "B": np.array([det.bkg_shapes[b.name] * b.rate_per_day * det.exposure_days for b in fixed]).reshape(
                    len(fixed), len(centres)
                ),
                "idx_b": np.array([det.i_bkg[b.name] for b in fixed], dtype=np.int64),
                "sig2_b": np.array([shape_sigma[b.name] ** 2 for b in fixed]),
                "world": None,
            }
            info["B2"] = info["B"] ** 2
            if world:
                (w,) = world
                info["world"] = (
                    w.name,
                    det.i_bkg[w.name],
                    w.rate_per_day * det.exposure_days,
                    shape_sigma[w.name] ** 2,
                )
            self._det.append(info)

    # ----- pieces -----
    def _expectation(self, k: int, theta: np.ndarray):
        """μ and v of detector k, and the pieces the gradient needs."""
        det, info = self.model.detectors[k], self._det[k]
        m_sig = det.signal_reco(theta)
        scale = det.signal_scale(theta)
        mu_ibd = scale * m_sig
        rates = theta[info["idx_b"]]
        mu = mu_ibd + rates @ info["B"]
        var = info["ref2"] * mu_ibd * mu_ibd + (info["sig2_b"] * rates * rates) @ info["B2"]
        world = None
        if info["world"] is not None:
            _name, i_w, w_scale, sig2_w = info["world"]
            m_w = det.world_reco(theta)
            total_w = m_w.sum()
            mu_w = theta[i_w] * w_scale * m_w / total_w
            mu = mu + mu_w
            var = var + sig2_w * mu_w * mu_w
            world = (m_w, total_w, mu_w)
        return mu, var, scale, mu_ibd, rates, world

    def systematic_variance(self, k: int, pred: DetectorPrediction) -> np.ndarray:
        """Bin-to-bin systematic variance of detector k for a prediction (absolute, counts²)."""
        info = self._det[k]
        var = info["ref2"] * pred.ibd**2
        for name, sig2 in zip(info["names"], info["sig2_b"], strict=True):
            var = var + sig2 * pred.backgrounds[name] ** 2
        if info["world"] is not None:
            name, _i, _scale, sig2 = info["world"]
            var = var + sig2 * pred.backgrounds[name] ** 2
        return var

    def prior_terms(self, theta: np.ndarray) -> float:
        """Σ ((θ − θ₀)/σ)² over independent priors plus δᵀ C⁻¹ δ over correlated blocks, plus the
        constraints on derived quantities (:mod:`juno_fit.physics.derived`)."""
        return self._derived_priors(theta) + prior_kernel(
            np.asarray(theta, dtype=float),
            self.pull_index,
            self.pull_mean,
            self.pull_sigma,
            self.block_index,
            self.block_mean,
            self.block_inverse,
            np.zeros(0),
            False,
        )

    def _derived_priors(self, theta: np.ndarray, grad: np.ndarray | None = None) -> float:
        if not self.derived:
            return 0.0
        inputs = self.model.config.fit.derived_inputs
        return derived_priors(theta, self.derived_index, self.derived, inputs, grad)

    def _covariance_chi2(self, theta: np.ndarray, expectations: list) -> tuple[float, list, list]:
        """rᵀ C⁻¹ r over all bins, C = diag(stat + bin-to-bin variances) + V, and per detector
        (∂χ²/∂μ, ∂χ²/∂var) for the gradient."""
        from scipy.linalg import cho_factor, cho_solve

        mu = np.concatenate([e[0] for e in expectations])
        var = np.concatenate([e[1] for e in expectations])
        n = np.concatenate(self.data)
        v, dv = chi2_variance(n, mu, self.kind)
        cov = self.covariance + np.diag(v + var)
        r = n - mu
        x = cho_solve(cho_factor(cov), r)
        f_mu, f_v = -2.0 * x - x * x * dv, -x * x
        bounds = np.cumsum([0] + [len(d) for d in self.data])
        split = [(f_mu[a:b], f_v[a:b]) for a, b in itertools.pairwise(bounds)]
        return float(r @ x), [f for f, _ in split], [g for _, g in split]

    def _expectations(self, theta: np.ndarray) -> list | None:
        """:meth:`_expectation` of every detector; None where an expectation is not finite and positive."""
        expectations = [self._expectation(k, theta) for k in range(len(self.data))]
        if not all(np.all(e[0] > 0) and np.all(np.isfinite(e[0])) for e in expectations):
            return None
        return expectations

    def data_terms(self, theta: np.ndarray) -> float:
        """The statistic of the data alone (no prior terms) at θ."""
        if self.covariance is not None:
            expectations = self._expectations(theta)
            return np.inf if expectations is None else self._covariance_chi2(theta, expectations)[0]
        total = 0.0
        for k in range(len(self.data)):
            mu, var = self._expectation(k, theta)[:2]
            if not np.all(mu > 0) or not np.all(np.isfinite(mu)):
                return np.inf
            if self.kind == 0:
                total += poisson_kernel(self.data[k], mu, var)
            else:
                total += chi2_kernel(self.data[k], mu, var, self.kind)
        return total

    def __call__(self, theta: np.ndarray) -> float:
        """−2 ln L (or χ²) at θ: the data terms plus the prior terms of the nuisance parameters."""
        theta = np.asarray(theta, dtype=float)
        return self.data_terms(theta) + self.prior_terms(theta)

    def value_and_grad(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """The statistic and its exact gradient with respect to every parameter of θ."""
        theta = np.asarray(theta, dtype=float)
        grad = np.zeros(len(theta))
        total = prior_kernel(
            theta,
            self.pull_index,
            self.pull_mean,
            self.pull_sigma,
            self.block_index,
            self.block_mean,
            self.block_inverse,
            grad,
            True,
        )
        total += self._derived_priors(theta, grad)
        expectations = self._expectations(theta)
        if expectations is None:
            return np.inf, np.full(len(theta), np.nan)
        if self.covariance is not None:
            value, f_mus, f_vs = self._covariance_chi2(theta, expectations)
            total += value
        for k, det in enumerate(self.model.detectors):
            info = self._det[k]
            mu, var, scale, mu_ibd, rates, world = expectations[k]
            if self.covariance is not None:
                f_mu, f_v = f_mus[k], f_vs[k]
            else:
                value, f_mu, f_v = statistic_grad_kernel(self.data[k], mu, var, self.kind)
                total += value
            a_ibd = f_mu + 2.0 * f_v * info["ref2"] * mu_ibd
            grad[det.i_eff] += float(np.dot(a_ibd, mu_ibd)) / theta[det.i_eff] if theta[det.i_eff] != 0 else 0.0
            if len(rates):
                grad[info["idx_b"]] += info["B"] @ f_mu + 2.0 * info["sig2_b"] * rates * (info["B2"] @ f_v)
            alpha_world = None
            if world is not None:
                m_w, total_w, mu_w = world
                _name, i_w, w_scale, sig2_w = info["world"]
                a_w = f_mu + 2.0 * f_v * sig2_w * mu_w
                grad[i_w] += float(np.dot(a_w, w_scale * m_w / total_w))
                alpha_world = theta[i_w] * w_scale / total_w * (a_w - np.dot(a_w, m_w) / total_w)
            det.backprop(theta, scale * a_ibd, alpha_world, grad)
        return total, grad

    def grad(self, theta: np.ndarray) -> np.ndarray:
        """The exact gradient of the statistic with respect to every parameter of θ."""
        return self.value_and_grad(theta)[1]

    @property
    def n_bins(self) -> int:
        """Bins of all detectors."""
        return sum(len(d) for d in self.data)

    @property
    def ndof(self) -> int:
        """Bins minus the free parameters that no prior constrains (priors count as measurements)."""
        params = self.model.parameters
        unconstrained = [p for p in params if not p.fixed and p.error is None and not params.in_block(p.name)]
        return self.n_bins - len(unconstrained)


def config_digest(config) -> str:
    """Identity of a config with every field the model reads (text, exposure, replaced fields)."""
    return hashlib.sha256(pickle.dumps(config, protocol=5)).hexdigest()


def check_counts(model: Model, expected: list[np.ndarray]) -> None:
    """Refuse a model whose expected counts the statistics cannot handle to per-mille precision:
    non-finite, or more than MAX_COUNTS in a detector (config/rules.py)."""
    config = model.config
    for det, mu in zip(config.detectors, expected, strict=True):
        total = float(np.sum(mu))
        if not np.all(np.isfinite(mu)) or total > MAX_COUNTS:
            what = "non-finite counts" if not np.all(np.isfinite(mu)) else f"{total:.3g} events"
            raise ConfigError(
                config.file,
                f"detectors.{det.name}",
                f"the model expects {what} in {config.exposure_days:g} days (at most {MAX_COUNTS:g} per detector, "
                "where the statistics stay exact to per-mille): lower target_protons, the background rates "
                "or the exposure",
            )


def warm_model(config, *, backend: str = "numba") -> Model:
    """Build the model of a config, check its expected counts and run its statistic and gradient
    once, under the build lock of this config, so that concurrent processes compile each kernel once
    and then share the on-disk cache (juno_fit/_numba.py), and BLAS threads limited
    (juno_fit/threads.py)."""
    from ._numba import compile_lock

    with compile_lock(config_digest(config)), limited_threads():
        model = Model(config, backend=backend)
        theta = model.parameters.values()
        expected = model.expected(theta)
        if hasattr(config, "detectors"):
            check_counts(model, expected)
        lik = Likelihood(model, expected)
        if lik.exact_gradient:
            lik.value_and_grad(theta)
        else:
            lik(theta)
    return model
