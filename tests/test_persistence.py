"""Persistence: fitted models round-trip through skops.io and pickle.

skops.io loads only the types it trusts by default (NumPy arrays, built-in
containers, scikit-learn's own estimators such as LabelBinarizer, NumPy's
RandomState) and the ones the caller names; it reports the others before
loading anything. A fitted skreg model needs only skreg's own types on top:
the estimator and, for 'sgd' and 'adam', its optimizer. pickle can run any
code on load, so it is only for files one wrote oneself.

Either way the reloaded model predicts bit for bit as the original, and
partial_fit continues from it exactly as it would from the original: the
optimizer's state and the random state travel too.
"""

import pickle

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from numpy.testing import assert_array_equal
from sklearn.base import is_classifier

from conftest import make_problem
from skreg import (
    MLPRegularizedClassifier,
    MLPRegularizedRegressor,
    WarmStartGridSearchCV,
    _optimizers,
    skops_trusted_types,
)
from skreg._base import SOLVERS
from skreg._optimizers import SCHEDULES

TASKS = {
    "multiclass": MLPRegularizedClassifier,
    "binary": MLPRegularizedClassifier,
    "multilabel": MLPRegularizedClassifier,
    "regression": MLPRegularizedRegressor,
    "multioutput": MLPRegularizedRegressor,
}
#: solver -> the optimizer class a fitted model keeps (None: lbfgs keeps none).
OPTIMIZERS = {
    **{name: cls.__name__ for name, cls in _optimizers.OPTIMIZERS.items()},
    "lbfgs": None,
}
ESTIMATOR_TYPES = {
    MLPRegularizedClassifier: "skreg._classifier.MLPRegularizedClassifier",
    MLPRegularizedRegressor: "skreg._regressor.MLPRegularizedRegressor",
}
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def fitted(task, solver, dtype=np.float64, frame=False):
    X, y = make_problem(task)
    X = X.astype(dtype)
    if frame:
        X = pd.DataFrame(X, columns=[f"feature {i}" for i in range(X.shape[1])])
        if task in ("multiclass", "binary"):
            y = np.array(["ant", "bee", "cat"])[y]
    model = TASKS[task](
        hidden_layer_sizes=(3,),
        solver=solver,
        max_iter=10,
        random_state=0,
        l1_weight=1e-3,
        l2_bias=1e-3,
    )
    return model.fit(X, y), X, y


def skops_round_trip(model):
    dumped = sio.dumps(model)
    return sio.loads(dumped, trusted=sio.get_untrusted_types(data=dumped))


def pickle_round_trip(model):
    return pickle.loads(pickle.dumps(model))


ROUND_TRIPS = {"skops": skops_round_trip, "pickle": pickle_round_trip}


def all_predictions(model, X):
    outputs = [model.predict(X)]
    if is_classifier(model):
        outputs += [model.predict_proba(X), model.predict_log_proba(X)]
    return outputs


def assert_same_fitted_state(restored, model):
    for after, before in zip(
        restored.coefs_ + restored.intercepts_,
        model.coefs_ + model.intercepts_,
        strict=True,
    ):
        assert after.dtype == before.dtype
        assert_array_equal(after, before)
    if model._optimizer is None:
        assert restored._optimizer is None
        return
    assert type(restored._optimizer) is type(model._optimizer)
    assert restored._optimizer.dtype == model._optimizer.dtype
    assert vars(restored._optimizer).keys() == vars(model._optimizer).keys()
    for after, before in zip(
        restored._optimizer.state_arrays(),
        model._optimizer.state_arrays(),
        strict=True,
    ):
        assert_array_equal(after, before)
    assert getattr(restored._optimizer, "t", None) == getattr(
        model._optimizer, "t", None
    )


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("task", list(TASKS))
def test_skops_reports_only_skreg_types_as_untrusted(task, solver):
    model, _, _ = fitted(task, solver)
    dumped = sio.dumps(model)
    expected = [ESTIMATOR_TYPES[TASKS[task]]]
    if OPTIMIZERS[solver] is not None:
        # The optimizer and its learning-rate schedule (the default, constant).
        expected.append(f"skreg._optimizers.{OPTIMIZERS[solver]}")
        expected.append("skreg._optimizers.ConstantSchedule")
    assert sio.get_untrusted_types(data=dumped) == sorted(expected)
    # Nothing is loaded unless those types are trusted.
    with pytest.raises(sio.exceptions.UntrustedTypesFoundException):
        sio.loads(dumped)


@pytest.mark.parametrize(
    "Estimator", [MLPRegularizedClassifier, MLPRegularizedRegressor]
)
def test_skops_reports_only_the_estimator_when_unfitted(Estimator):
    dumped = sio.dumps(Estimator(hidden_layer_sizes=(3,), l1_weight=[0.1, 0.2]))
    assert sio.get_untrusted_types(data=dumped) == [ESTIMATOR_TYPES[Estimator]]
    restored = sio.loads(dumped, trusted=[ESTIMATOR_TYPES[Estimator]])
    assert restored.get_params() == {
        **Estimator().get_params(),
        "hidden_layer_sizes": (3,),
        "l1_weight": [0.1, 0.2],
    }


@pytest.mark.parametrize("round_trip", list(ROUND_TRIPS))
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize(
    "task, dtype, frame",
    [
        ("multiclass", np.float64, False),
        ("binary", np.float64, True),  # string labels, feature names
        ("multilabel", np.float64, False),
        ("regression", np.float32, False),
        ("multioutput", np.float64, True),
    ],
    ids=["multiclass", "binary-frame", "multilabel", "regression-float32", "multi"],
)
def test_round_trip_predicts_and_continues_identically(
    round_trip, solver, task, dtype, frame
):
    model, X, y = fitted(task, solver, dtype, frame)
    restored = ROUND_TRIPS[round_trip](model)

    assert type(restored) is type(model)
    assert restored.get_params() == model.get_params()
    assert_same_fitted_state(restored, model)
    if is_classifier(model):
        assert restored.classes_.dtype == model.classes_.dtype
        assert_array_equal(restored.classes_, model.classes_)
    if frame:
        assert_array_equal(restored.feature_names_in_, model.feature_names_in_)
    for after, before in zip(
        all_predictions(restored, X), all_predictions(model, X), strict=True
    ):
        assert after.dtype == before.dtype
        assert_array_equal(after, before)

    if solver == "lbfgs":
        return
    # The optimizer state and random_state (which seeds each call's shuffling)
    # travel too: a few more epochs give the same model, bit for bit.
    for _ in range(3):
        model.partial_fit(X, y)
        restored.partial_fit(X, y)
    assert_same_fitted_state(restored, model)
    assert restored.n_iter_ == model.n_iter_ == 1
    assert len(restored.loss_curve_) == len(model.loss_curve_) == 13
    assert restored.loss_curve_ == model.loss_curve_


@pytest.mark.parametrize("learning_rate", list(SCHEDULES))
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("task", list(TASKS))
def test_a_saved_model_loads_with_exactly_the_documented_trusted_list(
    task, solver, learning_rate
):
    # The user guide loads with trusted=skops_trusted_types(): every type a
    # model of any solver and schedule holds is on it, and nothing else is
    # needed.
    model, X, y = fitted(task, solver)
    model.set_params(learning_rate=learning_rate).fit(X, y)
    dumped = sio.dumps(model)
    assert set(sio.get_untrusted_types(data=dumped)) <= set(skops_trusted_types())
    restored = sio.loads(dumped, trusted=skops_trusted_types())
    for ours, theirs in zip(
        all_predictions(restored, X), all_predictions(model, X), strict=True
    ):
        assert_array_equal(ours, theirs)


def test_a_saved_search_needs_skreg_types_from_the_list_and_sklearns_own():
    X, y = make_problem("binary")
    search = WarmStartGridSearchCV(
        MLPRegularizedClassifier(hidden_layer_sizes=(3,), max_iter=5, random_state=0),
        {"l2_weight": [0.0, 1e-3]},
        cv=2,
    )
    search.fit(X, y)
    dumped = sio.dumps(search)
    # Beyond skreg's, the scikit-learn objects any search holds (its scorer
    # and splitter), which skops does not trust by default either.
    untrusted = sio.get_untrusted_types(data=dumped)
    others = [name for name in untrusted if not name.startswith("skreg.")]
    assert all(name.startswith("sklearn.") for name in others)
    assert set(untrusted) - set(others) <= set(skops_trusted_types())
    restored = sio.loads(dumped, trusted=skops_trusted_types() + others)
    assert_array_equal(restored.predict_proba(X), search.predict_proba(X))


def test_the_trusted_list_names_every_registered_optimizer_and_schedule():
    from skreg._optimizers import OPTIMIZERS as REGISTRY

    names = skops_trusted_types()
    for cls in [*REGISTRY.values(), *SCHEDULES.values()]:
        assert f"{cls.__module__}.{cls.__qualname__}" in names
