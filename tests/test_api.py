"""The public Python API (juno_fit/api.py, juno_fit/results.py): every public name documented, the
same numbers as the command line for the same inputs, result objects, refusals, progress."""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from cli_contract import run_cli, strict_json

import juno_fit as jf

ROOT = Path(__file__).resolve().parents[1]
API_PAGE = ROOT / "docs" / "api.md"


# --------------------------------------------------------------------------------------------------
# Every public name is documented
# --------------------------------------------------------------------------------------------------


def _public_objects():
    """(qualified name, object) of every public name: the package's ``__all__`` (classes with their
    public methods and properties) and ``juno_fit.plots.__all__``."""
    items = []
    for name in jf.__all__:
        if name == "__version__":
            continue
        obj = getattr(jf, name)
        if inspect.ismodule(obj):
            items += [(f"{name}.{n}", getattr(obj, n)) for n in obj.__all__]
            continue
        items.append((name, obj))
        if inspect.isclass(obj) and not issubclass(obj, Exception):
            for attr, member in vars(obj).items():
                if attr.startswith("_") or attr in getattr(obj, "__dataclass_fields__", {}):
                    continue
                if callable(member) or isinstance(member, property):
                    items.append((f"{name}.{attr}", member))
    return items


def _parameters_documented(obj) -> list[str]:
    """Parameters of a function that its numpydoc ``Parameters`` section does not name."""
    doc = inspect.getdoc(obj) or ""
    if "Parameters\n----------" not in doc:
        return [p for p in inspect.signature(obj).parameters if p not in ("self", "cls")]
    section = doc.split("Parameters\n----------", 1)[1].split("\n\n\n")[0]
    section = re.split(r"\n[A-Z][a-z]+\n-+\n", section)[0]
    named = set()
    for line in section.splitlines():
        if line and not line.startswith(" "):
            for part in line.split(":")[0].split(","):
                named.add(part.strip().lstrip("*"))
    return [p for p in inspect.signature(obj).parameters if p not in ("self", "cls") and p not in named]


def test_every_public_name_is_documented():
    objects = _public_objects()
    assert len(objects) > 40  # the walk found the API, not an empty list
    plain = [name for name, obj in objects if not (callable(obj) or isinstance(obj, property))]
    assert plain == [], f"public names that are data, not functions or classes (no docstring of their own): {plain}"
    undocumented = [name for name, obj in objects if not (inspect.getdoc(obj) or "").strip()]
    assert undocumented == [], f"public names without a docstring: {undocumented}"
    page = API_PAGE.read_text(encoding="utf-8")
    missing = [name for name, _ in objects if "." not in name and f"juno_fit.{name}" not in page]
    missing += [name for name, obj in objects if name.startswith("plots.") and name.split(".")[1] not in page]
    assert missing == [], f"public names missing from docs/api.md: {missing}"


def test_api_functions_document_every_parameter():
    functions = [(n, o) for n, o in _public_objects() if inspect.isfunction(o) and "." not in n]
    assert {n for n, _ in functions} >= {"load_config", "fit", "scan", "contour", "nmo", "precision", "toys"}
    gaps = {name: missing for name, obj in functions if (missing := _parameters_documented(obj))}
    assert gaps == {}, f"parameters missing from the numpydoc Parameters sections: {gaps}"


def test_top_level_names_are_the_api_functions():
    # the modules fitting/ordering/precision_table do not shadow the functions, whatever was imported
    import juno_fit.exclusion_limits
    import juno_fit.fitting
    import juno_fit.ordering
    import juno_fit.precision_table  # noqa: F401

    for name in ("fit", "nmo", "precision", "scan", "contour", "toys", "exclusion"):
        assert inspect.isfunction(getattr(jf, name)), name
    assert set(dir(jf)) >= set(jf.__all__)
    # no module of the package may take a public name: importing it would shadow the function
    import pkgutil

    modules = {m.name for m in pkgutil.iter_modules(jf.__path__)}
    assert modules & (set(jf.__all__) - {"plots"}) == set()
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        jf.nope


def test_typed_package():
    assert (ROOT / "juno_fit" / "py.typed").is_file()


# --------------------------------------------------------------------------------------------------
# The same numbers as the command line
# --------------------------------------------------------------------------------------------------


def _without(doc, *keys):
    """``doc`` without the (timing) keys, at any depth."""
    if isinstance(doc, dict):
        return {k: _without(v, *keys) for k, v in doc.items() if k not in keys}
    if isinstance(doc, list):
        return [_without(v, *keys) for v in doc]
    return doc


@pytest.fixture(scope="module")
def fast_likelihood(tmp_path_factory):
    from conftest import write_fast_config

    path = write_fast_config(tmp_path_factory.mktemp("api"))
    model = jf.build_model(jf.load_config(path))
    return path, jf.Likelihood(model, jf.asimov(model))


def test_fit_identical_to_cli(fast_likelihood):
    path, lik = fast_likelihood
    result = jf.fit(lik)
    code, out, _ = run_cli(["fit", path, "--json"])
    assert code == 0
    assert strict_json(out) == json.loads(result.to_json())
    assert result.minos["dm2_31"] is not None  # MINOS ran, as on the command line
    assert jf.fit(lik, minos=False).minos.get("dm2_31") is None


def test_scan_identical_to_cli(fast_likelihood):
    path, lik = fast_likelihood
    result = jf.scan(lik, "dm2_31", points=7, progress=False)
    code, out, _ = run_cli(["scan", path, "--param", "dm2_31", "--points", "7", "--json"])
    assert code == 0
    assert _without(strict_json(out), "seconds") == _without(json.loads(result.to_json()), "seconds")
    lo, hi = result.intervals["1"]
    assert lo < result.best.values["dm2_31"] < hi


def test_contour_identical_to_cli(fast_likelihood):
    path, lik = fast_likelihood
    rng_a, rng_b = (0.29, 0.325), (7.2e-5, 7.85e-5)
    result = jf.contour(
        lik,
        "sin2_theta12",
        "dm2_21",
        grid_a=np.linspace(*rng_a, 6),
        grid_b=np.linspace(*rng_b, 5),
        progress=False,
    )
    argv = ["contour", path, "--params", "sin2_theta12", "dm2_21", "--points-a", "6", "--points-b", "5"]
    argv += ["--range-a", *map(str, rng_a), "--range-b", *map(str, rng_b), "--json"]
    code, out, _ = run_cli(argv, limit=120)
    assert code == 0
    assert _without(strict_json(out), "seconds") == _without(json.loads(result.to_json()), "seconds")
    assert result.dchi2.shape == (6, 5)
    assert result.lines["1"], "the 1σ region lies inside the grid"


def test_precision_and_nmo_identical_to_cli(fast_config):
    config = jf.load_config(fast_config)
    table = jf.precision(config, ["100d"], progress=False)
    code, out, _ = run_cli(["precision", fast_config, "--exposure", "100d", "--json"], limit=120)
    assert code == 0
    assert strict_json(out) == json.loads(table.to_json())
    ordering = jf.nmo(config, ["100d"], progress=False)
    code, out, _ = run_cli(["nmo", fast_config, "--exposure", "100d", "--json"], limit=300)
    assert code == 0
    assert strict_json(out) == json.loads(ordering.to_json())
    assert ordering.exposures["100d"]["dchi2"] >= 0


def test_toys_identical_to_cli(fast_config, tmp_path):
    from juno_fit.ensemble import read_ensemble

    api_file, cli_file = tmp_path / "api.h5", tmp_path / "cli.h5"
    result = jf.toys(fast_config, 3, output=api_file, progress=False)
    code, out, _ = run_cli(["toys", fast_config, "--n", "3", "-o", cli_file, "--workers", "1", "--json"], limit=120)
    assert code == 0
    doc = strict_json(out)
    assert _without(doc, "seconds", "first_result_seconds", "output") == _without(
        result.to_dict(), "seconds", "first_result_seconds", "output"
    )
    a, b = read_ensemble(api_file).arrays(), read_ensemble(cli_file).arrays()
    for key in ("values", "errors", "truth", "valid", "fval"):
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    np.testing.assert_array_equal(result.arrays["values"], a["values"])
    assert result.summary["toys"] == 3


# --------------------------------------------------------------------------------------------------
# Result objects, inputs, refusals, progress
# --------------------------------------------------------------------------------------------------


def test_result_objects_display_and_plot(fast_likelihood):
    matplotlib.use("Agg")
    _, lik = fast_likelihood
    best = jf.fit(lik, minos=False)
    scan = jf.scan(lik, "sin2_theta12", points=5, best=best, progress=False)
    for result in (best, scan):
        text = repr(result)
        assert text.startswith(type(result).__name__)
        assert "sin2_theta12" in text
        page = result._repr_html_()
        assert page.count("<tr>") >= 3
        assert "</table>" in page
        json.loads(result.to_json(), parse_constant=lambda c: pytest.fail(f"non-finite {c}"))
    assert scan.plot().get_xlabel().startswith(r"$\sin^2")
    assert len(best.plot().get_yticklabels()) == len(best.pulls)
    import matplotlib.pyplot as plt

    plt.close("all")


def test_likelihood_takes_a_dataset_or_arrays(fast_likelihood):
    _, lik = fast_likelihood
    model = lik.model
    data = jf.pseudo_experiment(model, 3)
    theta = model.theta(dm2_31=2.51e-3)
    assert jf.Likelihood(model, data)(theta) == jf.Likelihood(model, data.arrays(model))(theta)
    with pytest.raises(jf.JunoFitError, match="toy: must be an integer"):
        jf.pseudo_experiment(model, -1)


def test_load_config_overrides_are_validated():
    config = jf.load_config("juno_nominal", exposure="1y", fit={"statistic": "cnp"}, oscillation={"dm2_31": 2.5e-3})
    assert (config.fit.statistic, config.oscillation.dm2_31, config.exposure_days) == ("cnp", 2.5e-3, 365.25)
    assert '"statistic": "cnp"' in config.text  # the provenance records the override
    with pytest.raises(jf.ConfigError, match=r"juno_nominal.toml: fit.statistic: unknown value 'chi'"):
        jf.load_config("juno_nominal", fit={"statistic": "chi"})
    with pytest.raises(jf.ConfigError, match=r"oscillation.sin2_theta12"):
        jf.load_config("juno_nominal", oscillation={"sin2_theta12": 1.5})


def test_refusals_before_work(fast_likelihood):
    _, lik = fast_likelihood
    with pytest.raises(jf.JunoFitError, match="unknown parameter 'theta'"):
        jf.scan(lik, "theta", progress=False)
    with pytest.raises(jf.JunoFitError, match="within its limits"):
        jf.scan(lik, "sin2_theta12", [-0.1, 0.3], progress=False)
    with pytest.raises(jf.JunoFitError, match="two different parameters"):
        jf.contour(lik, "dm2_21", "dm2_21", progress=False)
    with pytest.raises(jf.JunoFitError, match="give at least one exposure"):
        jf.precision("juno_nominal", [], progress=False)
    with pytest.raises(jf.JunoFitError, match="need 1 to 1e9 toys"):
        jf.toys("juno_nominal", 0, progress=False)
    with pytest.raises(jf.JunoFitError, match="not a shipped input"):
        jf.input_path("detector", "nope.csv")
    assert jf.input_path("detector", "juno2025/fig3_panel_a_data.csv").is_file()


def test_progress_bar_or_quiet(fast_likelihood, capsys):
    _, lik = fast_likelihood
    best = jf.fit(lik, minos=False)
    capsys.readouterr()
    jf.scan(lik, "dm2_21", points=5, best=best, progress=False)
    assert capsys.readouterr().err == ""
    jf.scan(lik, "dm2_21", points=5, best=best)
    err = capsys.readouterr().err
    assert "scan dm2_21" in err
    assert "5/5" in err
    seen = []
    jf.scan(lik, "dm2_21", points=5, best=best, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (5, 5)


def test_figure_style():
    from juno_fit.plots import use_style

    with pytest.raises(jf.JunoFitError, match="unknown style 'root'"):
        use_style("root")
    before = dict(matplotlib.rcParams)
    try:
        import mplhep  # noqa: F401
    except ImportError:
        with pytest.raises(jf.JunoFitError, match=r"pip install 'juno-fit\[hep\]'"):
            use_style("hep")
    else:
        use_style("hep")
        assert dict(matplotlib.rcParams) != before
    finally:
        use_style("default")
        matplotlib.use("Agg")
