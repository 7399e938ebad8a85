"""Scalar non-standard interactions (parameter ``eta_ee``; ``lightest_mass`` [eV], fixed by default).

A scalar mediator coupling neutrinos to matter shifts the neutrino *mass* matrix instead of adding a
potential (Ge & Parke, PRL 122 (2019) 211801, arXiv:1812.08376):

    H = (M + δM)(M + δM)† / (2E) + V_CC,   M = U diag(m1, m2, m3) U†,   δM = √|Δm²31| η_ee e_e e_eᵀ,

with the normalisation δM_ee = η_ee √|Δm²31| of Ge and Parke, used by the JUNO studies of scalar NSI
(arXiv:2306.07343, arXiv:2602.05564; arXiv:2603.24677 fitted JUNO's first data with η_ee). Since M
enters linearly, the absolute masses matter: the lightest one, ``lightest_mass`` (m1 in the normal
ordering, m3 in the inverted), is a parameter (0.01 eV in arXiv:2602.05564). The scalar shift
scales with the matter density; η_ee is the effective value for the Earth's crust along the baseline
(the density of the model), so it is not rescaled with ``matter.density``.

(M + δM)² does not depend on energy: its eigenvectors and eigenvalues are effective vacuum parameters
(sin²θ12', sin²θ13', Δm²21', Δm²31'; θ23 and δ_CP do not enter P_ee with η_ee alone), which the standard
treatment (vacuum or KNP matter) then uses. Their derivatives come from first-order eigen-perturbation
theory with the matrix derivative taken by complex step (exact to rounding). Mass states are
identified with the eigenvectors by their overlap with the unperturbed ones, so they are followed
through the level crossings large η_ee can cause. The tests compare the result with the 3×3 Hamiltonian
diagonalised numerically at each energy (:func:`pee_exact_nsi`).
"""

from __future__ import annotations

import numpy as np

from ...constants import OSC_PHASE
from .. import oscillation as osc
from .standard import Standard


def _masses(dm21, dm31, lightest):
    """(m1, m2, m3) [eV] from the splittings and the lightest mass (complex-step friendly)."""
    if np.real(dm31) > 0:
        m1 = lightest + 0j
        return m1, np.sqrt(m1 * m1 + dm21), np.sqrt(m1 * m1 + dm31)
    m3 = lightest + 0j
    m1 = np.sqrt(m3 * m3 - dm31)
    return m1, np.sqrt(m1 * m1 + dm21), m3


def _mixing(s12, s13):
    """U = R13 R12 (θ23 = 0, no phases); complex-step friendly."""
    s12, s13 = s12 + 0j, s13 + 0j
    c12, c13 = np.sqrt(1.0 - s12), np.sqrt(1.0 - s13)
    r12, r13 = np.sqrt(s12), np.sqrt(s13)
    zero = 0.0 * c12
    return np.array([[c12 * c13, r12 * c13, r13], [-r12, c12, zero], [-c12 * r13, -r12 * r13, c13]])


def mass_squared(s12, s13, dm21, dm31, eta, lightest) -> np.ndarray:
    """(M + δM)² in the flavour basis (θ23 = 0, no phases: neither enters P_ee), eV²; complex-step
    friendly (pass complex inputs to differentiate)."""
    u = _mixing(s12, s13)
    m = u @ np.diag(_masses(dm21, dm31, lightest)) @ u.T
    # η √|Δm²31|, with |x + ih| continued as |x| + ih sign(x) for the complex step
    m[0, 0] += eta * np.sqrt(np.abs(np.real(dm31)) + 1j * np.imag(dm31) * np.sign(np.real(dm31)))
    return m @ m


def effective_vacuum(s12, s13, dm21, dm31, eta, lightest, *, jacobian: bool = False):
    """Effective (sin²θ12', sin²θ13', Δm²21', Δm²31') of (M + δM)², and with ``jacobian`` their
    derivatives with respect to (s12, s13, Δm²21, Δm²31, η_ee, m_lightest), shape (4, 6)."""
    x0 = np.array([s12, s13, dm21, dm31, eta, lightest], dtype=float)
    a = mass_squared(*x0).real
    lam, vec = np.linalg.eigh(a)
    # each mass state (a column of U, the eigenvectors at η_ee = 0) → the eigenvector of largest overlap
    overlap = np.abs(vec.T @ _mixing(s12, s13).real)  # (eigen column, mass state)
    pick = [int(np.argmax(overlap[:, k])) for k in range(3)]
    if len(set(pick)) < 3:  # an exact tie: fall back on the eigenvalue order of the ordering
        rank = np.argsort(lam)
        pick = [int(i) for i in (rank if dm31 > 0 else rank[[1, 2, 0]])]
    v = vec[:, pick] * np.where(vec[0, pick] < 0, -1.0, 1.0)  # e-components ≥ 0
    lm = lam[pick]
    ve = v[0]
    eff = np.array([ve[1] ** 2 / (1.0 - ve[2] ** 2), ve[2] ** 2, lm[1] - lm[0], lm[2] - lm[0]])
    if not jacobian:
        return eff
    jac = np.empty((4, 6))
    for k in range(6):
        h = 1e-30 * max(abs(x0[k]), 1e-12)
        x = x0.astype(complex)
        x[k] += 1j * h
        da = mass_squared(*x).imag / h
        dlam = np.array([v[:, i] @ da @ v[:, i] for i in range(3)])
        dve = np.zeros(3)
        for i in range(3):
            for j in range(3):
                if i != j:
                    dve[i] += (v[:, j] @ da @ v[:, i]) / (lm[i] - lm[j]) * v[0, j]
        one = 1.0 - ve[2] ** 2
        jac[0, k] = (2 * ve[1] * dve[1] * one + ve[1] ** 2 * 2 * ve[2] * dve[2]) / (one * one)
        jac[1, k] = 2 * ve[2] * dve[2]
        jac[2, k] = dlam[1] - dlam[0]
        jac[3, k] = dlam[2] - dlam[0]
    return eff, jac


def pee_exact_nsi(enu, baseline, s12sq, s13sq, dm21, dm31, eta, lightest, density=0.0, electron_fraction=0.5):
    """The reference of the tests: P_ee from H = (M + δM)² + diag(a, 0, 0) (in units of 2E), diagonalised
    numerically at each energy, with a = −2√2 G_F n_e E for antineutrinos; θ23 = 45°, no phases."""
    c23 = s23 = np.sqrt(0.5)
    r23 = np.array([[1.0, 0.0, 0.0], [0.0, c23, s23], [0.0, -s23, c23]])
    a2 = r23 @ mass_squared(s12sq, s13sq, dm21, dm31, eta, lightest).real @ r23.T
    enu = np.atleast_1d(np.asarray(enu, dtype=float))
    out = np.empty(enu.shape)
    for k, e in enumerate(enu):
        a = float(osc.matter_potential(e, density, electron_fraction))
        mu, w = np.linalg.eigh(a2 + np.diag([a, 0.0, 0.0]))
        out[k] = abs(np.sum(w[0, :] ** 2 * np.exp(-2j * OSC_PHASE * mu * baseline / e))) ** 2
    return out


class ScalarNSI:
    """Scalar NSI: ``eta_ee``, and the ``lightest_mass`` it needs [eV]."""

    name = "scalar_nsi"
    parameters = ("eta_ee", "lightest_mass")
    _standard = Standard()

    def probability(self, enu, baselines, std, extra, matter, density, electron_fraction, *, numba=True, cells=None):
        eta, lightest = (float(x) for x in extra)
        eff = tuple(effective_vacuum(*std, eta, lightest))
        return self._standard.probability(enu, baselines, eff, (), matter, density, electron_fraction, numba=numba)

    def contraction(
        self, enu, baselines, weights, std, extra, matter, density, electron_fraction, *, numba=True, cells=None
    ):
        eta, lightest = (float(x) for x in extra)
        eff, jac = effective_vacuum(*std, eta, lightest, jacobian=True)
        g = self._standard.contraction(
            enu, baselines, weights, tuple(eff), (), matter, density, electron_fraction, numba=numba
        )
        through = g[:4] @ jac  # (s12, s13, Δm²21, Δm²31, η_ee, m_lightest)
        return np.array([*through[:4], g[4], through[4], through[5]])
