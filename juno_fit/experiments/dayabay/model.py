"""The Daya Bay model: the stages from reactor exposures to the 21 detector-period spectra, cached on the
parameters each reads, and the exact reverse-mode gradient through them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...config.dayabay_file import DYB_OSCILLATION, DYB_SYSTEMATICS, DayaBayConfig
from ...constants import SECONDS_PER_DAY
from ...dayabay_release import Release
from ...physics.hypotheses import HYPOTHESES
from ...physics.oscillation import effective_s2t, pee_eff_kernel, pee_eff_numpy
from ...physics.response_matrices import distortion_adjoint, distortion_matrix, rebin_matrix
from ...physics.response_matrices import leakage_derivative as iav_derivative
from ...physics.response_matrices import leakage_matrix as iav_matrix
from ...stages import DetectorPrediction, StagedCache
from . import hypothesis as hypmod
from .inputs import (
    _param,
    _value_sigma,
    build_inputs,
    linear_weights,
    refine_lsnl,
    resolution_matrix,
)
from .kernels import (
    pee_kernel,
    pee_numpy,
    raw_adjoint_kernel,
    raw_adjoint_numpy,
    raw_kernel,
    raw_numpy,
    solar_phase_kernel,
)
from .parameters import build_parameters, hall

# --------------------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpectrumInfo:
    """One observed spectrum (detector × period) as the data-set code sees a detector."""

    name: str
    bin_edges: np.ndarray

    @property
    def n_bins(self) -> int:
        return len(self.bin_edges) - 1


@dataclass
class _Spectrum:
    det: SpectrumInfo

    @property
    def reco_edges(self) -> np.ndarray:  # the data-set code checks a file's binning against these
        return self.det.bin_edges


class DayaBayModel(StagedCache):
    """Expected counts of the 21 Daya Bay spectra (detector × period) in the final 26 bins.

    ``predict(θ)`` returns one :class:`~juno_fit.stages.DetectorPrediction` per spectrum (IBD and
    the five backgrounds); the stages are cached on the parameters they read, like the JUNO model's.
    """

    def __init__(self, config: DayaBayConfig, *, backend: str = "numba", release: Release | None = None):
        from ...dayabay_release import load_release

        if backend not in ("numba", "numpy"):
            raise ValueError(f"unknown backend {backend!r} (accepted: numba, numpy)")
        self.config = config
        self.backend = backend
        rel = release if release is not None else load_release(config.release_format)
        self.release = rel
        inp = build_inputs(rel)
        self.inputs = inp
        self.parameters, self.nuisances = build_parameters(rel, config)
        self.pairs = inp.pairs
        self.fine_edges = rel.ibd_edges
        self.final_edges = rel.final_edges
        self.rebin = rebin_matrix(self.fine_edges, self.final_edges)
        self.detectors = [_Spectrum(SpectrumInfo(f"{d}.{p}", self.final_edges)) for p, d in self.pairs]
        self.det_of_pair = np.array([rel.detectors.index(d) for _, d in self.pairs], dtype=np.int64)
        self.factor = rel.constants["survival_probability_argument_factor"]
        # reactor side
        iso = rel.isotopes
        self.ff0 = np.array([float(_param(rel, "reactor_fission_fractions", "fission_fractions", i)) for i in iso])
        epf0 = np.array([_value_sigma(rel, "reactor_energy_per_fission", "energy_per_fission", i)[0] for i in iso])
        e_nom = float(self.ff0 @ epf0)
        n_protons = float(_param(rel, "detector_n_protons_nominal", "n_protons_nominal_ad"))
        corr = rel.parameters["detector_n_protons_correction"]["parameters"]["n_protons_correction"]
        eps = float(_param(rel, "detector_efficiency", "efficiency"))
        geo = 1e-4 / (4.0 * np.pi * inp.baselines**2)  # 1/(4πL²) in cm⁻² for L in m
        self.kgeo = np.array(
            [
                [n_protons * float(corr[d]) * geo[rel.detectors.index(d), r] * eps for r in range(len(rel.reactors))]
                for _, d in self.pairs
            ]
        )
        self.thermal = inp.exposure.thermal_energy
        self.tau = inp.exposure.eff_livetime
        w = inp.mesh.weight
        self.sw = inp.hm * w
        self.sneq_w = inp.hm * inp.neq * w
        w_nom = (
            float(_param(rel, "reactor_thermal_power_nominal", "nominal_thermal_power"))
            * rel.constants["conversion_reactor_power"]
        )
        fis_snf = self.ff0 * w_nom / e_nom
        self.phi_snf_w = (fis_snf @ inp.hm)[None, :] * inp.snf * w
        self.has_neq = np.array([1.0 if i in rel.nonequilibrium else 0.0 for i in iso])
        nodes = rel.hm_uncertainty["uncorr"][iso[0]][0]
        self.hm_sigma_unc = np.array([np.interp(nodes, *rel.hm_uncertainty["uncorr"][i]) for i in iso])
        self.hm_sigma_corr = np.array([np.interp(nodes, *rel.hm_uncertainty["corr"][i]) for i in iso])
        self.hm_idx, self.hm_w = linear_weights(inp.mesh.enu, nodes)
        self.spec_idx, self.spec_w = linear_weights(inp.mesh.enu, rel.spectrum_mesh)
        # detector side
        self.lsnl_x, self.lsnl_y0, self.lsnl_dy = refine_lsnl(rel)
        # backgrounds
        self.bkg_kinds = rel.backgrounds
        self.bkg_shapes = {
            b: np.array(
                [
                    self.rebin @ (rel.background_shapes[p][b][d] / rel.background_shapes[p][b][d].sum())
                    for p, d in self.pairs
                ]
            )
            for b in self.bkg_kinds
        }
        self.tau_days = self.tau / SECONDS_PER_DAY
        self.acc_counts = inp.exposure.accidentals
        self.bkg_rate = {}
        for b in ("amc", "lithium_helium", "fast_neutrons"):
            vs = [_value_sigma(rel, "background_rates_correlated", b, p, d) for p, d in self.pairs]
            rate = np.array([v for v, _ in vs])
            sigma = np.array([s for _, s in vs])
            rel_sigma = sigma / rate if config.background_sigma == "relative" else sigma
            self.bkg_rate[b] = (rate, rel_sigma)
        self._index()
        self._cache = {}

    # ----- indices -----
    def _index(self) -> None:
        p = self.parameters
        rel = self.release
        ix = p.index
        self.i_osc = np.array([ix(n) for n in DYB_OSCILLATION], dtype=np.int64)
        self.hypothesis = HYPOTHESES[self.config.oscillation.model]
        self.i_extra = np.array([ix(n) for n in self.hypothesis.parameters], dtype=np.int64)
        self.i_pee = np.concatenate([self.i_osc, self.i_extra]).astype(np.int64)
        self.i_spec = np.array([ix(f"spec.{k:02d}") for k in range(len(rel.spectrum_mesh))], dtype=np.int64)
        self.i_power = np.array([ix(f"reactor.power.{r}") for r in rel.reactors], dtype=np.int64)
        self.i_snf = np.array([ix(f"reactor.snf.{r}") for r in rel.reactors], dtype=np.int64)
        self.i_epf = np.array([ix(f"reactor.epf.{i}") for i in rel.isotopes], dtype=np.int64)
        self.i_ff = np.array([[ix(f"reactor.ff.{r}.{i}") for i in rel.isotopes] for r in rel.reactors], dtype=np.int64)
        self.i_neq = np.array(
            [
                [ix(f"reactor.neq.{r}.{i}") if i in rel.nonequilibrium else -1 for i in rel.isotopes]
                for r in rel.reactors
            ],
            dtype=np.int64,
        )
        self.i_hm_corr = ix("hm.corr")
        n_nodes = self.hm_sigma_unc.shape[1]
        self.i_hm_unc = np.array(
            [[ix(f"hm.uncorr.{i}.{n:03d}") for n in range(n_nodes)] for i in rel.isotopes], dtype=np.int64
        )
        self.i_res = np.array([ix(f"det.res.{t}") for t in "abc"], dtype=np.int64)
        self.i_pulls = np.array([ix(f"det.lsnl.pull{k}") for k in range(self.lsnl_dy.shape[0])], dtype=np.int64)
        self.i_eff = np.array([ix(f"det.{d}.eff") for d in rel.detectors], dtype=np.int64)
        self.i_escale = np.array([ix(f"det.{d}.escale") for d in rel.detectors], dtype=np.int64)
        self.i_iav = np.array([ix(f"det.{d}.iav") for d in rel.detectors], dtype=np.int64)
        self.i_acc = np.array([ix(f"bkg.accidentals.{p_}.{d}") for p_, d in self.pairs], dtype=np.int64)
        self.i_alpha = np.array([ix(f"bkg.alpha_neutron.{p_}.{d}") for p_, d in self.pairs], dtype=np.int64)
        self.i_amc = ix("bkg.amc")
        self.i_site = {
            b: np.array([ix(f"bkg.{b}.{hall(d)}.{p_}") for p_, d in self.pairs], dtype=np.int64)
            for b in ("lithium_helium", "fast_neutrons")
        }
        neq = self.i_neq[self.i_neq >= 0]
        self.idx_hm = np.concatenate([[self.i_hm_corr], self.i_hm_unc.ravel()]).astype(np.int64)
        self.idx_ab = np.concatenate(
            [self.idx_hm, self.i_power, self.i_snf, self.i_epf, self.i_ff.ravel(), neq]
        ).astype(np.int64)
        self.idx_common = np.concatenate([self.i_res, self.i_pulls]).astype(np.int64)
        self.idx_bkg = np.concatenate([self.i_acc, self.i_alpha, [self.i_amc], *self.i_site.values()]).astype(np.int64)

    # ----- stages -----
    def _hm_factor(self, theta: np.ndarray) -> np.ndarray:
        """C^HM_i at the mesh points: node factors (1 + η σ^unc)(1 + ζ σ^corr), linearly interpolated."""

        def compute():
            eta = theta[self.i_hm_unc]
            zeta = theta[self.i_hm_corr]
            node = (1.0 + eta * self.hm_sigma_unc) * (1.0 + zeta * self.hm_sigma_corr)
            return node[:, self.hm_idx] * self.hm_w[0] + node[:, self.hm_idx + 1] * self.hm_w[1]

        return self._stage("hm", theta, self.idx_hm, compute)

    def _kmain(self, theta: np.ndarray) -> np.ndarray:
        """Fissions × protons × efficiency / (4πL²) per (pair, reactor, isotope)."""
        phi = np.abs(self.ff0[None, :] * theta[self.i_ff])  # (reactors, isotopes)
        e_bar = phi @ theta[self.i_epf]
        per_fission = theta[self.i_power][:, None] * phi / e_bar[:, None]
        return self.thermal[:, :, None] * per_fission[None, :, :] * self.kgeo[:, :, None]

    def _ab(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        def compute():
            k_main = self._kmain(theta)
            sc = self.sw * self._hm_factor(theta)
            a = np.einsum("kri,ip->krp", k_main, sc)
            c_neq = np.where(self.i_neq >= 0, theta[np.maximum(self.i_neq, 0)], 0.0)  # (reactors, isotopes)
            b = np.einsum("kri,ip->krp", k_main * c_neq[None], self.sneq_w)
            k_snf = self.tau[:, None] * self.kgeo * theta[self.i_snf][None, :]
            b += k_snf[:, :, None] * self.phi_snf_w[None, :, :]
            return np.ascontiguousarray(a), np.ascontiguousarray(b)

        return self._stage("ab", theta, self.idx_ab, compute)

    def _pee(self, theta: np.ndarray, derivatives: bool = False):
        if self.i_extra.size:  # a hypothesis beyond three flavours: its P_ee, the gradient by contraction
            return self._stage("pee_h", theta, self.i_pee, lambda: hypmod.probability(self, theta)), None
        s2t13, dm32, s2t12, dm21 = (float(x) for x in theta[self.i_osc])
        enu, base = self.inputs.mesh.enu, self.inputs.baselines

        def compute():
            osc = self.config.oscillation
            if osc.matter == "knp":
                eff, jac = effective_s2t(enu, s2t13, dm32, s2t12, dm21, osc.density, osc.electron_fraction)
                if self.backend == "numba":
                    return pee_eff_kernel(enu, base, eff, jac, self.factor, derivatives)
                p, dp = pee_eff_numpy(enu, base, eff, jac, self.factor)
                return p, (dp if derivatives else np.empty((4, 0, 0, 0)))
            if self.backend == "numba":
                solar = self._stage(
                    "solar", theta, self.i_osc[3:], lambda: solar_phase_kernel(enu, base, dm21, self.factor)
                )
                return pee_kernel(enu, base, s2t13, dm32, s2t12, dm21, self.factor, derivatives, solar)
            p, dp = pee_numpy(enu, base, s2t13, dm32, s2t12, dm21, self.factor)
            return p, (dp if derivatives else np.empty((4, 0, 0, 0)))

        if derivatives:
            return self._stage("pee_d", theta, self.i_osc, compute)
        hit = self._cache.get("pee_d")
        if hit is not None and hit[0] == theta[self.i_osc].tobytes():
            return hit[1]
        return self._stage("pee", theta, self.i_osc, compute)

    def _free_factor(self, theta: np.ndarray) -> np.ndarray:
        def compute():
            p = theta[self.i_spec]
            return np.exp(p[self.spec_idx] * self.spec_w[0] + p[self.spec_idx + 1] * self.spec_w[1])

        return self._stage("free", theta, self.i_spec, compute)

    def raw(self, theta: np.ndarray) -> np.ndarray:
        """IBD counts per spectrum and fine deposited-energy bin (before the detector response)."""

        def compute():
            p, _ = self._pee(theta)
            f = self._free_factor(theta)
            a, b = self._ab(theta)
            fn = raw_kernel if self.backend == "numba" else raw_numpy
            return fn(p, f, a, b, self.inputs.mesh.bin, self.det_of_pair, self.inputs.mesh.n_bins)

        idx = np.concatenate([self.i_pee, self.i_spec, self.idx_ab])
        return self._stage("raw", theta, idx, compute)

    def response(self, theta: np.ndarray, d: int) -> np.ndarray:
        """Final-bin response of detector d: Rebin · R_res · M_lsnl(s_d) · M_iav(s_iav,d), (26 × 240)."""
        idx = np.concatenate([self.idx_common, [self.i_escale[d], self.i_iav[d]]]).astype(np.int64)

        def compute():
            rr = self._stage("res", theta, self.i_res, lambda: self.rebin @ self._resolution(theta))
            return rr @ (self._lsnl(theta, d) @ self._iav(theta, d))

        return self._stage(f"resp{d}", theta, idx, compute)

    # the factors of the response, each cached on its own parameters (the gradient reuses them)
    def _resolution(self, theta: np.ndarray) -> np.ndarray:
        a, b, c = (float(x) for x in theta[self.i_res])
        return self._stage("res_fine", theta, self.i_res, lambda: resolution_matrix(self.fine_edges, a, b, c))

    def _lsnl_curve(self, theta: np.ndarray, d: int) -> tuple[np.ndarray, np.ndarray]:
        """(s_d, y₀ + Σ a_k Δ_k): the energy map of detector d is their product."""
        return float(theta[self.i_escale[d]]), self.lsnl_y0 + theta[self.i_pulls] @ self.lsnl_dy

    def _lsnl(self, theta: np.ndarray, d: int) -> np.ndarray:
        def compute():
            scale, shape = self._lsnl_curve(theta, d)
            return distortion_matrix(self.fine_edges, self.lsnl_x, scale * shape)

        idx = np.append(self.i_pulls, self.i_escale[d])
        return self._stage(f"lsnl{d}", theta, idx, compute)

    def _iav(self, theta: np.ndarray, d: int) -> np.ndarray:
        i = self.i_iav[d]
        return self._stage(f"iav{d}", theta, np.array([i]), lambda: iav_matrix(self.release.iav, float(theta[i])))

    def backgrounds(self, theta: np.ndarray) -> dict[str, np.ndarray]:
        """Background counts per spectrum and final bin, by kind."""

        def compute():
            counts = {
                "accidentals": theta[self.i_acc] * self.acc_counts,
                "alpha_neutron": theta[self.i_alpha] * self.tau_days,
            }
            rate, s = self.bkg_rate["amc"]
            counts["amc"] = rate * self.tau_days * (1.0 + s * theta[self.i_amc])
            for b in ("lithium_helium", "fast_neutrons"):
                rate, s = self.bkg_rate[b]
                counts[b] = rate * self.tau_days * (1.0 + s * theta[self.i_site[b]])
            return {b: counts[b][:, None] * self.bkg_shapes[b] for b in self.bkg_kinds}

        return self._stage("bkg", theta, self.idx_bkg, compute)

    def ibd(self, theta: np.ndarray) -> np.ndarray:
        raw = self.raw(theta)
        eff = theta[self.i_eff]
        out = np.empty((len(self.pairs), len(self.final_edges) - 1))
        for k, d in enumerate(self.det_of_pair):
            out[k] = eff[d] * (self.response(theta, int(d)) @ raw[k])
        return out

    def predict(self, theta: np.ndarray | None = None, *, cores: bool = False):
        theta = self.parameters.values() if theta is None else np.asarray(theta, dtype=float)
        ibd = self.ibd(theta)
        bkg = self.backgrounds(theta)
        return [
            DetectorPrediction(s.det.name, self.final_edges, ibd[k], {b: bkg[b][k] for b in self.bkg_kinds})
            for k, s in enumerate(self.detectors)
        ]

    def expected(self, theta: np.ndarray) -> list[np.ndarray]:
        theta = np.asarray(theta, dtype=float)
        total = self.ibd(theta) + sum(self.backgrounds(theta).values())
        return list(total)

    def total(self, theta: np.ndarray) -> np.ndarray:
        """All 546 expected counts, spectra concatenated in the model's order."""
        return np.concatenate(self.expected(theta))

    def theta(self, **updates: float) -> np.ndarray:
        return self.parameters.vector(updates)

    def real_data(self) -> list[np.ndarray]:
        """The observed spectra of the release in the final bins."""
        return [self.rebin @ self.release.ibd[p][d] for p, d in self.pairs]

    # ----- gradient with respect to the oscillation and spectrum parameters -----
    def _raw_adjoint(self, theta: np.ndarray, adjoint: np.ndarray) -> np.ndarray:
        """∂χ²/∂raw (spectra × fine bins) from ∂χ²/∂μ (spectra × final bins)."""
        raw_adj = np.empty((len(self.pairs), self.inputs.mesh.n_bins))
        eff = theta[self.i_eff]
        for k, d in enumerate(self.det_of_pair):
            raw_adj[k] = eff[d] * (self.response(theta, int(d)).T @ adjoint[k])
        return raw_adj

    def gradient_free(self, theta: np.ndarray, adjoint: np.ndarray) -> np.ndarray:
        """∂χ²/∂θ for the oscillation and free-spectrum parameters, given ∂χ²/∂μ (spectra × bins);
        zero for the other parameters (their derivatives are not needed with the covariance χ²)."""
        theta = np.asarray(theta, dtype=float)
        return self._gradient_free(theta, self._raw_adjoint(theta, adjoint))

    def _gradient_free(self, theta: np.ndarray, raw_adj: np.ndarray) -> np.ndarray:
        p, dp = self._pee(theta, derivatives=True)
        f = self._free_factor(theta)
        a, b = self._ab(theta)
        grad = np.zeros(len(theta))
        if dp is None:
            g_osc, grad[self.i_extra], g_f = hypmod.gradient(self, theta, p, f, a, b, raw_adj)
        else:
            fn = raw_adjoint_kernel if self.backend == "numba" else raw_adjoint_numpy
            g_osc, g_f = fn(p, dp, f, a, b, self.inputs.mesh.bin, self.det_of_pair, np.ascontiguousarray(raw_adj))
        grad[self.i_osc] = g_osc
        gf = g_f * f
        n_spec = len(self.i_spec)
        grad[self.i_spec] = np.bincount(self.spec_idx, gf * self.spec_w[0], minlength=n_spec) + np.bincount(
            self.spec_idx + 1, gf * self.spec_w[1], minlength=n_spec
        )
        return grad

    def gradient(self, theta: np.ndarray, adjoint: np.ndarray) -> np.ndarray:
        """∂χ²/∂θ for every parameter except the Huber–Mueller ones, given ∂χ²/∂μ (spectra × bins).

        All in closed form, in reverse mode: through the response matrices to the fine spectra, through
        the integration to the oscillation, spectrum and reactor parameters (thermal power, fission
        fractions, energy per fission, non-equilibrium, spent fuel), and into the response itself
        (efficiency, resolution, LSNL pulls, energy and IAV scales); background rates directly."""
        theta = np.asarray(theta, dtype=float)
        adjoint = np.asarray(adjoint, dtype=float)
        raw_adj = self._raw_adjoint(theta, adjoint)
        grad = self._gradient_free(theta, raw_adj)
        self._gradient_reactor(theta, raw_adj, grad)
        self._gradient_detector(theta, adjoint, grad)
        self._gradient_backgrounds(theta, adjoint, grad)
        return grad

    def _gradient_reactor(self, theta: np.ndarray, raw_adj: np.ndarray, grad: np.ndarray) -> None:
        p, _ = self._pee(theta)
        f = self._free_factor(theta)
        # w[k, r, point] = ∂χ²/∂raw at the point's bin × P_ee: raw = Σ_r,points w-weighted (F a + b)
        w = raw_adj[:, self.inputs.mesh.bin][:, None, :] * p[self.det_of_pair]
        sc = self.sw * self._hm_factor(theta)
        g_a = np.einsum("krp,ip->kri", w, f[None, :] * sc)
        g_b = np.einsum("krp,ip->kri", w, self.sneq_w)
        g_snf = np.einsum("krp,rp->kr", w, self.phi_snf_w)
        has = self.i_neq >= 0
        c_neq = np.where(has, theta[np.maximum(self.i_neq, 0)], 0.0)
        k_main = self._kmain(theta)
        np.add.at(grad, self.i_neq[has], (k_main * g_b).sum(axis=0)[has])
        np.add.at(grad, self.i_snf, (g_snf * self.tau[:, None] * self.kgeo).sum(axis=0))
        # k_main[k, r, i] = T[k, r] q_ri with q_ri = W_r φ_ri / Ē_r, φ_ri = |f_i s_ri|, Ē_r = Σ_i φ_ri e_i
        g_q = ((g_a + c_neq[None] * g_b) * (self.thermal * self.kgeo)[:, :, None]).sum(axis=0)
        s = theta[self.i_ff]
        phi = np.abs(self.ff0[None, :] * s)
        e = theta[self.i_epf]
        ebar = phi @ e
        power = theta[self.i_power]
        h = (g_q * phi).sum(axis=1)
        np.add.at(grad, self.i_power, h / ebar)
        common = power * h / (ebar * ebar)
        d_phi = g_q * (power / ebar)[:, None] - common[:, None] * e[None, :]
        np.add.at(grad, self.i_ff, d_phi * self.ff0[None, :] * np.sign(self.ff0[None, :] * s))
        np.add.at(grad, self.i_epf, -(common[:, None] * phi).sum(axis=0))

    def _gradient_detector(self, theta: np.ndarray, adjoint: np.ndarray, grad: np.ndarray) -> None:
        """Efficiencies, resolution, LSNL pulls, energy and IAV scales in closed form, through the
        derivatives of the Gaussian resolution matrix, of the edges of the nonlinearity's
        axis-distortion matrix and of the IAV matrix (R_d = Rebin · Res · M_lsnl · M_iav)."""
        raw = self.raw(theta)
        eff = theta[self.i_eff]
        a, b, c = (float(x) for x in theta[self.i_res])
        centres = 0.5 * (self.fine_edges[1:] + self.fine_edges[:-1])
        res = self._resolution(theta)
        g_res = np.zeros_like(res)  # ∂χ²/∂Res (fine × fine)
        by_det: dict[int, list[int]] = {}
        for k, d in enumerate(self.det_of_pair):
            by_det.setdefault(int(d), []).append(k)
        for d, ks in by_det.items():
            scale, shape = self._lsnl_curve(theta, d)
            y = scale * shape
            m_lsnl = self._lsnl(theta, d)
            s_iav = float(theta[self.i_iav[d]])
            m_iav = self._iav(theta, d)
            back = adjoint[ks] @ self.rebin  # ∂χ²/∂(fine reconstructed spectrum) / eff
            u = eff[d] * back @ res  # ∂χ²/∂(M_lsnl M_iav raw)
            v = raw[ks] @ m_iav.T  # M_iav raw
            w = v @ m_lsnl.T  # M_lsnl M_iav raw
            g_res += (eff[d] * back).T @ w
            grad[self.i_eff[d]] += float(np.sum(back * (w @ res.T)))
            # nonlinearity: the edge x(E_k) moves by −(∂y/∂θ)(x)/y'(x)
            inv, sens, slope = distortion_adjoint(self.fine_edges, self.lsnl_x, y, u, v)
            weight = -sens / slope
            grad[self.i_escale[d]] += float(weight @ np.interp(inv, self.lsnl_x, shape))
            for i, dy in zip(self.i_pulls, self.lsnl_dy, strict=True):
                grad[i] += scale * float(weight @ np.interp(inv, self.lsnl_x, dy))
            z = u @ m_lsnl  # ∂χ²/∂(M_iav raw)
            grad[self.i_iav[d]] += float(np.sum(iav_derivative(self.release.iav, s_iav) * (z.T @ raw[ks])))
        # Res[j, i] = ΔE_j N(E_j; E_i, σ_i): ∂Res/∂σ_i = Res (z² − 1)/σ_i; σ_i² = E_i² a² + E_i b² + c²
        sig = centres * np.sqrt(a * a + b * b / centres + c * c / (centres * centres))
        zz = (centres[:, None] - centres[None, :]) / sig[None, :]
        per_sigma = np.sum(g_res * res * (zz * zz - 1.0), axis=0) / sig
        for i, d_sigma in zip(self.i_res, (centres**2 * a / sig, centres * b / sig, c / sig), strict=True):
            grad[i] += float(per_sigma @ d_sigma)

    def _gradient_backgrounds(self, theta: np.ndarray, adjoint: np.ndarray, grad: np.ndarray) -> None:
        proj = {b: np.einsum("kb,kb->k", adjoint, self.bkg_shapes[b]) for b in self.bkg_kinds}
        np.add.at(grad, self.i_acc, self.acc_counts * proj["accidentals"])
        np.add.at(grad, self.i_alpha, self.tau_days * proj["alpha_neutron"])
        rate, s = self.bkg_rate["amc"]
        grad[self.i_amc] += np.sum(rate * self.tau_days * s * proj["amc"])
        for b in ("lithium_helium", "fast_neutrons"):
            rate, s = self.bkg_rate[b]
            np.add.at(grad, self.i_site[b], rate * self.tau_days * s * proj[b])

    # ----- systematic covariance matrix -----
    def jacobian(self, theta: np.ndarray, groups: list[str] | None = None, step: float = 0.1) -> np.ndarray:
        """∂μ/∂z (546 × directions) over the unit-normal nuisance directions of the active groups:
        the Huber–Mueller node uncertainties analytically (μ is linear in them), the others by a
        four-point central difference of step ``step`` σ."""
        theta = np.asarray(theta, dtype=float)
        groups = [g for g in DYB_SYSTEMATICS if g in (groups or DYB_SYSTEMATICS)]
        cols = []
        for g in groups:
            dirs = self.nuisances.groups[g]
            if not dirs:
                continue
            if g == "hm_uncorrelated":
                cols.append(self._jacobian_hm_uncorrelated(theta, dirs))
                continue
            for direction in dirs:
                idx = np.array(list(direction), dtype=np.int64)
                shift = np.array(list(direction.values()))

                def mu(z: float, idx=idx, shift=shift) -> np.ndarray:
                    t = theta.copy()
                    t[idx] += z * shift
                    return self.total(t)

                h = step
                cols.append(((4.0 / 3.0) * (mu(h / 2) - mu(-h / 2)) - (1.0 / 6.0) * (mu(h) - mu(-h))) / h)
        self.total(theta)  # leave the caches at θ
        return np.column_stack([c if c.ndim == 2 else c[:, None] for c in cols]) if cols else np.zeros((0, 0))

    def _jacobian_hm_uncorrelated(self, theta: np.ndarray, dirs: list[dict[int, float]]) -> np.ndarray:
        """Columns of the Huber–Mueller node parameters: μ is linear in each η_in, whose factor
        (1 + η σ) is interpolated linearly between nodes (ζ held at its value)."""
        n_iso, n_nodes = self.i_hm_unc.shape
        p, _ = self._pee(theta)
        f = self._free_factor(theta)
        k_main = self._kmain(theta)
        zeta = theta[self.i_hm_corr]
        corr_node = 1.0 + zeta * self.hm_sigma_corr  # (iso, nodes)
        out = np.zeros((len(self.pairs) * (len(self.final_edges) - 1), n_iso * n_nodes))
        eff = theta[self.i_eff]
        nb = len(self.final_edges) - 1
        bins = self.inputs.mesh.bin
        col_of = {}
        for i in range(n_iso):
            for n in range(n_nodes):
                col_of[int(self.i_hm_unc[i, n])] = i * n_nodes + n
        for k, d in enumerate(self.det_of_pair):
            resp = eff[d] * self.response(theta, int(d))
            pk = p[d]  # (reactors, points)
            for i in range(n_iso):
                # per point: Σ_r P K_main S w F × (other factor of the product at the point's nodes)
                u = (pk * k_main[k, :, i][:, None]).sum(axis=0) * self.sw[i] * f
                j = np.zeros((self.inputs.mesh.n_bins, n_nodes))
                for side in (0, 1):
                    node = self.hm_idx + side
                    other = corr_node[i, node]
                    np.add.at(j, (bins, node), u * self.hm_w[side] * other * self.hm_sigma_unc[i, node])
                out[k * nb : (k + 1) * nb, i * n_nodes : (i + 1) * n_nodes] = resp @ j
        keep = [col_of[next(iter(dct))] for dct in dirs]
        scale = np.array([next(iter(dct.values())) for dct in dirs])
        return out[:, keep] * scale[None, :]

    def covariance(self, theta: np.ndarray | None = None, groups: list[str] | None = None) -> np.ndarray:
        """V_syst = J Jᵀ at θ (default nominal) over the active systematic groups."""
        theta = self.parameters.values() if theta is None else np.asarray(theta, dtype=float)
        j = self.jacobian(theta, groups)
        return j @ j.T if j.size else np.zeros((len(self.total(theta)),) * 2)

    # ----- oscillation parameters and derived quantities for the fit code -----
    oscillation_names = DYB_OSCILLATION

    @staticmethod
    def derived_quantities(values: dict[str, float], covariance: np.ndarray, free: list[str]) -> dict:
        """sin²θ13 and Δm²31 = Δm²32 + Δm²21 with propagated errors."""
        import math

        s = values["sin2_2theta13"]
        root = math.sqrt(max(1.0 - s, 1e-300))
        quantities = {
            "sin2_theta13": (0.5 * (1.0 - root), {"sin2_2theta13": 0.25 / root}),
            "dm2_31": (values["dm2_32"] + values["dm2_21"], {"dm2_32": 1.0, "dm2_21": 1.0}),
        }
        out = {}
        for name, (value, grads) in quantities.items():
            g = np.array([grads.get(n, 0.0) for n in free])
            var = float(g @ covariance @ g) if covariance.size else 0.0
            out[name] = (float(value), math.sqrt(max(var, 0.0)))
        return out
