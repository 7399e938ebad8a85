"""The configuration reference (``python -m juno_fit.config > docs/configuration.md``), generated from
the rules of :mod:`juno_fit.config.rules` and the limits of :mod:`juno_fit.config.limits`; a test keeps
the shipped file identical to it."""

from __future__ import annotations

from .limits import (
    MAX_COUNTS,
    MAX_ENU_NODES,
    MAX_FINE_BINS,
    MAX_FOLD_WORK,
    MAX_MATRIX_ENTRIES,
    MAX_NAME_LENGTH,
    MAX_NESTING,
    MAX_RECO_BINS,
    MAX_TABLE_BYTES,
    MAX_TEXT_LENGTH,
    MAX_TOML_BYTES,
)
from .rules import RULES, Rule

_FILES = {
    "config": "Config files (`configs/*.toml`)",
    "detector": "Detector files (`detector/*.toml`)",
    "site": "Reactor-site files (`spectra/*_site.toml`)",
    "spectra": "Isotope-spectra files (`spectra/huber_mueller.toml`)",
}


def _default_text(r: Rule) -> str:
    if r.required:
        return "required"
    if isinstance(r.default, str):
        return r.default if r.default.startswith("the ") else f'"{r.default}"'
    if isinstance(r.default, bool):
        return "true" if r.default else "false"
    if r.default is None:
        return "—"
    if isinstance(r.default, dict | list):
        return "empty"
    if isinstance(r.default, int):
        return str(r.default)  # an integer (a seed) in full, not rounded to six digits
    return f"{r.default:g}"


def _accepted_text(r: Rule) -> str:
    if r.kind in ("number", "integer"):
        return r.interval() + (f" {r.unit}" if r.unit else "")
    if r.kind == "duration":
        return f"{r.lo * 24:g} h to {r.hi / 365.25:g} y"
    if r.kind == "choice":
        return ", ".join(f'"{c}"' for c in r.choices)
    if r.kind == "name":
        return f"letters, digits, _ + - (≤ {MAX_NAME_LENGTH})"
    if r.kind == "text":
        return f"printable text (≤ {MAX_TEXT_LENGTH})"
    return r.kind


def _limit_rows() -> list[str]:
    rows = [
        (
            "input TOML file",
            f"≤ {MAX_TOML_BYTES >> 10} KiB, nesting ≤ {MAX_NESTING}, a regular file",
            "shipped inputs are 1–10 kB, 6 levels deep; pipes, devices and folders are not read",
        ),
        (
            "CSV table named by an input",
            f"≤ {MAX_TABLE_BYTES >> 20} MiB, a regular file, finite numbers",
            "the largest shipped table is 26 kB",
        ),
        ("reconstructed bins per detector", f"≤ {MAX_RECO_BINS:,}", "the response matrix and the data stay small"),
        ("fine deposited-energy bins per detector", f"≤ {MAX_FINE_BINS:,}", "10× the accuracy study's reference"),
        (
            "E_ν nodes per baseline group",
            f"≤ {MAX_ENU_NODES:,}",
            "set by dm2_max, the baseline, panel_phase, panel_max and panel_nodes",
        ),
        ("entries of a fold or response matrix", f"≤ {MAX_MATRIX_ENTRIES:,}", "under 0.5 GiB each"),
        ("steps of a fold-matrix integration", f"≤ {MAX_FOLD_WORK:,}", "a build under a minute"),
        (
            "expected or observed counts per detector",
            f"≤ {MAX_COUNTS:g}",
            "rounding of the statistic (N × 2.2e-16) stays ≪ 1e-3",
        ),
        (
            "\\|dm2_31\\|, dm2_21, Δm² constraints and fit limits",
            "≤ [numerics] dm2_max",
            "the E_ν grid resolves oscillations up to dm2_max",
        ),
    ]
    return [f"| {a} | {b} | {c} |" for a, b, c in rows]


def reference_markdown() -> str:
    """The configuration reference (docs/configuration.md), generated from :data:`RULES`."""
    lines = [
        "# Configuration reference",
        "",
        "Generated from `juno_fit/config/rules.py` by `python -m juno_fit.config`; do not edit by hand.",
        "Every key is checked when a config is read: a value outside its accepted range, of the wrong",
        "type, non-finite, or an unknown key is refused with one line naming the file, the key and the",
        "accepted values (exit code 2). `*` stands for a name you choose (detector, core, background) or",
        "an isotope (U235, U238, Pu239, Pu241).",
        "",
        "## Limits of the whole model",
        "",
        "| limit | value | why |",
        "|---|---|---|",
        *_limit_rows(),
        "| reactor cores | at least one core per detector with power_gw > 0 | no reactor signal, nothing to fit |",
        "| names of detectors, cores, backgrounds | letters, digits, _ + - | they become parameter names |",
        "",
    ]
    for prefix, title in _FILES.items():
        lines += [f"## {title}", "", "| key | meaning | type | default | accepted | why |", "|---|---|---|---|---|---|"]
        for path, r in RULES.items():
            if not path.startswith(prefix + "."):
                continue
            key = path[len(prefix) + 1 :]
            kind = {"number": "number", "integer": "integer", "duration": "duration"}.get(r.kind, r.kind)
            why, doc = r.why.replace("|", "\\|"), r.doc.replace("|", "\\|")
            lines.append(f"| `{key}` | {doc} | {kind} | {_default_text(r)} | {_accepted_text(r)} | {why} |")
        lines.append("")
    return "\n".join(lines)
