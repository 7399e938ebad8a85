"""Draw the model chain of juno-fit (docs/model.md) as boxes and arrows: no physics is computed.

    python docs/_scripts/chain_diagram.py [OUTPUT.png]

docs/conf.py runs it at build time when docs/_static/model_chain.png is missing or older than this
script, so the figure in the built site always matches this file.
"""

from __future__ import annotations

import sys
from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "_static" / "model_chain.png"

# (x, y) centres on a 0..16 × 0..9 canvas, box text, fill colour
INPUT = "#e8eef7"
STAGE = "#fdf1dc"
RESULT = "#e3f2e1"
FIT = "#f6e1e6"
BOXES = {
    "config": (1.6, 7.6, "config\nconfigs/*.toml\n(validated, frozen)", INPUT),
    "inputs": (1.6, 5.0, "inputs\nspectra/, detector/\nisotope spectra, sites,\ndetectors", INPUT),
    "flux": (5.6, 7.6, "reactor flux Φ_r(E_ν)\nper core: isotopes, fission\nfractions, power, baseline", STAGE),
    "osc": (5.6, 5.0, "survival probability\nP_ee(E_ν, L_r)\nvacuum or matter", STAGE),
    "ibd": (5.6, 2.4, "IBD cross section σ(E_ν)\n+ neutron recoil\n(fold matrix K)", STAGE),
    "fold": (9.6, 5.0, "fold: Φ × P_ee × σ\n→ fine deposited-\nenergy bins", STAGE),
    "resp": (9.6, 2.4, "detector response\nnonlinearity, scale,\nresolution, efficiency", STAGE),
    "bkg": (13.8, 7.6, "backgrounds\nrate × shape\nper reco bin", STAGE),
    "counts": (13.8, 5.0, "expected counts μ_i(θ)\nper reconstructed\nprompt-energy bin", RESULT),
    "like": (13.8, 2.4, "likelihood\nPoisson / χ² vs data n_i\n+ pull terms, covariances", FIT),
}
WIDTH, HEIGHT = 3.3, 1.6
# the fit: a wide bar under the chain; it moves the parameters θ and reads the likelihood
FIT_TEXT = "fit (iminuit): MIGRAD, HESSE, MINOS of the parameters θ; scans, contours, mass ordering, toys"
FIT_BOX = (7.7, 0.35, 14.6, 0.7, FIT_TEXT)
ARROWS = [
    ("config", "flux"),
    ("inputs", "flux"),
    ("config", "osc"),
    ("inputs", "ibd"),
    ("flux", "fold"),
    ("osc", "fold"),
    ("ibd", "fold"),
    ("fold", "resp"),
    ("resp", "counts"),
    ("bkg", "counts"),
    ("counts", "like"),
]


def _edge_point(box: tuple[float, float], toward: tuple[float, float]) -> tuple[float, float]:
    """Where the line from a box's centre toward another point leaves the box."""
    (x, y), (tx, ty) = box, toward
    dx, dy = tx - x, ty - y
    scale = min(
        (WIDTH / 2) / abs(dx) if dx else float("inf"),
        (HEIGHT / 2) / abs(dy) if dy else float("inf"),
    )
    return x + dx * scale, y + dy * scale


def draw(output: Path = DEFAULT_OUTPUT) -> Path:
    fig = Figure(figsize=(11, 6.4))  # no pyplot: no GUI backend, no global state
    ax = fig.subplots()
    ax.set_xlim(-0.3, 15.9)
    ax.set_ylim(-0.2, 8.6)
    ax.set_axis_off()
    for x, y, text, colour in BOXES.values():
        ax.add_patch(
            FancyBboxPatch(
                (x - WIDTH / 2, y - HEIGHT / 2),
                WIDTH,
                HEIGHT,
                boxstyle="round,pad=0.02,rounding_size=0.15",
                facecolor=colour,
                edgecolor="#444444",
                linewidth=1.0,
            )
        )
        ax.text(x, y, text, ha="center", va="center", fontsize=9.5)
    fx, fy, fw, fh, ftext = FIT_BOX
    ax.add_patch(
        FancyBboxPatch(
            (fx - fw / 2, fy - fh / 2),
            fw,
            fh,
            boxstyle="round,pad=0.02,rounding_size=0.15",
            facecolor=FIT,
            edgecolor="#444444",
            linewidth=1.0,
        )
    )
    ax.text(fx, fy, ftext, ha="center", va="center", fontsize=9.5)
    arrows = [(_edge_point(BOXES[a][:2], BOXES[b][:2]), _edge_point(BOXES[b][:2], BOXES[a][:2])) for a, b in ARROWS]
    lx, ly = BOXES["like"][:2]
    arrows.append(((lx, ly - HEIGHT / 2), (lx, fy + fh / 2)))
    for start, end in arrows:
        ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=14, color="#333333", lw=1.2))
    ax.set_title("juno-fit: from a config to expected counts, the likelihood and the fit", fontsize=12)
    fig.tight_layout()
    output.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(output, dpi=110)
    return output


if __name__ == "__main__":
    print(draw(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUTPUT))
