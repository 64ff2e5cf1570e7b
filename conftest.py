"""Collection rules and options for the whole repository (pyproject's testpaths).

``--doctest-modules`` imports every module of skreg; the numba engine's
kernels need the optional dependency numba and the ONNX converters skl2onnx,
so each is skipped without its dependency.

``--engine numpy`` (or ``numba``) makes ``engine='auto'``, every estimator's
default, resolve to that engine for the run, so that the same suite tests
both engines: ``.ci/run`` runs it once with the default (numba, which the
tests extra installs) and once with ``--engine numpy``.
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
        default="auto",
        help="what engine='auto' resolves to in this run (default: numba if "
        "it imports, else numpy)",
    )


@pytest.fixture(scope="session", autouse=True)
def auto_engine(request):
    """Resolve engine='auto' to the engine --engine names, for the session."""
    choice = request.config.getoption("--engine")
    if choice == "auto":
        yield
        return
    from skreg import _engines

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_engines, "numba_available", lambda: choice == "numba")
        yield


def pytest_report_header(config):
    choice = config.getoption("--engine")
    if choice == "auto":
        choice = "numba" if importlib.util.find_spec("numba") else "numpy"
    return f"skreg engine='auto' resolves to: {choice}"
