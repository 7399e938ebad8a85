"""Fit σ_E/E = sqrt(a²/E + b² + c²/E²) to JUNO's 2025 calibration-source resolutions.

Input: ``detector/juno2025/calibration_source_energy_resolution.csv`` (JUNO 2025 data release,
arXiv:2511.14593): eight γ (and n-capture γ) peaks from 0.61 MeV (¹³⁷Cs) to 6.21 MeV (AmC) with the
reconstructed energy, the relative resolution in % and its error. Weighted least squares on σ/E with
the quoted errors; the errors of a, b, c from the covariance scaled by √(χ²/ndf) when χ²/ndf > 1.

The three-term fit prefers c = 0 (its c² is compatible with zero), so the result used is the two-term
fit with c = 0 and, for c, the one-sigma limit of the three-term fit as its prior width. The points
scatter about any such curve by far more than their quoted errors (χ²/ndf ≈ 110): the two-γ peaks
(⁶⁸Ge, ⁶⁰Co) and the single-γ capture peaks do not follow one curve.

The sources are γ peaks; positrons deposit their kinetic energy plus two 511 keV γ, so their
resolution at the same visible energy differs slightly (γ are multi-site); the fitted curve is used
for positrons as the best public estimate and its uncertainty enters the fit as priors on a, b, c.

Usage: ``python scripts/fit_juno_2025_resolution.py`` (prints the result written into detector/juno2025.toml).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

SOURCE = Path(__file__).resolve().parents[1] / "detector" / "juno2025" / "calibration_source_energy_resolution.csv"


def load() -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    rows = [ln.split(",") for ln in SOURCE.read_text(encoding="utf-8-sig").splitlines()[1:]]
    rows = [r for r in rows if r and r[0].strip()]
    names = [r[0] for r in rows]
    energy, res, err = (np.array([float(r[k]) for r in rows]) for k in (1, 2, 3))
    return names, energy, res / 100.0, err / 100.0


def model(a: float, b: float, c: float, e: np.ndarray) -> np.ndarray:
    return np.sqrt(a * a / e + b * b + c * c / (e * e))


def linear_fit(e: np.ndarray, r: np.ndarray, s: np.ndarray, terms: int) -> dict:
    """Weighted linear least squares of (σ/E)² = a²/E + b² [+ c²/E²] in the squares (a², b², c²), with
    σ[(σ/E)²] = 2 (σ/E) σ[σ/E]; parameter errors scaled by √(χ²/ndf) (the points scatter about the
    curve far more than their errors)."""
    y, sy = r**2, 2 * r * s
    basis = [1 / e, np.ones_like(e), 1 / e**2][:terms]
    design = np.column_stack(basis) / sy[:, None]
    coef, *_ = np.linalg.lstsq(design, y / sy, rcond=None)
    chi2 = float(np.sum((design @ coef - y / sy) ** 2))
    ndf = len(e) - terms
    cov = np.linalg.inv(design.T @ design) * max(1.0, chi2 / ndf)
    return {
        "squares": coef,
        "square_errors": np.sqrt(np.diag(cov)),
        "chi2": chi2,
        "ndf": ndf,
        "correlation": cov / np.outer(np.sqrt(np.diag(cov)), np.sqrt(np.diag(cov))),
    }


def main() -> None:
    names, e, r, s = load()
    three = linear_fit(e, r, s, 3)
    two = linear_fit(e, r, s, 2)
    print(
        f"three terms: a² b² c² = {three['squares']} ± {three['square_errors']}, chi2/ndf = "
        f"{three['chi2']:.1f}/{three['ndf']}"
    )
    a2, b2 = two["squares"]
    da2, db2 = two["square_errors"]
    a, b = np.sqrt(a2), np.sqrt(b2)
    print(
        f"two terms (c = 0): chi2/ndf = {two['chi2']:.1f}/{two['ndf']}, corr(a², b²) = {two['correlation'][0, 1]:.3f}"
    )
    print(f"  a = {a:.5f} ± {da2 / (2 * a):.5f}, b = {b:.5f} ± {db2 / (2 * b):.5f}")
    c_limit = np.sqrt(three["square_errors"][2])
    print(f"  c = 0; one-sigma limit from the three-term fit: c² < {three['square_errors'][2]:.2e}, c < {c_limit:.4f}")
    for n, en, m in zip(names, e, r, strict=True):
        print(
            f"  {n:<7} {en:7.3f} MeV  measured {100 * m:.3f} %  fit {100 * model(a, b, 0.0, np.array([en]))[0]:.3f} %"
        )
    print(f"sigma/E at 1 MeV: {100 * model(a, b, 0.0, np.array([1.0]))[0]:.3f} %")


if __name__ == "__main__":
    main()
