"""The numba engine is optional: skreg imports without it and says how to get it."""

import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skreg import _engines
from skreg._base import SOLVERS
from skreg._engines import NUMBA_INSTALL_HINT, load_kernels, numba_available

#: engine='auto''s rule, as imported: the session's --engine option replaces
#: _engines.resolve_auto (see the root conftest.py).
RESOLVE_AUTO = _engines.resolve_auto


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
from numpy.testing import assert_allclose, assert_array_equal  # noqa: E402

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
@pytest.mark.parametrize("solver", SOLVERS)
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


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("l1_method", ["subgradient", "proximal"])
@pytest.mark.parametrize("solver, learning_rate_init", [("sgd", 0.05), ("adam", 0.01)])
def test_numba_engine_fuses_the_group_term_and_removes_the_same_rows(
    solver, learning_rate_init, l1_method, dtype
):
    pytest.importorskip("numba")
    from sklearn.datasets import make_classification
    from sklearn.preprocessing import StandardScaler

    # 20 inputs, the first 4 informative: the group term removes noise inputs
    # and hidden units well away from the threshold in a short fit, so that
    # rounding cannot flip a row.
    X, y = make_classification(
        400, 20, n_informative=4, n_redundant=0, shuffle=False, random_state=0
    )
    X = StandardScaler().fit_transform(X).astype(dtype)
    parameters = dict(
        hidden_layer_sizes=(16,),
        solver=solver,
        learning_rate_init=learning_rate_init,
        group_l1_weight=[0.02, 0.005],
        l1_weight=1e-3,
        l1_method=l1_method,
        max_iter=30,
    )
    with warnings.catch_warnings():
        # engine='numba' no longer says that a pass runs in NumPy.
        warnings.simplefilter("error", UserWarning)
        reference, compiled = fit_both(MLPRegularizedClassifier, X, y, **parameters)
    rtol = AGREEMENT[dtype]
    for ours, theirs in zip(compiled.coefs_, reference.coefs_, strict=True):
        assert ours.dtype == dtype
        assert_allclose(ours, theirs, rtol=rtol, atol=rtol * 1e-2)
        # The same rows removed, exactly.
        assert_array_equal((ours == 0).all(axis=1), (theirs == 0).all(axis=1))
    for key, value in reference.sparsity().items():
        assert_array_equal(compiled.sparsity()[key], value)
    assert_array_equal(
        compiled.feature_importances_ > 0, reference.feature_importances_ > 0
    )
    assert_allclose(
        compiled.predict_proba(X), reference.predict_proba(X), rtol=rtol, atol=rtol
    )
    assert_allclose(compiled.penalty_curve_, reference.penalty_curve_, rtol=rtol)
    if l1_method == "proximal":
        # Noise inputs removed, the informative ones kept.
        kept = reference.feature_importances_ > 0
        assert kept[:4].all() and not kept.all()


def test_engine_numba_without_numba_names_the_extra(monkeypatch):
    monkeypatch.setattr(_engines, "resolve_auto", RESOLVE_AUTO)
    monkeypatch.setattr(_engines, "numba_available", lambda: False)
    monkeypatch.setitem(sys.modules, "numba", None)
    monkeypatch.delitem(sys.modules, "skreg._kernels", raising=False)
    X, y = make_problem("binary")
    model = MLPRegularizedClassifier(engine="numba", max_iter=2)
    with pytest.raises(ImportError, match=r'pip install "skreg\[numba\]"'):
        model.fit(X, y)
    assert not hasattr(model, "coefs_")
    # 'auto' runs on NumPy, without a word: numba is not installed.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = MLPRegularizedClassifier(engine="auto", max_iter=2).fit(X, y)
    assert model._fitted_engine == "numpy"


def test_auto_falls_back_to_numpy_saying_why_when_numba_fails_to_import(
    monkeypatch,
):
    # Installed (as 'auto' sees it) and chosen, but the import fails.
    monkeypatch.setattr(_engines, "resolve_auto", lambda work: "numba")
    monkeypatch.setattr(_engines, "numba_available", lambda: False)
    X, y = make_problem("binary")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with pytest.warns(UserWarning, match="importing numba failed") as record:
            model = MLPRegularizedClassifier(engine="auto", max_iter=2).fit(X, y)
    assert model._fitted_engine == "numpy"
    # The warning names the test's line, not skreg's.
    assert record[0].filename == __file__


def test_bad_engine_name_is_rejected_naming_the_parameter():
    X, y = make_problem("regression")
    with pytest.raises(ValueError, match="'engine' parameter"):
        MLPRegularizedRegressor(engine="cuda").fit(X, y)


# ----------------------------------------------------------------------
# engine='auto': numba only for fits that repay loading it.
# ----------------------------------------------------------------------
#: ``(parameters, n_samples, n_features)`` of fits 'auto' runs on NumPy, and
#: of fits it runs on numba (where numba is installed): the tiny and the large
#: fit of ``benchmarks/bench_jit.py``, and their kin.
SHORT_FITS = {
    "tiny": ({"hidden_layer_sizes": (16,), "max_iter": 5}, 200, 20),
    "digits-sized, 20 epochs": (
        {"hidden_layer_sizes": (64,), "max_iter": 20},
        1797,
        64,
    ),
    "partial_fit-sized epoch": (
        {"hidden_layer_sizes": (256, 128), "max_iter": 1},
        50_000,
        100,
    ),
    "lbfgs, small": ({"solver": "lbfgs", "max_iter": 200}, 1000, 20),
}
LONG_FITS = {
    "large, 5 epochs": ({"hidden_layer_sizes": (256, 128), "max_iter": 5}, 50_000, 100),
    "small batches, 200 epochs": ({"batch_size": 16, "max_iter": 200}, 5000, 20),
}


@pytest.fixture
def auto_rule(monkeypatch):
    """engine='auto' decided by the rule, not by the session's --engine."""
    monkeypatch.setattr(_engines, "resolve_auto", RESOLVE_AUTO)


def fit_work(parameters, n_samples, n_features, incremental=False):
    model = MLPRegularizedClassifier(**parameters)
    layer_sizes = [n_features, *model.hidden_layer_sizes, 1]
    return model._fit_work(n_samples, layer_sizes, incremental)


@pytest.mark.parametrize("fit", SHORT_FITS.values(), ids=SHORT_FITS)
def test_auto_runs_short_fits_on_numpy(fit, monkeypatch):
    # Even with numba installed.
    monkeypatch.setattr(_engines, "numba_installed", lambda: True)
    work = fit_work(*fit)
    assert work.numba_saving() < _engines.NUMBA_LOAD_SECONDS
    assert RESOLVE_AUTO(work) == "numpy"


@pytest.mark.parametrize("fit", LONG_FITS.values(), ids=LONG_FITS)
@pytest.mark.parametrize("installed", [True, False])
def test_auto_runs_long_fits_on_numba_when_installed(fit, installed, monkeypatch):
    monkeypatch.setattr(_engines, "numba_installed", lambda: installed)
    work = fit_work(*fit)
    assert work.numba_saving() > _engines.NUMBA_LOAD_SECONDS
    assert RESOLVE_AUTO(work) == ("numba" if installed else "numpy")


def test_partial_fit_weighs_one_epoch():
    parameters, n_samples, n_features = LONG_FITS["large, 5 epochs"]
    whole = fit_work(parameters, n_samples, n_features)
    one_epoch = fit_work(parameters, n_samples, n_features, incremental=True)
    assert (one_epoch.n_passes, whole.n_passes) == (1, parameters["max_iter"])
    assert whole.n_steps == parameters["max_iter"] * one_epoch.n_steps


def test_numba_installed_does_not_import_numba():
    code = (
        "import sys; from skreg._engines import numba_installed; "
        "numba_installed(); print('numba' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_auto_short_fit_imports_neither_numba_nor_the_kernels(solver):
    # A fresh process with the rule as shipped (no conftest).
    code = (
        "import sys, warnings; warnings.simplefilter('ignore'); "
        "from sklearn.datasets import make_classification; "
        "from skreg import MLPRegularizedClassifier; "
        "X, y = make_classification(n_samples=200, n_features=20, random_state=0); "
        f"model = MLPRegularizedClassifier(solver={solver!r}, max_iter=5).fit(X, y); "
        "print(model._fitted_engine, "
        "sorted({'numba', 'skreg._kernels'} & set(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "numpy []"


@pytest.mark.parametrize(
    "Estimator", [MLPRegularizedClassifier, MLPRegularizedRegressor]
)
def test_auto_short_fit_is_the_numpy_engines_fit(Estimator, auto_rule):
    X, y = make_problem(
        "multiclass" if Estimator is MLPRegularizedClassifier else "regression"
    )
    parameters = dict(hidden_layer_sizes=(5,), max_iter=4, random_state=0, **ALL_FOUR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        auto = Estimator(engine="auto", **parameters).fit(X, y)
        reference = Estimator(engine="numpy", **parameters).fit(X, y)
    assert auto._fitted_engine == "numpy"
    # The same engine: bit for bit.
    assert auto.loss_curve_ == reference.loss_curve_
    for ours, theirs in zip(
        auto.coefs_ + auto.intercepts_,
        reference.coefs_ + reference.intercepts_,
        strict=True,
    ):
        np.testing.assert_array_equal(ours, theirs)


def test_auto_long_fit_is_the_numba_engines_fit(auto_rule, monkeypatch):
    pytest.importorskip("numba")
    # A small fit that the rule takes for a long one, as a saving of more
    # than the load: cheaper than fitting a large one.
    monkeypatch.setattr(_engines, "NUMBA_LOAD_SECONDS", 0.0)
    X, y = make_problem("multiclass")
    parameters = dict(hidden_layer_sizes=(5,), max_iter=4, random_state=0, **ALL_FOUR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        auto = MLPRegularizedClassifier(engine="auto", **parameters).fit(X, y)
        compiled = MLPRegularizedClassifier(engine="numba", **parameters).fit(X, y)
    assert auto._fitted_engine == "numba"
    assert auto.loss_curve_ == compiled.loss_curve_
    for ours, theirs in zip(
        auto.coefs_ + auto.intercepts_,
        compiled.coefs_ + compiled.intercepts_,
        strict=True,
    ):
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("solver", SOLVERS)
def test_engine_numba_runs_numba_even_for_a_tiny_fit(solver, auto_rule):
    pytest.importorskip("numba")
    X, y = make_problem("binary")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = MLPRegularizedClassifier(engine="numba", solver=solver, max_iter=2)
        model.fit(X, y)
    assert model._fitted_engine == "numba"
    assert all(np.isfinite(coef).all() for coef in model.coefs_)


@pytest.mark.parametrize("engine", ["numpy", "numba"])
def test_engine_option_forces_what_auto_resolves_to(engine, monkeypatch):
    # What the root conftest.py does for the session, whatever the fit's size.
    if engine == "numba":
        pytest.importorskip("numba")
    monkeypatch.setattr(_engines, "resolve_auto", lambda work: engine)
    X, y = make_problem("binary")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = MLPRegularizedClassifier(max_iter=2).fit(X, y)
    assert model._fitted_engine == engine


# ----------------------------------------------------------------------
# numba's disk cache: damaged or unwritable, it never takes a fit down
# ----------------------------------------------------------------------
#: A fit in a fresh process, on a copy of the package; 'auto' is made to
#: choose numba (the fit is small), and the engine that ran is printed.
CACHE_FIT = """
import sys, warnings
sys.path.insert(0, sys.argv[1])
{before}
import numpy as np
import skreg
assert skreg.__file__.startswith(sys.argv[1]), skreg.__file__
from skreg import MLPRegularizedClassifier, _engines
_engines.resolve_auto = lambda work: "numba"
X = np.random.RandomState(0).normal(size=(60, 4))
y = (X[:, 0] > 0).astype(int)
warnings.simplefilter("ignore")
warnings.simplefilter("always", UserWarning)
for _ in range(2):
    model = MLPRegularizedClassifier(
        hidden_layer_sizes=(3,), max_iter=2, engine=sys.argv[2], random_state=0
    ).fit(X, y)
    print("engine:", model._fitted_engine, model.coefs_[0].ravel()[:3].tolist())
"""
#: numba finds no writable place for a cache: its locators all decline.
NO_CACHE_LOCATION = (
    "import numba.core.caching as caching; caching.CacheImpl._locator_classes = []"
)


def run_cache_fit(package_parent, engine, before=""):
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            CACHE_FIT.format(before=before),
            str(package_parent),
            engine,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout, result.stderr


@pytest.fixture(scope="module")
def warm_copy(tmp_path_factory):
    """A copy of the package whose numba cache holds the fit's kernels."""
    import shutil
    from pathlib import Path

    import skreg

    parent = tmp_path_factory.mktemp("warm")
    shutil.copytree(
        Path(skreg.__file__).parent,
        parent / "skreg",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    clean, _ = run_cache_fit(parent, "numba")
    return parent, clean


DAMAGES = {
    "empty index": (".nbi", lambda data: b""),
    "truncated index": (".nbi", lambda data: data[: len(data) // 2]),
    "garbage data": (".nbc", lambda data: b"\x80\x04garbage" * 8),
}


@pytest.mark.parametrize(
    "damage, engine",
    # engine='numba' recompiles in memory (seconds): one damage is enough.
    [*((damage, "auto") for damage in DAMAGES), ("garbage data", "numba")],
)
def test_a_damaged_cache_falls_back_with_one_warning(
    warm_copy, damage, engine, tmp_path
):
    import shutil

    parent, clean = warm_copy
    shutil.copytree(parent / "skreg", tmp_path / "skreg")
    pattern, damaged = DAMAGES[damage]
    files = list((tmp_path / "skreg" / "__pycache__").glob(f"_kernels*{pattern}"))
    assert files
    for path in files:
        path.write_bytes(damaged(path.read_bytes()))
    out, err = run_cache_fit(tmp_path, engine)
    # 'auto' trains with NumPy, 'numba' compiles in memory: both fits of the
    # process succeed, with one warning naming the cause and the fix.
    expected = "numpy" if engine == "auto" else "numba"
    engines = [line.split()[1] for line in out.splitlines()]
    assert engines == [expected, expected]
    assert err.count("UserWarning") == 1
    assert "could not be loaded" in err
    assert "_kernels*.nbi" in err and str(tmp_path / "skreg" / "__pycache__") in err
    if engine == "numba":
        # The same model as from the undamaged cache.
        assert out == clean


@pytest.mark.parametrize("engine", ["auto", "numba"])
def test_no_writable_cache_location_trains_anyway(warm_copy, engine):
    parent, clean = warm_copy
    out, err = run_cache_fit(parent, engine, before=NO_CACHE_LOCATION)
    engines = [line.split()[1] for line in out.splitlines()]
    if engine == "auto":
        assert engines == ["numpy", "numpy"]
        assert err.count("UserWarning") == 1
        assert "NUMBA_CACHE_DIR" in err
    else:
        # Compiled in memory: the same model as with a cache.
        assert out == clean


# ----------------------------------------------------------------------
# Engines declare what they compute; the fit says what runs in NumPy
# ----------------------------------------------------------------------
def penalty_of(**lambdas):
    from skreg._base import PENALTY_PARAMETERS

    model = MLPRegularizedClassifier(
        hidden_layer_sizes=(3,), **{name: 0.0 for name in PENALTY_PARAMETERS}
    ).set_params(**lambdas)
    return model._penalty([4, 3, 2])


def test_engines_declare_the_terms_and_optimizers_they_fuse():
    from skreg._optimizers import OPTIMIZERS
    from skreg._penalties import (
        ESTIMATOR_PENALTIES,
        L2,
        NetworkPenalty,
        PenaltyEntry,
    )

    l1_l2 = penalty_of(l1_weight=0.1, l2_bias=0.2)
    grouped = penalty_of(l1_weight=0.1, group_l1_weight=0.3)

    class Unfused(L2):
        """A term that no kernel computes."""

    unfused = NetworkPenalty(
        grouped.entries
        + [PenaltyEntry(0, 12, Unfused, 0.4, parameter="made_up_weight")],
        grouped.size,
    )
    for optimizer_class in OPTIMIZERS.values():
        # The reference computes everything.
        assert _engines.NUMPY_ENGINE.numpy_passes(unfused, optimizer_class) == []
        assert _engines.NUMPY_ENGINE.fused_step(unfused, optimizer_class) is None
    if not numba_available():
        pytest.skip("numba is not installed")
    engine = _engines.numba_engine()
    assert set(engine.fused_steps) <= set(OPTIMIZERS.values())
    # Every term of the estimators' penalties has a kernel.
    assert engine.fused_terms == {row.term for row in ESTIMATOR_PENALTIES.values()}
    for solver, optimizer_class in OPTIMIZERS.items():
        if optimizer_class not in engine.fused_steps:
            # An optimizer without kernel is named by the user's parameter.
            assert engine.numpy_passes(l1_l2, optimizer_class) == [f"solver={solver!r}"]
            assert engine.fused_step(l1_l2, optimizer_class) is None
            continue
        for penalty in (l1_l2, grouped):
            assert engine.numpy_passes(penalty, optimizer_class) == []
            assert engine.fused_step(penalty, optimizer_class) is not None
        # A term without kernel is named by the user's parameter, and the
        # step is NumPy's, not a half-fused one.
        assert engine.numpy_passes(unfused, optimizer_class) == [
            "made_up_weight (Unfused)"
        ]
        assert engine.fused_step(unfused, optimizer_class) is None
    with pytest.raises(ValueError, match=r"not made_up_weight \(Unfused\)"):
        engine.fuse_penalty(unfused)

    class OtherOptimizer:
        pass

    assert engine.numpy_passes(l1_l2, OtherOptimizer) == ["solver='OtherOptimizer'"]
