"""Where the physics input folders (spectra/, detector/, configs/) are.

In a repository checkout they are at the top level; an installed wheel carries copies inside the
package as ``juno_fit/_inputs/<kind>`` (pyproject.toml, ``force-include``). The package copy wins
when both exist, so an installed juno-fit never reads a stray checkout.
"""

from __future__ import annotations

from pathlib import Path

KINDS = ("spectra", "detector", "configs")

_PACKAGE = Path(__file__).resolve().parent


def input_dir(kind: str) -> Path:
    """Return the folder holding the inputs of one kind ("spectra", "detector" or "configs")."""
    if kind not in KINDS:
        raise ValueError(f"unknown input kind {kind!r} (accepted: {', '.join(KINDS)})")
    packaged = _PACKAGE / "_inputs" / kind
    if packaged.is_dir():
        return packaged
    return _PACKAGE.parent / kind


def available(kind: str) -> list[str]:
    """Names (file stems) of the TOML inputs of one kind, sorted."""
    folder = input_dir(kind)
    return sorted(p.stem for p in folder.glob("*.toml")) if folder.is_dir() else []
