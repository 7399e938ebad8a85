"""The experiment model: detectors × reactor cores → expected counts per reconstructed-energy bin.

For each detector the cores are grouped by baseline (cores whose baselines differ by less than a
factor 1.25 share one antineutrino-energy grid, built for the group's largest baseline, see
physics/grid.py). Stages, each cached on the parameters it reads, so moving one nuisance recomputes
only what depends on it:

1. flux      Φ_r(E_j) per core on its group's grid nodes          reads flux.snf, flux.noneq
2. survival  P_r(E_j)                                             reads the oscillation parameters, matter.density
3. fold      h = Σ_groups K_g Σ_r n_r Φ_r P_r (fine E_dep bins)   reads flux.norm, flux.core.*
4. response  matrix R (nonlinearity, scale, resolution)          reads det.escale, det.lsnl.*, det.res.*
             applied to the fine spectrum as a banded matrix–vector product
5. counts    × target protons × efficiency × live days × duty cycle, plus backgrounds
             reads det.eff, bkg.*.rate

Units: h is in events per second per target proton with all cores on; the counts of an exposure
are h N_p ε 86400 s/day × days × duty cycle. Backgrounds are rates per day after selection and are
not scaled by the reactor duty cycle.

``backend="numpy"`` runs every stage with the NumPy twins of the kernels (for tests and benchmarks).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from ...config import ISOTOPES, Config, Detector
from ...config.rules import MAX_FOLD_WORK, MAX_MATRIX_ENTRIES
from ...constants import SECONDS_PER_DAY
from ...errors import ConfigError
from ...parameters import ParameterSet
from ...physics import backgrounds as bkgmod
from ...physics import banded
from ...physics import flux as fluxmod
from ...physics import grid as gridmod
from ...physics import ibd as ibdmod
from ...physics import oscillation as oscmod
from ...physics import response as respmod
from ...physics import response_matrices as rmat
from ...physics.banded import BandedMatrix
from ...physics.hypotheses import HYPOTHESES
from ...stages import DetectorPrediction, StagedCache
from .parameters import background_prefix, build_parameters, detector_prefix

BASELINE_GROUP_FACTOR = 1.25  # cores within this baseline ratio share an E_ν grid
RESPONSE_NSIGMA = 5.0  # resolution window: Φ's argument clamped to ±5; drops 2Φ(−5) = 5.7e-7 of each fine bin

_FOLD_CACHE: dict[tuple, BandedMatrix] = {}


def _fold_matrix(grid: gridmod.EnuGrid, edep_edges: np.ndarray, xsec: ibdmod.CrossSection) -> BandedMatrix:
    """Fold matrices depend only on the grids and the cross section: build each once per process."""
    key = (grid.panel_edges.tobytes(), grid.n_per_panel, edep_edges.tobytes(), xsec)
    if key not in _FOLD_CACHE:
        if len(_FOLD_CACHE) > 16:
            _FOLD_CACHE.clear()
        _FOLD_CACHE[key] = gridmod.build_fold_matrix(
            grid, edep_edges, xsec, max_entries=MAX_MATRIX_ENTRIES, max_work=MAX_FOLD_WORK
        )
    return _FOLD_CACHE[key]


# --------------------------------------------------------------------------------------------------
# Predictions
# --------------------------------------------------------------------------------------------------


@dataclass
class _CoreGroup:
    cores: list[int]
    baselines: np.ndarray
    grid: gridmod.EnuGrid
    fold: BandedMatrix
    spec: np.ndarray  # (4, N) isotope spectra at the nodes
    neq: np.ndarray  # (4, N) non-equilibrium corrections
    snf: np.ndarray  # (N,) spent-fuel correction
    fractions: np.ndarray  # (R, 4) nominal fission fractions
    scales: np.ndarray  # (R,) fissions / (cm² s) at the detector, nominal fractions
    use_snf: np.ndarray  # (R,)
    mean_energy: np.ndarray  # (R,) MeV per fission at the nominal fractions
    ref_modes: np.ndarray  # (N, K) relative reference-spectrum change per unit of flux.ref.pcK


class DetectorModel(StagedCache):
    """One detector with its cores; see the module docstring for the stages."""

    def _fold_checked(self, grid: gridmod.EnuGrid, xsec: ibdmod.CrossSection) -> BandedMatrix:
        try:
            return _fold_matrix(grid, self.edep_edges, xsec)
        except gridmod.GridTooLarge as exc:
            num = self.config.numerics
            raise ConfigError(
                self.config.file,
                "numerics",
                f"edep_bin = {num.edep_bin:g}, edep_onset_bin = {num.edep_onset_bin:g}, panel_max = "
                f"{num.panel_max:g}, panel_phase = {num.panel_phase:g} and dm2_max = {num.dm2_max:g} need {exc}; "
                "widen the fine bins or the E_ν panels",
            ) from None

    def __init__(
        self, det: Detector, config: Config, xsec: ibdmod.CrossSection, params: ParameterSet, backend: str = "numba"
    ):
        if backend not in ("numba", "numpy"):
            raise ValueError(f"unknown backend {backend!r} (accepted: numba, numpy)")
        self.det = det
        self.config = config
        self.backend = backend
        num = config.numerics
        e_thr = ibdmod.threshold()
        self.edep_edges = gridmod.edep_bin_edges(
            xsec,
            e_thr,
            num.enu_max,
            num.edep_bin,
            onset=num.edep_onset,
            onset_width=num.edep_onset_bin,
            scale_energy=num.edep_scale_energy,
            max_width=num.edep_bin_max,
        )
        spectra = config.flux.spectra
        shape = config.flux.free_shape
        cores = det.site.cores
        order = sorted(range(len(cores)), key=lambda r: cores[r].baseline_m)
        groups: list[list[int]] = []
        for r in order:
            if groups and cores[r].baseline_m <= BASELINE_GROUP_FACTOR * cores[groups[-1][0]].baseline_m:
                groups[-1].append(r)
            else:
                groups.append([r])
        self.groups: list[_CoreGroup] = []
        for members in groups:
            baselines = np.array([cores[r].baseline_m for r in members])
            grid = gridmod.make_enu_grid(
                e_thr,
                num.enu_max,
                float(baselines.max()),
                panel_nodes=num.panel_nodes,
                panel_phase=num.panel_phase,
                panel_max=num.panel_max,
                dm2_max=num.dm2_max,
            )
            sub = tuple(cores[r] for r in members)
            self.groups.append(
                _CoreGroup(
                    cores=members,
                    baselines=baselines,
                    grid=grid,
                    fold=self._fold_checked(grid, xsec),
                    spec=fluxmod.isotope_spectra(grid.nodes, spectra) * self._shape_correction(grid.nodes),
                    neq=fluxmod.nonequilibrium_corrections(grid.nodes, spectra),
                    snf=fluxmod.snf_correction(grid.nodes, spectra),
                    fractions=np.array([c.fission_fractions for c in sub]),
                    scales=fluxmod.core_scales(sub, spectra.energy_per_fission, config.flux.normalisation),
                    use_snf=np.array([1.0 if c.snf else 0.0 for c in sub]),
                    mean_energy=np.array([np.dot(c.fission_fractions, spectra.energy_per_fission) for c in sub]),
                    ref_modes=np.hstack(
                        [
                            fluxmod.reference_modes(grid.nodes, config.flux.reference_covariance),
                            fluxmod.free_shape_modes(grid.nodes, shape.nodes if shape is not None else None),
                        ]
                    ),
                )
            )
        self.energy_per_fission = np.asarray(spectra.energy_per_fission)
        self.f0, self.dpulls = respmod.nonlinearity_at(self.edep_edges, det.nonlinearity)
        self.reco_edges = np.ascontiguousarray(det.bin_edges)
        if det.response_model == "matrix":
            # the matrix response's visible-energy bins: 0 to 1 MeV past the last reconstructed edge
            step = det.response_step
            self.w_edges = step * np.arange(int(np.rint((self.reco_edges[-1] + 1.0) / step)) + 1)
            self.w_rebin = sparse.csr_matrix(rmat.rebin_matrix(self.w_edges, self.reco_edges))
        self.exposure_days = config.exposure_days
        # Backgrounds with a fixed shape; "reactor" shapes go through the response (stage 4).
        self.bkg_shapes: dict[str, np.ndarray | None] = {}
        for bkg in det.backgrounds:
            if bkg.shape == "reactor":
                self.bkg_shapes[bkg.name] = None
            else:
                try:
                    self.bkg_shapes[bkg.name] = bkgmod.shape_in_bins(bkg, self.reco_edges)
                except ValueError as exc:
                    raise ConfigError(det.file, f"backgrounds.{bkg.name}", str(exc)) from None
        self.h_world = self._world_reactor_spectrum() if any(s is None for s in self.bkg_shapes.values()) else None
        self._index(params, config)
        self._cache = {}

    def _shape_correction(self, enu: np.ndarray) -> np.ndarray:
        """The config's reference-spectrum correction R(E_ν) (1 without one; constant beyond the table)."""
        corr = self.config.flux.shape_correction
        return np.ones_like(enu) if corr is None else np.interp(enu, corr[0], corr[1])

    # ----- parameter indices (resolved once; the hot path indexes θ directly) -----
    def _index(self, params: ParameterSet, config: Config) -> None:
        det = self.det
        d = detector_prefix(config, det)
        b = background_prefix(config, det)
        self.i_osc = np.array([params.index(n) for n in oscmod.OSC_INPUTS[:4]], dtype=np.int64)
        self.i_density = params.index("matter.density") if "matter.density" in params else None
        self.hypothesis = HYPOTHESES[config.oscillation.model]
        self.i_extra = np.array([params.index(n) for n in self.hypothesis.parameters], dtype=np.int64)
        self.i_norm = params.index("flux.norm")
        self.i_snf = params.index("flux.snf") if "flux.snf" in params else None
        self.i_noneq = params.index("flux.noneq") if "flux.noneq" in params else None
        self.i_cores = [
            np.array([params.index(f"flux.core.{det.site.cores[r].name}") for r in g.cores]) for g in self.groups
        ]
        self.i_ff = [
            np.array([[params.index(f"flux.ff.{det.site.cores[r].name}.{iso}") for iso in ISOTOPES] for r in g.cores])
            for g in self.groups
        ]
        self.i_eff = params.index(f"{d}eff")
        self.i_escale = params.index(f"{d}escale")
        self.i_pulls = np.array(
            [params.index(f"{d}lsnl.pull{k}") for k in range(len(det.nonlinearity.pulls))], dtype=np.int64
        )
        self.i_res = np.array([params.index(f"{d}res.{t}") for t in "abc"], dtype=np.int64)
        self.i_bkg = {bkg.name: params.index(f"{b}{bkg.name}.rate") for bkg in det.backgrounds}
        # the columns of ref_modes: the measured spectrum's eigenmodes, then the free mesh's nodes
        ref = config.flux.reference_covariance
        shape = config.flux.free_shape
        names = [f"flux.ref.pc{k}" for k in range(ref.modes().shape[1] if ref is not None else 0)]
        names += [f"flux.shape.{k}" for k in range(len(shape.nodes) if shape is not None else 0)]
        self.i_ref = np.array([params.index(n) for n in names], dtype=np.int64)
        # the parameters each stage reads, as index arrays into θ
        corrections = [i for i in (self.i_noneq, self.i_snf) if i is not None]
        self.idx_flux = np.array(
            corrections + [int(i) for g in self.i_ff for i in g.ravel()] + list(self.i_ref), dtype=np.int64
        )
        self.idx_osc = np.concatenate(
            [self.i_osc, [self.i_density] if self.i_density is not None else [], self.i_extra]
        ).astype(np.int64)
        self.idx_norm = np.concatenate([[self.i_norm], *self.i_cores]).astype(np.int64)
        self.idx_fine = np.concatenate([self.idx_flux, self.idx_osc, self.idx_norm])
        self.idx_det = np.concatenate([[self.i_escale], self.i_pulls, self.i_res]).astype(np.int64)

    # ----- stage 1: flux -----
    def _fractions(self, theta: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per group: fission fractions f = f0 (1 + δ) and fission-rate scales P/(Σ f e)/(4πL²)."""
        out = []
        for g, idx in zip(self.groups, self.i_ff, strict=True):
            fractions = g.fractions * (1.0 + theta[idx])
            out.append((fractions, g.scales * g.mean_energy / (fractions @ self.energy_per_fission)))
        return out

    def _corrections(self, theta: np.ndarray) -> tuple[float, float]:
        c_neq = float(theta[self.i_noneq]) if self.i_noneq is not None else 0.0
        c_snf = float(theta[self.i_snf]) if self.i_snf is not None else 0.0
        return c_neq, c_snf

    def _flux_parts(self, theta: np.ndarray) -> list[tuple[np.ndarray, np.ndarray | None]]:
        """Per group: Φ⁰_r(E_j) from the isotope spectra and m(E_j) = 1 + Σ_k M_jk z_k, the measured
        reference spectrum's eigenmodes (flux.ref.pcK), None without them; Φ = Φ⁰ m. Fission-fraction
        nuisances δ_ri shift f_ri → f_ri (1 + δ_ri); the fission rate P/Σ f e follows the shifted fractions."""

        def compute():
            c_neq, c_snf = self._corrections(theta)
            kern = fluxmod.core_flux_kernel if self.backend == "numba" else fluxmod.core_flux_numpy
            z = theta[self.i_ref]
            return [
                (
                    kern(g.spec, g.neq, g.snf, f, sc, g.use_snf, c_neq, c_snf),
                    1.0 + g.ref_modes @ z if len(z) else None,
                )
                for g, (f, sc) in zip(self.groups, self._fractions(theta), strict=True)
            ]

        return self._stage("flux_parts", theta, self.idx_flux, compute)

    def _flux(self, theta: np.ndarray) -> list[np.ndarray]:
        """Φ_r(E_j) per group (see :meth:`_flux_parts`); Φ⁰ itself without a reference covariance."""
        parts = self._flux_parts(theta)
        if not len(self.i_ref):
            return [phi for phi, _m in parts]
        return self._stage("flux", theta, self.idx_flux, lambda: [phi * m[None, :] for phi, m in parts])

    # ----- stage 2: survival probability -----
    def _osc_inputs(self, theta: np.ndarray) -> tuple[float, float, float, float, float]:
        s12, s13, dm21, dm31 = (float(x) for x in theta[self.i_osc])
        rho = float(theta[self.i_density]) if self.i_density is not None else 0.0
        return s12, s13, dm21, dm31, rho

    def _survival(self, theta: np.ndarray) -> list[np.ndarray]:
        osc = self.config.oscillation

        def compute():
            s12, s13, dm21, dm31, rho = self._osc_inputs(theta)
            extra = theta[self.i_extra]
            numba = self.backend == "numba"
            return [
                self.hypothesis.probability(
                    g.grid.nodes,
                    g.baselines,
                    (s12, s13, dm21, dm31),
                    extra,
                    osc.matter,
                    rho,
                    osc.electron_fraction,
                    numba=numba,
                    cells=g.grid.cells,
                )
                for g in self.groups
            ]

        return self._stage("survival", theta, self.idx_osc, compute)

    # ----- stage 3: fold into fine deposited-energy bins -----
    def _fold(self, group: _CoreGroup, s: np.ndarray) -> np.ndarray:
        if self.backend == "numba":
            f = group.fold
            return banded.matvec_kernel(f.row0, f.ptr, f.values, f.n_rows, np.ascontiguousarray(s))
        return banded.matvec_numpy(group.fold, s)

    def _norms(self, theta: np.ndarray) -> list[np.ndarray]:
        return [theta[self.i_norm] * theta[idx] for idx in self.i_cores]

    def fine_spectrum(self, theta: np.ndarray, *, oscillate: bool = True) -> np.ndarray:
        """IBD events per second per target proton in each fine deposited-energy bin."""

        def compute():
            fluxes = self._flux(theta)
            probs = self._survival(theta) if oscillate else None
            h = np.zeros(len(self.edep_edges) - 1)
            for k, (g, norm) in enumerate(zip(self.groups, self._norms(theta), strict=True)):
                weighted = fluxes[k] if probs is None else fluxes[k] * probs[k]
                h += self._fold(g, norm @ weighted)
            return h

        if oscillate:
            return self._stage("fine", theta, self.idx_fine, compute)
        return self._stage("fine_unosc", theta, np.concatenate([self.idx_flux, self.idx_norm]), compute)

    def fine_spectrum_cores(self, theta: np.ndarray, *, oscillate: bool = True) -> dict[str, np.ndarray]:
        """As :meth:`fine_spectrum`, one spectrum per core (for breakdowns; not cached)."""
        fluxes = self._flux(theta)
        probs = self._survival(theta) if oscillate else None
        out = {}
        for k, (g, norm) in enumerate(zip(self.groups, self._norms(theta), strict=True)):
            for m, r in enumerate(g.cores):
                s = norm[m] * fluxes[k][m] * (probs[k][m] if probs is not None else 1.0)
                out[self.det.site.cores[r].name] = self._fold(g, s)
        return {c.name: out[c.name] for c in self.det.site.cores}

    def _world_reactor_spectrum(self) -> np.ndarray:
        """Fine-bin spectrum of distant reactors: cycle-average flux × σ with a constant survival
        probability (all oscillations averaged out), so only the shape matters; normalised later."""
        g = self.groups[0]
        mean_fractions = np.mean(g.fractions, axis=0)[None, :]
        flux = fluxmod.core_flux_numpy(
            g.spec,
            g.neq,
            g.snf,
            mean_fractions,
            np.ones(1),
            np.ones(1),
            1.0 if self.config.flux.nonequilibrium else 0.0,
            1.0 if self.config.flux.snf else 0.0,
        )[0]
        return self._fold(g, flux)

    # ----- stage 4: detector response -----
    def _detector_inputs(self, theta: np.ndarray):
        weights = theta[self.i_pulls] if len(self.i_pulls) else np.zeros(0)
        a, b, c = (float(x) for x in theta[self.i_res])
        return weights, float(theta[self.i_escale]), a, b, c

    def visible_edges(self, theta: np.ndarray) -> np.ndarray:
        weights, escale, _a, _b, _c = self._detector_inputs(theta)
        return respmod.visible_edges(self.edep_edges, self.f0, self.dpulls, weights, escale)

    def response_matrix(self, theta: np.ndarray):
        """The response matrix at the detector parameters of θ (rebuilt only when they move): a
        column-banded matrix (numba backend) or the dense matrix (numpy backend)."""

        def compute():
            _weights, _escale, a, b, c = self._detector_inputs(theta)
            v_edges = self.visible_edges(theta)
            if self.det.response_model == "matrix":
                g, d, _sigma = self._matrix_factors(theta)
                dense = self.w_rebin @ g @ d
                return banded.from_dense(dense) if self.backend == "numba" else dense
            if self.backend == "numba":
                row0, ptr, values = respmod.response_matrix_kernel(v_edges, a, b, c, self.reco_edges, RESPONSE_NSIGMA)
                return BandedMatrix(row0, ptr, values, len(self.reco_edges) - 1)
            return respmod.response_matrix_numpy(v_edges, a, b, c, self.reco_edges, RESPONSE_NSIGMA)

        return self._stage("response_matrix", theta, self.idx_det, compute)

    def _matrix_factors(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(G, D, σ) of the matrix response R = Rebin · G(σ) · D: D maps the fine E_dep bins onto the
        visible-energy bins through the energy map at the fine edges, G smears them (σ at the centres)."""

        def compute():
            _weights, _escale, a, b, c = self._detector_inputs(theta)
            d = rmat.distortion_matrix(self.edep_edges, self.edep_edges, self.visible_edges(theta), self.w_edges)
            centres = 0.5 * (self.w_edges[1:] + self.w_edges[:-1])
            sigma = respmod.resolution_sigma(centres, a, b, c)
            return rmat.gaussian_matrix(self.w_edges, sigma), d, sigma

        return self._stage("matrix_factors", theta, self.idx_det, compute)

    def _matrix_gradient(self, theta, alphas, spectra) -> tuple[float, np.ndarray, np.ndarray]:
        """∂S/∂(escale, pulls, a, b, c) of the matrix response for adjoints α (n × reco) of R h_n."""
        weights, escale, a, b, c = self._detector_inputs(theta)
        g, d, sigma = self._matrix_factors(theta)
        ab = np.asarray(self.w_rebin.T @ alphas.T).T  # ∂S/∂(G D h)
        dh = spectra @ d.T  # D h
        per_sigma = rmat.gaussian_sigma_adjoint(self.w_edges, sigma, g, ab.T @ dh)
        e = 0.5 * (self.w_edges[1:] + self.w_edges[:-1])
        g_abc = np.array([per_sigma @ (a * e / sigma), per_sigma @ (b * e * e / sigma), per_sigma @ (c / sigma)])
        x = self.edep_edges
        inv, sens, slope = rmat.distortion_adjoint(x, x, self.visible_edges(theta), ab @ g, spectra, self.w_edges)
        weight = -sens / slope  # the edge x(T_k) moves by −(∂y/∂θ)(x)/y'(x)
        f = self.f0 + (weights @ self.dpulls if len(weights) else 0.0)
        g_escale = float(weight @ np.interp(inv, x, x * f))
        g_pulls = np.array([escale * float(weight @ np.interp(inv, x, x * dp)) for dp in self.dpulls])
        return g_escale, g_pulls, g_abc

    def response(self, h: np.ndarray, theta: np.ndarray) -> np.ndarray:
        """Fold a fine-bin spectrum into reconstructed bins at the detector parameters of θ."""
        r = self.response_matrix(theta)
        if self.backend == "numba":
            return banded.matvec_kernel(r.row0, r.ptr, r.values, r.n_rows, h)
        return r @ h

    def signal_reco(self, theta: np.ndarray) -> np.ndarray:
        """R h: IBD events per second per target proton in each reco bin (all cores on)."""
        idx = np.concatenate([self.idx_fine, self.idx_det])
        return self._stage("signal_reco", theta, idx, lambda: self.response(self.fine_spectrum(theta), theta))

    def world_reco(self, theta: np.ndarray) -> np.ndarray | None:
        """R h_world, unnormalised (None without a reactor-shaped background)."""
        if self.h_world is None:
            return None
        return self._stage("world_reco", theta, self.idx_det, lambda: self.response(self.h_world, theta))

    # ----- stage 5: counts -----
    def events_per_day_factor(self, theta: np.ndarray) -> float:
        """h [1/s per proton] → selected events per day with all cores on."""
        return self.det.target_protons * self.det.efficiency * float(theta[self.i_eff]) * SECONDS_PER_DAY

    def signal_scale(self, theta: np.ndarray) -> float:
        """R h → expected IBD counts of the exposure (duty cycle included)."""
        return self.events_per_day_factor(theta) * self.exposure_days * self.det.duty_cycle

    def predict(self, theta: np.ndarray, *, cores: bool = False) -> DetectorPrediction:
        """Expected counts per reco bin for the exposure; ``cores=True`` adds per-core IBD spectra."""
        scale = self.signal_scale(theta)
        pred = DetectorPrediction(self.det.name, self.reco_edges, self.signal_reco(theta) * scale)
        for bkg in self.det.backgrounds:
            shape = self.bkg_shapes[bkg.name]
            if shape is None:
                folded = self.world_reco(theta)
                shape = folded / folded.sum()
            pred.backgrounds[bkg.name] = shape * (
                bkg.rate_per_day * float(theta[self.i_bkg[bkg.name]]) * self.exposure_days
            )
        if cores:
            for name, h in self.fine_spectrum_cores(theta).items():
                pred.ibd_cores[name] = self.response(h, theta) * scale
        return pred

    # ----- backward pass: the gradient of a statistic through stages 1-4 -----
    def backprop(
        self, theta: np.ndarray, alpha_sig: np.ndarray, alpha_world: np.ndarray | None, grad: np.ndarray
    ) -> None:
        """Add to ``grad`` the derivative of a statistic S with respect to the parameters of stages 1-4,
        given its adjoints α_sig = ∂S/∂(R h) and α_world = ∂S/∂(R h_world) on the reco bins.

        Reverse mode through the linear stages (Rᵀ, Kᵀ) with forward derivatives inside the local
        kernels: the fine-bin adjoint is ḡ = Rᵀ α_sig, the node adjoint of group g is u = K_gᵀ ḡ, and
        S depends on core r's flux and survival probability through Σ_j u_j n_r Φ_rj P_rj.
        """
        osc = self.config.oscillation
        h = self.fine_spectrum(theta)
        r = self.response_matrix(theta)
        if self.backend == "numba":
            g_fine = banded.rmatvec_kernel(r.row0, r.ptr, r.values, alpha_sig)
        else:
            g_fine = r.T @ alpha_sig
        # detector parameters (through R)
        weights, escale, a, b, c = self._detector_inputs(theta)
        v_edges = respmod.visible_edges(self.edep_edges, self.f0, self.dpulls, weights, escale)
        if self.h_world is not None and alpha_world is not None:
            alphas, spectra = np.array([alpha_sig, alpha_world]), np.array([h, self.h_world])
        else:
            alphas, spectra = alpha_sig[None, :], h[None, :]
        if self.det.response_model == "matrix":
            g_escale, g_pulls, g_abc = self._matrix_gradient(theta, alphas, spectra)
        else:
            if self.backend == "numba":
                d_c, d_s = respmod.response_adjoint_kernel(
                    v_edges, a, b, c, self.reco_edges, RESPONSE_NSIGMA, alphas, spectra
                )
            else:
                d_c, d_s = respmod.response_adjoint_numpy(
                    v_edges, a, b, c, self.reco_edges, RESPONSE_NSIGMA, alphas, spectra
                )
            g_escale, g_pulls, g_abc = respmod.detector_parameter_gradient(
                self.edep_edges, self.f0, self.dpulls, weights, escale, a, b, c, d_c, d_s
            )
        grad[self.i_escale] += g_escale
        grad[self.i_pulls] += g_pulls
        grad[self.i_res] += g_abc
        # reactor side (through K)
        fluxes, probs, parts = self._flux(theta), self._survival(theta), self._flux_parts(theta)
        s12, s13, dm21, dm31, rho = self._osc_inputs(theta)
        norm_total = float(theta[self.i_norm])
        c_neq, c_snf = self._corrections(theta)
        fractions = self._fractions(theta)
        g_osc = np.zeros(5 + len(self.i_extra))
        for k, g in enumerate(self.groups):
            f = g.fold
            if self.backend == "numba":
                u = banded.rmatvec_kernel(f.row0, f.ptr, f.values, g_fine)
            else:
                u = f.dense().T @ g_fine
            core_scale = theta[self.i_cores[k]]
            norms = norm_total * core_scale
            uphi = u[None, :] * fluxes[k]  # (R, N)
            d_norm = np.sum(uphi * probs[k], axis=1)  # ∂S/∂n_r
            grad[self.i_cores[k]] += norm_total * d_norm
            grad[self.i_norm] += float(np.dot(core_scale, d_norm))
            # oscillation parameters (the standard five, then the hypothesis' own)
            g_osc += self.hypothesis.contraction(
                g.grid.nodes,
                g.baselines,
                norms[:, None] * uphi,
                (s12, s13, dm21, dm31),
                theta[self.i_extra],
                osc.matter,
                rho,
                osc.electron_fraction,
                numba=self.backend == "numba",
                cells=g.grid.cells,
            )
            # flux nuisances: Φ = Φ⁰ m, so ∂S/∂z = Σ_rj y_rj Φ⁰_rj M_jk and Φ⁰ sees y m
            y = norms[:, None] * u[None, :] * probs[k]
            phi0, m = parts[k]
            if m is not None:
                grad[self.i_ref] += np.sum(y * phi0, axis=0) @ g.ref_modes
                y = y * m[None, :]
            frac, scales = fractions[k]
            d_neq, d_snf, d_delta = fluxmod.core_flux_adjoint(
                y, g.spec, g.neq, g.snf, frac, scales, g.use_snf, c_neq, c_snf, self.energy_per_fission, g.fractions
            )
            if self.i_noneq is not None:
                grad[self.i_noneq] += d_neq
            if self.i_snf is not None:
                grad[self.i_snf] += d_snf
            np.add.at(grad, self.i_ff[k], d_delta)
        grad[self.i_osc] += g_osc[:4]
        if self.i_density is not None:
            grad[self.i_density] += g_osc[4]
        grad[self.i_extra] += g_osc[5:]


class ReactorModel:
    """All detectors of a JUNO-like config with the parameter registry (``[experiment] model =
    "juno"``); built through :func:`juno_fit.model.build_model` or ``juno_fit.model.Model(config)``.

    Examples
    --------
    >>> model = ReactorModel(load_config("juno_nominal"))   # doctest: +SKIP
    >>> counts = model.expected(model.parameters.values())  # doctest: +SKIP
    """

    def __init__(self, config: Config, *, backend: str = "numba"):
        self.config = config
        self.parameters = build_parameters(config)
        self.oscillation_names = config.oscillation.parameter_names  # the standard four, then the hypothesis' own
        self.xsec = ibdmod.make_cross_section(config.ibd.cross_section, config.ibd.neutron_lifetime)
        self.detectors = [DetectorModel(d, config, self.xsec, self.parameters, backend) for d in config.detectors]

    def theta(self, **updates: float) -> np.ndarray:
        """The nominal θ with some parameters replaced by name (dots in names: pass a dict to
        :meth:`ParameterSet.vector`)."""
        return self.parameters.vector(updates)

    def predict(self, theta: np.ndarray | None = None, *, cores: bool = False) -> list[DetectorPrediction]:
        theta = self.parameters.values() if theta is None else np.asarray(theta, dtype=float)
        return [d.predict(theta, cores=cores) for d in self.detectors]

    def expected(self, theta: np.ndarray) -> list[np.ndarray]:
        """Total expected counts per detector (IBD + backgrounds)."""
        return [p.total for p in self.predict(theta)]
