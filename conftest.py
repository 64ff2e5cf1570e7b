"""Collection rules and options for the whole repository (pyproject's testpaths).

``--doctest-modules`` imports every module of skreg; the numba engine's
kernels need the optional dependency numba and the ONNX converters skl2onnx,
so each is skipped without its dependency.

``--engine numpy`` (or ``numba``) makes ``engine='auto'``, every estimator's
default, resolve to that engine for every fit of the run, whatever the fit's
size (it replaces :func:`skreg._engines.resolve_auto`), so that the same suite
tests both engines: ``.ci/run`` runs it once with the default (``--engine
numba`` when numba is installed, which the tests extra does: the suite's fits
are all small, which 'auto' itself would run on NumPy) and once with
``--engine numpy``. ``--engine auto`` leaves the rule alone.
"""

import importlib.util

import pytest

collect_ignore = []
if importlib.util.find_spec("numba") is None:
    collect_ignore.append("skreg/_kernels.py")
if importlib.util.find_spec("skl2onnx") is None:
    collect_ignore.append("skreg/onnx.py")


def pytest_addoption(parser):
    parser.addoption(
        "--engine",
        choices=("auto", "numpy", "numba"),
        default=None,
        help="what engine='auto' resolves to in this run, for every fit "
        "(default: numba if it is installed, else numpy; 'auto': the rule of "
        "skreg._engines.resolve_auto)",
    )


def engine_choice(config):
    """The --engine option, its default resolved."""
    choice = config.getoption("--engine")
    if choice is None:
        choice = "numba" if importlib.util.find_spec("numba") else "numpy"
    return choice


@pytest.fixture(scope="session", autouse=True)
def auto_engine(request):
    """Resolve engine='auto' to the engine --engine names, for the session."""
    choice = engine_choice(request.config)
    if choice == "auto":
        yield
        return
    from skreg import _engines

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_engines, "resolve_auto", lambda work: choice)
        yield


def pytest_report_header(config):
    choice = engine_choice(config)
    if choice == "auto":
        choice = "numpy or numba by each fit's size (resolve_auto)"
    return f"skreg engine='auto' resolves to: {choice}"
