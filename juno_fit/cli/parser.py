"""The argument parser of the ``juno-fit`` command: one sub-command per task."""

from __future__ import annotations

import argparse

from .. import __version__
from .common import (
    _add_config,
    _add_configs,
    _add_joint_options,
    _add_parallel,
)
from .ensembles import cmd_bench, cmd_merge, cmd_summary, cmd_toys
from .neyman import add_parsers as add_neyman_parsers
from .profiles import cmd_contour, cmd_exclusion, cmd_nmo, cmd_precision, cmd_scan
from .single import cmd_fit, cmd_predict, cmd_simulate


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="juno-fit",
        description="Reactor antineutrino oscillation fits for JUNO-like experiments.",
    )
    parser.add_argument("--version", action="version", version=f"juno-fit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("predict", help="expected IBD and background rates and counts for a config")
    _add_config(p)
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.add_argument("--plot", metavar="FILE", help="save the stacked prompt spectrum (PNG or PDF)")
    p.add_argument("--force", action="store_true", help="overwrite an existing plot file")
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("simulate", help="write the Asimov data set or one Poisson pseudo-experiment (HDF5)")
    _add_config(p)
    p.add_argument("-o", "--output", required=True, metavar="FILE.h5", help="output data set")
    p.add_argument("--toy", type=int, metavar="K", help="pseudo-experiment number K (seeded by the config seed and K)")
    p.add_argument("--throw-nuisances", action="store_true", help="draw nuisance parameters from their priors (toys)")
    p.add_argument("--force", action="store_true", help="overwrite an existing output file")
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("fit", help="fit the oscillation parameters (Asimov data of the config unless --data)")
    _add_configs(p)
    p.add_argument(
        "--data",
        action="append",
        metavar="FILE",
        help="data set from 'juno-fit simulate' (.h5), a JUNO release table (.csv), 'real' (Daya Bay) or "
        "'asimov'; once per config",
    )
    p.add_argument("-o", "--output", metavar="RESULT.h5", help="save the result with its provenance")
    p.add_argument("--force", action="store_true", help="overwrite existing result and plot files")
    p.add_argument(
        "--force-data",
        action="store_true",
        help="fit a data set made for another exposure than the config's (or one that does not record it)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.add_argument(
        "--ordering", choices=("normal", "inverted"), help="mass ordering of the true point and the fit's start"
    )
    p.add_argument("--no-minos", action="store_true", help="skip MINOS (HESSE errors only)")
    p.add_argument("--plot", metavar="FILE", help="data, stacked best fit and residuals (PNG or PDF)")
    p.add_argument("--plot-pulls", metavar="FILE", help="nuisance pulls")
    p.add_argument("--plot-correlation", metavar="FILE", help="correlation matrix of the free parameters")
    p.set_defaults(func=cmd_fit)

    p = sub.add_parser("scan", help="Δχ² profile of one parameter (every other parameter re-minimised)")
    _add_configs(p)
    p.add_argument("--param", required=True, metavar="NAME", help="parameter to scan, e.g. dm2_31")
    p.add_argument("--range", nargs=2, type=float, metavar=("LO", "HI"), help="scan range (default ±4σ)")
    p.add_argument("--points", type=int, default=41, metavar="N", help="scan points (default 41)")
    p.add_argument(
        "--data",
        action="append",
        metavar="FILE",
        help="data set (.h5), JUNO release table (.csv), 'real' (Daya Bay) or 'asimov' (default); once per config",
    )
    p.add_argument("--force-data", action="store_true", help="accept data made for another exposure")
    p.add_argument("--plot", metavar="FILE", help="Δχ² profile plot (PNG or PDF)")
    p.add_argument("--save", metavar="FILE", help="write the profile: HDF5 (.h5) or CSV (.csv, one row per point)")
    p.add_argument("--force", action="store_true", help="overwrite existing output files")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    _add_parallel(p)
    p.set_defaults(func=cmd_scan)

    p = sub.add_parser("contour", help="2D Δχ² contours on a profiled grid")
    p.add_argument("configs", nargs="+", metavar="CONFIG", help="one or more configs (overlaid)")
    p.add_argument("--params", nargs=2, required=True, metavar=("A", "B"), help="the two parameters")
    p.add_argument("--exposure", action="append", help="exposure(s) to overlay (default: each config's own)")
    p.add_argument("--points", type=int, default=25, metavar="N", help="grid points per axis (default 25)")
    p.add_argument("--points-a", type=int, metavar="N", help="grid points along A (default: --points)")
    p.add_argument("--points-b", type=int, metavar="N", help="grid points along B (default: --points)")
    p.add_argument(
        "--range-a", nargs=2, type=float, metavar=("LO", "HI"), help="range of A, ends included (default ±4.5σ)"
    )
    p.add_argument(
        "--range-b", nargs=2, type=float, metavar=("LO", "HI"), help="range of B, ends included (default ±4.5σ)"
    )
    p.add_argument("--log-a", action="store_true", help="logarithmic grid and axis for A (needs --range-a > 0)")
    p.add_argument("--log-b", action="store_true", help="logarithmic grid and axis for B (needs --range-b > 0)")
    _add_parallel(p, None)
    p.add_argument(
        "--data",
        action="append",
        metavar="FILE",
        help="data set (.h5), JUNO release table (.csv), 'real' (Daya Bay) or 'asimov': for a single config and "
        "exposure, or once per config with --joint",
    )
    p.add_argument(
        "--joint", action="store_true", help="fit the configs jointly (oscillation shared) instead of overlaying them"
    )
    _add_joint_options(p, "with --joint:")
    p.add_argument("--force-data", action="store_true", help="accept data made for another exposure")
    p.add_argument("--mncontour", action="store_true", help="also compute iminuit's MnContour and compare")
    p.add_argument("--plot", metavar="FILE", help="contour plot (PNG or PDF)")
    p.add_argument(
        "--save", metavar="FILE", help="write the Δχ² grid (one config): HDF5 (.h5) or CSV (.csv, one row per point)"
    )
    p.add_argument("--force", action="store_true", help="overwrite existing output files")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(func=cmd_contour)

    p = sub.add_parser(
        "exclusion", help="exclusion limits on a new-physics mixing against its mass splitting (raster and 2 dof)"
    )
    _add_config(p)
    p.add_argument("--data", metavar="FILE", help="data set (.h5) or JUNO release table (.csv); default: Asimov data")
    p.add_argument("--force-data", action="store_true", help="accept data made for another exposure")
    p.add_argument("--mixing", default="sin2_theta14", help="the mixing parameter (default sin2_theta14)")
    p.add_argument("--mass", default="dm2_41", help="the mass splitting (default dm2_41)")
    p.add_argument(
        "--mass-range", nargs=2, type=float, metavar=("LO", "HI"), help="default: 1e-5 to [numerics] dm2_max"
    )
    p.add_argument("--mass-points", type=int, default=20, metavar="N", help="rows of the grid (default 20)")
    p.add_argument("--linear-mass", action="store_true", help="linearly spaced rows (default: logarithmic)")
    p.add_argument("--mixing-range", nargs=2, type=float, metavar=("LO", "HI"), default=(0.0, 0.1))
    p.add_argument("--mixing-points", type=int, default=21, metavar="N", help="columns of the grid (default 21)")
    p.add_argument("--cl", type=float, nargs="+", default=[90.0, 95.0], metavar="PERCENT", help="confidence levels")
    _add_parallel(p, None)
    p.add_argument("--plot", metavar="FILE", help="exclusion plot (PNG or PDF)")
    p.add_argument("--force", action="store_true", help="overwrite an existing plot")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(func=cmd_exclusion)

    p = sub.add_parser("nmo", help="mass-ordering sensitivity on Asimov data (both orderings fitted)")
    p.add_argument(
        "configs",
        nargs="+",
        metavar="CONFIG",
        help="config name or .toml path; several: a joint fit (oscillation shared)",
    )
    _add_joint_options(p)
    p.add_argument("--exposure", action="append", help='exposure(s), e.g. "1y" (default: the config\'s)')
    p.add_argument("--vacuum", action="store_true", help="also compute it with the matter effect switched off")
    p.add_argument("--plot", metavar="FILE", help="√Δχ² versus exposure (PNG or PDF)")
    p.add_argument("--force", action="store_true", help="overwrite an existing plot file")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    _add_parallel(p)
    p.set_defaults(func=cmd_nmo)

    p = sub.add_parser("precision", help="relative 1σ precision of the oscillation parameters per exposure")
    p.add_argument(
        "configs",
        nargs="+",
        metavar="CONFIG",
        help="config name or .toml path; several: a joint fit (oscillation shared)",
    )
    p.add_argument(
        "--exposure",
        action="append",
        metavar="EXPOSURE",
        help='exposure ("100d", "6y", ...); repeat for several (required for one config; a joint fit keeps each '
        "config's own)",
    )
    _add_joint_options(p)
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    _add_parallel(p)
    p.set_defaults(func=cmd_precision)

    p = sub.add_parser("toys", help="fit an ensemble of pseudo-experiments on Dask (resumable)")
    _add_config(p)
    p.add_argument("--n", type=int, required=True, metavar="N", help="number of pseudo-experiments")
    p.add_argument("--first", type=int, default=0, metavar="K", help="index of the first toy (default 0)")
    p.add_argument("--true-ordering", choices=("normal", "inverted"), help="true mass ordering (default: the config's)")
    p.add_argument("--nmo", action="store_true", help="fit each toy under both orderings (Δχ²_NMO per toy)")
    p.add_argument("--throw-nuisances", action="store_true", help="draw the nuisance parameters of each toy")
    p.add_argument(
        "--global", dest="global_search", action="store_true", help="also start Δm²31 at ±5…30 %% (global minimum)"
    )
    p.add_argument("-o", "--output", required=True, metavar="FILE.h5", help="ensemble file (resumed if it exists)")
    p.add_argument("--force", action="store_true", help="start a new ensemble even if the file exists")
    p.add_argument("--chunk", type=int, metavar="M", help="toys per Dask task (default: automatic, ≤ 4)")
    p.add_argument(
        "--minimiser",
        choices=("newton", "migrad"),
        default="newton",
        help="Newton iterations with the true point's curvature (default; MIGRAD where they fail) or MIGRAD "
        "with HESSE for every toy (--nmo and --global always use MIGRAD)",
    )
    p.add_argument(
        "--save-every",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="rewrite the output at most this often (default 5)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    _add_parallel(p, None)
    p.set_defaults(func=cmd_toys)

    add_neyman_parsers(sub)

    p = sub.add_parser("merge", help="merge ensemble (toys) or construction (fc) files of the same run")
    p.add_argument("inputs", nargs="+", metavar="FILE.h5", help="ensemble or construction files")
    p.add_argument("-o", "--output", required=True, metavar="FILE.h5", help="merged file")
    p.add_argument("--force", action="store_true", help="overwrite an existing output file")
    p.set_defaults(func=cmd_merge)

    p = sub.add_parser("summary", help="pulls, coverage, convergence and Δχ²_NMO of an ensemble")
    p.add_argument("ensemble", metavar="FILE.h5", help="ensemble file from 'juno-fit toys'")
    p.add_argument("--plot", metavar="DIR", help="write one figure per parameter (and the Δχ² distribution) here")
    p.add_argument("--force", action="store_true", help="overwrite existing figures in DIR")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(func=cmd_summary)

    p = sub.add_parser("bench", help="time kernels, model evaluations, gradient and fits side by side")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.add_argument("--no-starts", action="store_true", help="skip the cold/warm start runs")
    p.add_argument(
        "-o",
        "--output",
        metavar="FILE.json",
        help="also write the report here (default: benchmarks/results/ in a checkout)",
    )
    p.add_argument("--force", action="store_true", help="overwrite an existing report file")
    p.set_defaults(func=cmd_bench)
    return parser
