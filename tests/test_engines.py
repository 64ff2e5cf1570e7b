"""The numba engine is optional: skreg imports without it and says how to get it."""

import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skreg._engines import NUMBA_INSTALL_HINT, load_kernels, numba_available


def test_importing_skreg_imports_neither_numba_nor_the_kernels():
    code = (
        "import sys, skreg; "
        "print(sorted({'numba', 'skreg._kernels'} & set(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_without_numba_loading_the_kernels_names_the_extra(monkeypatch):
    # None in sys.modules makes `import numba` raise ImportError.
    monkeypatch.setitem(sys.modules, "numba", None)
    monkeypatch.delitem(sys.modules, "skreg._kernels", raising=False)
    assert not numba_available()
    with pytest.raises(ImportError, match=r'pip install "skreg\[numba\]"'):
        load_kernels()
    assert NUMBA_INSTALL_HINT == 'pip install "skreg[numba]"'


def test_with_numba_the_kernels_load():
    pytest.importorskip("numba")
    assert numba_available()
    assert "adam_step" in vars(load_kernels())


# ----------------------------------------------------------------------
# Both engines train the same models, to rounding.
# ----------------------------------------------------------------------
from numpy.testing import assert_allclose  # noqa: E402

from conftest import ESTIMATOR_OF_TASK, make_problem  # noqa: E402
from skreg import MLPRegularizedClassifier, MLPRegularizedRegressor  # noqa: E402

ALL_FOUR = {"l1_weight": 1e-3, "l1_bias": 2e-3, "l2_weight": 3e-3, "l2_bias": 4e-3}
#: Relative agreement of the two engines' losses after a few epochs.
AGREEMENT = {np.float64: 1e-9, np.float32: 1e-3}


def poisson_problem():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 4))
    return X, rng.poisson(np.exp(0.3 * X[:, 0])).astype(float)


def fit_both(Estimator, X, y, **parameters):
    models = {}
    for engine in ("numpy", "numba"):
        model = Estimator(engine=engine, random_state=0, **parameters)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            models[engine] = model.fit(X, y)
    return models["numpy"], models["numba"]


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
@pytest.mark.parametrize("l1_method", ["subgradient", "proximal"])
@pytest.mark.parametrize("activation", ["identity", "logistic", "tanh", "relu"])
@pytest.mark.parametrize(
    "task", ["multiclass", "binary", "multilabel", "regression", "poisson"]
)
def test_numba_engine_trains_the_numpy_engines_model(
    task, activation, l1_method, solver, dtype
):
    pytest.importorskip("numba")
    if task == "poisson":
        Estimator, (X, y) = MLPRegularizedRegressor, poisson_problem()
        extra = {"loss": "poisson"}
    else:
        Estimator, (X, y), extra = ESTIMATOR_OF_TASK[task], make_problem(task), {}
    reference, compiled = fit_both(
        Estimator,
        X.astype(dtype),
        y,
        hidden_layer_sizes=(5,),
        activation=activation,
        solver=solver,
        l1_method=l1_method,
        max_iter=4,
        learning_rate_init=0.01,
        **ALL_FOUR,
        **extra,
    )
    rtol = AGREEMENT[dtype]
    assert_allclose(compiled.loss_curve_, reference.loss_curve_, rtol=rtol)
    assert_allclose(compiled.penalty_curve_, reference.penalty_curve_, rtol=rtol)
    for ours, theirs in zip(
        compiled.coefs_ + compiled.intercepts_,
        reference.coefs_ + reference.intercepts_,
        strict=True,
    ):
        assert ours.dtype == dtype
        assert_allclose(ours, theirs, rtol=rtol, atol=rtol * 1e-2)


def test_engine_numba_without_numba_names_the_extra(monkeypatch):
    from skreg import _engines

    monkeypatch.setattr(_engines, "numba_available", lambda: False)
    monkeypatch.setitem(sys.modules, "numba", None)
    monkeypatch.delitem(sys.modules, "skreg._kernels", raising=False)
    X, y = make_problem("binary")
    model = MLPRegularizedClassifier(engine="numba", max_iter=2)
    with pytest.raises(ImportError, match=r'pip install "skreg\[numba\]"'):
        model.fit(X, y)
    assert not hasattr(model, "coefs_")
    # 'auto' falls back to NumPy.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        MLPRegularizedClassifier(engine="auto", max_iter=2).fit(X, y)


def test_bad_engine_name_is_rejected_naming_the_parameter():
    X, y = make_problem("regression")
    with pytest.raises(ValueError, match="'engine' parameter"):
        MLPRegularizedRegressor(engine="cuda").fit(X, y)
