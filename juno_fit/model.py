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

from dataclasses import dataclass, field

import numpy as np

from .config import ISOTOPES, Config, Detector
from .errors import ConfigError
from .parameters import CorrelatedBlock, Parameter, ParameterSet
from .physics import backgrounds as bkgmod
from .physics import banded
from .physics import flux as fluxmod
from .physics import grid as gridmod
from .physics import ibd as ibdmod
from .physics import oscillation as oscmod
from .physics import response as respmod
from .physics.banded import BandedMatrix
from .physics.constants import SECONDS_PER_DAY

BASELINE_GROUP_FACTOR = 1.25  # cores within this baseline ratio share an E_ν grid
RESPONSE_NSIGMA = 7.0  # resolution window of the response kernel; neglected tail Φ(−7) = 1.3e-12

_FOLD_CACHE: dict[tuple, BandedMatrix] = {}


def _fold_matrix(grid: gridmod.EnuGrid, edep_edges: np.ndarray, xsec: ibdmod.CrossSection) -> BandedMatrix:
    """Fold matrices depend only on the grids and the cross section: build each once per process."""
    key = (grid.panel_edges.tobytes(), grid.n_per_panel, edep_edges.tobytes(), xsec)
    if key not in _FOLD_CACHE:
        if len(_FOLD_CACHE) > 16:
            _FOLD_CACHE.clear()
        _FOLD_CACHE[key] = gridmod.build_fold_matrix(grid, edep_edges, xsec)
    return _FOLD_CACHE[key]


# --------------------------------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------------------------------


def detector_prefix(config: Config, det: Detector) -> str:
    """ "det." for a single-detector config, "det.<NAME>." otherwise."""
    return "det." if len(config.detectors) == 1 else f"det.{det.name}."


def background_prefix(config: Config, det: Detector) -> str:
    return "bkg." if len(config.detectors) == 1 else f"bkg.{det.name}."


def build_parameters(config: Config) -> ParameterSet:
    """The registry of every parameter the model reads, at the config's nominal (true) point, with
    the priors of the uncertainties switched on in ``[systematics]`` (others held fixed)."""
    osc = config.oscillation
    on = config.fit.systematics
    free = set(config.fit.free)

    def prior(switch: str, sigma: float) -> dict:
        """Gaussian prior of width sigma when the systematic is on and has a size, else fixed."""
        return {"error": sigma} if on[switch] and sigma > 0 else {"fixed": True}

    params = [
        Parameter(
            "sin2_theta12", osc.sin2_theta12, limits=(0.0, 1.0), fixed="sin2_theta12" not in free, description="sin²θ12"
        ),
        Parameter(
            "sin2_theta13", osc.sin2_theta13, limits=(0.0, 1.0), fixed="sin2_theta13" not in free, description="sin²θ13"
        ),
        Parameter("dm2_21", osc.dm2_21, limits=(0.0, None), fixed="dm2_21" not in free, description="Δm²21 [eV²]"),
        Parameter(
            "dm2_31", osc.dm2_31, fixed="dm2_31" not in free, description="Δm²31 [eV²] (negative: inverted ordering)"
        ),
    ]
    blocks: list[CorrelatedBlock] = []
    if osc.matter != "vacuum":
        params.append(
            Parameter(
                "matter.density",
                osc.density,
                limits=(0.0, None),
                description="matter density [g/cm³]",
                **prior("matter_density", osc.density_uncertainty),
            )
        )
    params.append(
        Parameter(
            "flux.norm",
            1.0,
            limits=(0.0, None),
            description="reactor flux scale",
            **prior("flux_normalisation", config.flux.normalisation_uncertainty),
        )
    )
    spectra = config.flux.spectra
    if config.flux.snf:
        params.append(
            Parameter(
                "flux.snf", 1.0, description="spent-fuel correction scale", **prior("snf", spectra.snf_uncertainty)
            )
        )
    if config.flux.nonequilibrium:
        params.append(
            Parameter(
                "flux.noneq",
                1.0,
                description="non-equilibrium correction scale",
                **prior("nonequilibrium", spectra.nonequilibrium_uncertainty),
            )
        )
    seen: set[str] = set()
    for det in config.detectors:
        site = det.site
        for core in site.cores:
            if core.name in seen:
                continue
            seen.add(core.name)
            params.append(
                Parameter(
                    f"flux.core.{core.name}",
                    1.0,
                    limits=(0.0, None),
                    description=f"{core.label} flux scale",
                    **prior("core_power", site.core_power_uncertainty),
                )
            )
            names = tuple(f"flux.ff.{core.name}.{iso}" for iso in ISOTOPES)
            sigma = np.asarray(site.fission_fraction_sigma)
            use = on["fission_fractions"] and np.all(sigma > 0)
            for name, iso in zip(names, ISOTOPES, strict=True):
                params.append(
                    Parameter(
                        name,
                        0.0,
                        limits=(-1.0, None),
                        fixed=not use,
                        description=f"{core.label} {iso} fission fraction, relative shift",
                    )
                )
            if use:
                cov = site.fission_fraction_correlation * np.outer(sigma, sigma)
                blocks.append(CorrelatedBlock(names, np.zeros(len(names)), cov))
    for det in config.detectors:
        d = detector_prefix(config, det)
        params.append(
            Parameter(
                f"{d}eff",
                1.0,
                limits=(0.0, None),
                description=f"{det.name} efficiency scale",
                **prior("efficiency", det.efficiency_uncertainty),
            )
        )
        params.append(
            Parameter(
                f"{d}escale",
                det.energy_scale,
                limits=(0.5, 1.5),
                description=f"{det.name} energy scale",
                **prior("energy_scale", det.energy_scale_uncertainty * det.energy_scale),
            )
        )
        for k in range(len(det.nonlinearity.pulls)):
            params.append(
                Parameter(
                    f"{d}lsnl.pull{k}", 0.0, description=f"{det.name} LSNL pull {k}", **prior("nonlinearity", 1.0)
                )
            )
        res = det.resolution
        for term, value, sigma in zip("abc", (res.a, res.b, res.c), det.resolution_uncertainty, strict=True):
            params.append(
                Parameter(
                    f"{d}res.{term}",
                    value,
                    limits=(0.0, None),
                    description=f"{det.name} resolution term {term}",
                    **prior("resolution", sigma),
                )
            )
        b = background_prefix(config, det)
        for bkg in det.backgrounds:
            params.append(
                Parameter(
                    f"{b}{bkg.name}.rate",
                    1.0,
                    limits=(0.0, None),
                    description=f"{det.name} {bkg.name} rate scale",
                    **prior("background_rates", bkg.rate_uncertainty),
                )
            )
    return ParameterSet(params, blocks)


# --------------------------------------------------------------------------------------------------
# Predictions
# --------------------------------------------------------------------------------------------------


@dataclass
class DetectorPrediction:
    """Expected counts of one detector for the config's exposure, per reconstructed-energy bin."""

    detector: str
    edges: np.ndarray
    ibd: np.ndarray
    backgrounds: dict[str, np.ndarray] = field(default_factory=dict)
    ibd_cores: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def background(self) -> np.ndarray:
        return sum(self.backgrounds.values(), np.zeros_like(self.ibd))

    @property
    def total(self) -> np.ndarray:
        return self.ibd + self.background


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


class DetectorModel:
    """One detector with its cores; see the module docstring for the stages."""

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
        self.edep_edges = gridmod.edep_bin_edges(xsec, e_thr, num.enu_max, num.edep_bin)
        spectra = config.flux.spectra
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
                    fold=_fold_matrix(grid, self.edep_edges, xsec),
                    spec=fluxmod.isotope_spectra(grid.nodes, spectra),
                    neq=fluxmod.nonequilibrium_corrections(grid.nodes, spectra),
                    snf=fluxmod.snf_correction(grid.nodes, spectra),
                    fractions=np.array([c.fission_fractions for c in sub]),
                    scales=fluxmod.core_scales(sub, spectra.energy_per_fission, config.flux.normalisation),
                    use_snf=np.array([1.0 if c.snf else 0.0 for c in sub]),
                    mean_energy=np.array([np.dot(c.fission_fractions, spectra.energy_per_fission) for c in sub]),
                )
            )
        self.energy_per_fission = np.asarray(spectra.energy_per_fission)
        self.f0, self.dpulls = respmod.nonlinearity_at(self.edep_edges, det.nonlinearity)
        self.reco_edges = np.ascontiguousarray(det.bin_edges)
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
        self._cache: dict[str, tuple[tuple, object]] = {}

    # ----- parameter indices (resolved once; the hot path indexes θ directly) -----
    def _index(self, params: ParameterSet, config: Config) -> None:
        det = self.det
        d = detector_prefix(config, det)
        b = background_prefix(config, det)
        self.i_osc = [params.index(n) for n in ("sin2_theta12", "sin2_theta13", "dm2_21", "dm2_31")]
        self.i_density = params.index("matter.density") if "matter.density" in params else None
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
        self.i_res = [params.index(f"{d}res.{t}") for t in "abc"]
        self.i_bkg = {bkg.name: params.index(f"{b}{bkg.name}.rate") for bkg in det.backgrounds}

    def _cached(self, stage: str, key: tuple, compute):
        hit = self._cache.get(stage)
        if hit is not None and hit[0] == key:
            return hit[1]
        value = compute()
        self._cache[stage] = (key, value)
        return value

    # ----- stage 1: flux -----
    def _flux(self, theta: np.ndarray) -> list[np.ndarray]:
        """Φ_r(E_j) per group. Fission-fraction nuisances δ_ri shift f_ri → f_ri (1 + δ_ri); the fission
        rate P/Σ f e follows the shifted fractions."""
        c_snf = float(theta[self.i_snf]) if self.i_snf is not None else 0.0
        c_neq = float(theta[self.i_noneq]) if self.i_noneq is not None else 0.0
        deltas = [theta[idx] for idx in self.i_ff]
        kern = fluxmod.core_flux_kernel if self.backend == "numba" else fluxmod.core_flux_numpy

        def compute():
            out = []
            for g, delta in zip(self.groups, deltas, strict=True):
                fractions = g.fractions * (1.0 + delta)
                scales = g.scales * g.mean_energy / (fractions @ self.energy_per_fission)
                out.append(kern(g.spec, g.neq, g.snf, fractions, scales, g.use_snf, c_neq, c_snf))
            return out

        key = (c_neq, c_snf, tuple(float(x) for d in deltas for x in d.ravel()))
        return self._cached("flux", key, compute)

    # ----- stage 2: survival probability -----
    def _survival(self, theta: np.ndarray) -> list[np.ndarray]:
        osc = self.config.oscillation
        s12, s13, dm21, dm31 = (float(theta[i]) for i in self.i_osc)
        rho = float(theta[self.i_density]) if self.i_density is not None else 0.0
        key = (s12, s13, dm21, dm31, rho)

        def compute():
            out = []
            for g in self.groups:
                if self.backend == "numba":
                    out.append(
                        oscmod.survival(
                            g.grid.nodes, g.baselines, s12, s13, dm21, dm31, osc.matter, rho, osc.electron_fraction
                        )
                    )
                elif osc.matter == "vacuum" or rho == 0.0:
                    out.append(oscmod.pee_vacuum_numpy(g.grid.nodes, g.baselines, s12, s13, dm21, dm31))
                elif osc.matter == "knp":
                    out.append(
                        oscmod.pee_knp_numpy(
                            g.grid.nodes, g.baselines, s12, s13, dm21, dm31, rho, osc.electron_fraction
                        )
                    )
                else:
                    out.append(
                        oscmod.survival(
                            g.grid.nodes, g.baselines, s12, s13, dm21, dm31, osc.matter, rho, osc.electron_fraction
                        )
                    )
            return out

        return self._cached("survival", key, compute)

    # ----- stage 3: fold into fine deposited-energy bins -----
    def _fold(self, group: _CoreGroup, s: np.ndarray) -> np.ndarray:
        if self.backend == "numba":
            f = group.fold
            return banded.matvec_kernel(f.row0, f.ptr, f.values, f.n_rows, np.ascontiguousarray(s))
        return banded.matvec_numpy(group.fold, s)

    def fine_spectrum(self, theta: np.ndarray, *, oscillate: bool = True) -> np.ndarray:
        """IBD events per second per target proton in each fine deposited-energy bin."""
        fluxes = self._flux(theta)
        probs = self._survival(theta) if oscillate else None
        norms = [theta[self.i_norm] * theta[idx] for idx in self.i_cores]

        def compute():
            h = np.zeros(len(self.edep_edges) - 1)
            for k, g in enumerate(self.groups):
                weighted = fluxes[k] if probs is None else fluxes[k] * probs[k]
                h += self._fold(g, norms[k] @ weighted)
            return h

        key = (id(fluxes), id(probs), oscillate, tuple(float(x) for n in norms for x in n))
        return self._cached("fine" if oscillate else "fine_unosc", key, compute)

    def fine_spectrum_cores(self, theta: np.ndarray, *, oscillate: bool = True) -> dict[str, np.ndarray]:
        """As :meth:`fine_spectrum`, one spectrum per core (for breakdowns; not cached)."""
        fluxes = self._flux(theta)
        probs = self._survival(theta) if oscillate else None
        out = {}
        for k, g in enumerate(self.groups):
            for m, r in enumerate(g.cores):
                norm = theta[self.i_norm] * theta[self.i_cores[k][m]]
                s = norm * fluxes[k][m] * (probs[k][m] if probs is not None else 1.0)
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
    def response_matrix(self, theta: np.ndarray):
        """The response matrix at the detector parameters of θ (rebuilt only when they move): a
        column-banded matrix (numba backend) or the dense matrix (numpy backend)."""
        weights = theta[self.i_pulls] if len(self.i_pulls) else np.zeros(0)
        escale = float(theta[self.i_escale])
        a, b, c = (float(theta[i]) for i in self.i_res)

        def compute():
            v_edges = respmod.visible_edges(self.edep_edges, self.f0, self.dpulls, weights, escale)
            if self.backend == "numba":
                row0, ptr, values = respmod.response_matrix_kernel(v_edges, a, b, c, self.reco_edges, RESPONSE_NSIGMA)
                return BandedMatrix(row0, ptr, values, len(self.reco_edges) - 1)
            return respmod.response_matrix_numpy(v_edges, a, b, c, self.reco_edges)

        return self._cached("response_matrix", (escale, tuple(float(w) for w in weights), a, b, c), compute)

    def response(self, h: np.ndarray, theta: np.ndarray) -> np.ndarray:
        """Fold a fine-bin spectrum into reconstructed bins at the detector parameters of θ."""
        r = self.response_matrix(theta)
        if self.backend == "numba":
            return banded.matvec_kernel(r.row0, r.ptr, r.values, r.n_rows, h)
        return r @ h

    def _response_cached(self, name: str, h: np.ndarray, theta: np.ndarray) -> np.ndarray:
        r = self.response_matrix(theta)
        return self._cached(name, (id(h), id(r)), lambda: self.response(h, theta))

    # ----- stage 5: counts -----
    def events_per_day_factor(self, theta: np.ndarray) -> float:
        """h [1/s per proton] → selected events per day with all cores on."""
        return self.det.target_protons * self.det.efficiency * float(theta[self.i_eff]) * SECONDS_PER_DAY

    def predict(self, theta: np.ndarray, *, cores: bool = False) -> DetectorPrediction:
        """Expected counts per reco bin for the exposure; ``cores=True`` adds per-core IBD spectra."""
        live_reactor_days = self.exposure_days * self.det.duty_cycle
        scale = self.events_per_day_factor(theta) * live_reactor_days
        ibd = self._response_cached("response", self.fine_spectrum(theta), theta) * scale
        pred = DetectorPrediction(self.det.name, self.reco_edges, ibd)
        for bkg in self.det.backgrounds:
            shape = self.bkg_shapes[bkg.name]
            if shape is None:
                folded = self._response_cached("response_world", self.h_world, theta)
                shape = folded / folded.sum()
            pred.backgrounds[bkg.name] = shape * (
                bkg.rate_per_day * float(theta[self.i_bkg[bkg.name]]) * self.exposure_days
            )
        if cores:
            for name, h in self.fine_spectrum_cores(theta).items():
                pred.ibd_cores[name] = self.response(h, theta) * scale
        return pred


class Model:
    """All detectors of a config with the parameter registry.

    Examples
    --------
    >>> model = Model(load_config("juno_nominal"))          # doctest: +SKIP
    >>> counts = model.expected(model.parameters.values())  # doctest: +SKIP
    """

    def __init__(self, config: Config, *, backend: str = "numba"):
        self.config = config
        self.parameters = build_parameters(config)
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
