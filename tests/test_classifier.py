"""MLPRegularizedClassifier: labels, class weights, probabilities, partial_fit."""

import copy

import numpy as np
import pytest
import reference_mlp as ref
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import expit, log_expit, log_softmax

from conftest import make_problem
from skreg import MLPRegularizedClassifier
from skreg._base import SOLVERS, STOCHASTIC_SOLVERS

ignore_convergence = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning"
)


def small_model(**parameters):
    defaults = dict(hidden_layer_sizes=(5,), max_iter=10, random_state=0)
    return MLPRegularizedClassifier(**{**defaults, **parameters})


@ignore_convergence
@pytest.mark.parametrize("task", ["binary", "multiclass", "multilabel"])
def test_predict_proba_is_the_output_function_of_the_logits(task):
    X, y = make_problem(task)
    model = small_model(activation="tanh").fit(X, y)
    z = ref.logits(X, model.coefs_, model.intercepts_, "tanh")
    if task == "binary":
        expected = np.column_stack([1 - ref.sigmoid(z[:, 0]), ref.sigmoid(z[:, 0])])
    elif task == "multiclass":
        expected = ref.softmax(z)
    else:
        expected = ref.sigmoid(z)
    proba = model.predict_proba(X)
    assert_allclose(proba, expected, rtol=1e-12)
    assert_allclose(model.predict_log_proba(X), np.log(expected), rtol=1e-10)
    if task == "multilabel":
        assert_array_equal(model.predict(X), (expected > 0.5).astype(int))
    else:
        assert_array_equal(model.predict(X), model.classes_[expected.argmax(axis=1)])


@ignore_convergence
@ignore_convergence
@pytest.mark.parametrize("task", ["binary", "multiclass", "multilabel"])
def test_decision_function_is_the_logits(task):
    X, y = make_problem(task)
    model = small_model(activation="tanh").fit(X, y)
    z = ref.logits(X, model.coefs_, model.intercepts_, "tanh")
    scores = model.decision_function(X)
    if task == "binary":
        assert scores.shape == (X.shape[0],)
        assert_allclose(scores, z[:, 0], rtol=1e-12)
        assert_array_equal(model.predict(X), model.classes_[(scores > 0).astype(int)])
    else:
        assert_allclose(scores, z, rtol=1e-12)
    if task == "multiclass":
        assert_array_equal(model.predict(X), model.classes_[scores.argmax(axis=1)])


@ignore_convergence
def test_string_labels_round_trip():
    X, y = make_problem("multiclass")
    labels = np.array(["cat", "dog", "eel"])[y]
    model = small_model().fit(X, labels)
    assert_array_equal(model.classes_, ["cat", "dog", "eel"])
    assert set(model.predict(X)) <= {"cat", "dog", "eel"}
    assert model.score(X, labels) == small_model().fit(X, y).score(X, y)


@ignore_convergence
@pytest.mark.parametrize("task", ["binary", "multiclass"])
def test_probabilities_stay_exact_for_extreme_logits(task):
    """Logits of hundreds: no probability computed as 1 - 1, no log(0)."""
    X, y = make_problem(task)
    model = small_model(activation="tanh").fit(X, y)
    model.coefs_[-1] *= 300.0
    model.intercepts_[-1] *= 300.0
    z = ref.logits(X, model.coefs_, model.intercepts_, "tanh")
    assert np.abs(z).max() > 100
    if task == "binary":
        expected_proba = np.column_stack([expit(-z[:, 0]), expit(z[:, 0])])
        expected_log = np.column_stack([log_expit(-z[:, 0]), log_expit(z[:, 0])])
    else:
        expected_proba = np.exp(log_softmax(z, axis=1))
        expected_log = log_softmax(z, axis=1)
    assert_allclose(model.predict_proba(X), expected_proba, rtol=1e-10, atol=0)
    log_proba = model.predict_log_proba(X)
    assert np.all(np.isfinite(log_proba))
    # atol: log-probabilities near 0 carry the rounding of the logits' scale.
    assert_allclose(log_proba, expected_log, rtol=1e-10, atol=1e-13)


def test_continuous_target_raises():
    X, _ = make_problem("multiclass")
    y = np.linspace(0.0, 1.0, len(X))
    with pytest.raises(ValueError, match="label type"):
        small_model().fit(X, y)


# ---------------------------------------------------------------------------
# Class weights: the same as the corresponding sample weights
# ---------------------------------------------------------------------------


def balanced_weights(y):
    """n_samples / (n_classes * count of the sample's class), by hand."""
    labels, counts = np.unique(y, return_counts=True)
    per_class = len(y) / (len(labels) * counts)
    return per_class[np.searchsorted(labels, y)]


@ignore_convergence
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("class_weight", [{0: 3.0, 1: 0.5, 2: 1.5}, "balanced"])
@pytest.mark.parametrize("with_sample_weight", [False, True])
def test_class_weight_equals_the_corresponding_sample_weight(
    solver, class_weight, with_sample_weight
):
    X, y = make_problem("multiclass")
    # Unbalance the classes, so that 'balanced' is not uniform.
    keep = (y != 2) | (np.arange(len(y)) % 3 == 0)
    X, y = X[keep], y[keep]
    sample_weight = np.random.RandomState(0).uniform(0.5, 2.0, size=len(y))
    if class_weight == "balanced":
        per_sample = balanced_weights(y)
        assert per_sample.max() > 1.5 * per_sample.min()
    else:
        per_sample = np.array([class_weight[label] for label in y])

    parameters = dict(solver=solver, l2_weight=1e-3)
    if with_sample_weight:
        weighted = small_model(class_weight=class_weight, **parameters).fit(
            X, y, sample_weight=sample_weight
        )
        expected = small_model(**parameters).fit(
            X, y, sample_weight=sample_weight * per_sample
        )
    else:
        weighted = small_model(class_weight=class_weight, **parameters).fit(X, y)
        expected = small_model(**parameters).fit(X, y, sample_weight=per_sample)
    unweighted = small_model(**parameters).fit(X, y)

    for a, b in zip(
        weighted.coefs_ + weighted.intercepts_,
        expected.coefs_ + expected.intercepts_,
        strict=True,
    ):
        assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    assert not np.allclose(weighted.coefs_[0], unweighted.coefs_[0])


def test_class_weights_that_zero_every_sample_raise():
    X, y = make_problem("multiclass")
    with pytest.raises(ValueError, match="zero for every sample"):
        small_model(class_weight={0: 0.0, 1: 0.0, 2: 0.0}).fit(X, y)


# ---------------------------------------------------------------------------
# partial_fit
# ---------------------------------------------------------------------------


def test_partial_fit_requires_classes_on_the_first_call():
    X, y = make_problem("multiclass")
    model = small_model()
    with pytest.raises(ValueError, match="classes"):
        model.partial_fit(X, y)
    assert not hasattr(model, "coefs_")


def test_partial_fit_counts_epochs_and_accepts_a_subset_of_the_classes():
    X, y = make_problem("multiclass")
    model = small_model()
    first = y != 2
    model.partial_fit(X[first], y[first], classes=[0, 1, 2])
    assert_array_equal(model.classes_, [0, 1, 2])
    assert model.coefs_[-1].shape[1] == 3
    model.partial_fit(X, y)
    # One epoch per call (n_iter_, as scikit-learn); t_ counts every sample.
    assert model.n_iter_ == 1
    assert len(model.loss_curve_) == 2
    assert model.t_ == first.sum() + len(y)


def test_partial_fit_rejects_unseen_labels_and_keeps_the_model():
    X, y = make_problem("multiclass")
    model = small_model().partial_fit(X, y, classes=[0, 1, 2])
    coef = model.coefs_[0].copy()
    y_new = y.copy()
    y_new[:3] = 7
    with pytest.raises(ValueError, match=r"\[7\].*not among the classes"):
        model.partial_fit(X, y_new)
    with pytest.raises(ValueError, match="classes"):
        model.partial_fit(X, y, classes=[0, 1, 2, 3])
    assert_array_equal(model.coefs_[0], coef)
    assert model.n_iter_ == 1


def test_partial_fit_rejects_balanced_class_weight():
    X, y = make_problem("multiclass")
    model = small_model(class_weight="balanced")
    with pytest.raises(ValueError, match="balanced"):
        model.partial_fit(X, y, classes=[0, 1, 2])


def test_partial_fit_applies_a_class_weight_dict():
    X, y = make_problem("multiclass")
    class_weight = {0: 3.0, 1: 0.5, 2: 1.5}
    weighted = small_model(class_weight=class_weight).partial_fit(
        X, y, classes=[0, 1, 2]
    )
    expected = small_model().partial_fit(
        X,
        y,
        classes=[0, 1, 2],
        sample_weight=np.array([class_weight[label] for label in y]),
    )
    assert_allclose(weighted.coefs_[0], expected.coefs_[0], rtol=1e-12)


@pytest.mark.parametrize("solver", STOCHASTIC_SOLVERS)
def test_partial_fit_multilabel(solver):
    X, Y = make_problem("multilabel")
    model = small_model(solver=solver)
    model.partial_fit(X, Y, classes=[0, 1, 2])
    model.partial_fit(X, Y)
    assert model.predict(X).shape == Y.shape
    assert model.n_iter_ == 1
    assert len(model.loss_curve_) == 2


def test_first_partial_fit_with_a_label_outside_classes_raises_unfitted():
    X, y = make_problem("multiclass")
    model = MLPRegularizedClassifier(hidden_layer_sizes=(4,), random_state=0)
    with pytest.raises(ValueError, match=r"labels \[2\] .* not among the classes"):
        model.partial_fit(X, y, classes=[0, 1])
    assert not hasattr(model, "coefs_")
    assert not hasattr(model, "classes_")


WARM_START_CLASS_CHANGES = {
    "same-count-ints": ([0, 1, 2], [0, 1, 3]),
    "same-count-strings": (["a", "b"], ["a", "c"]),
    "fewer": ([0, 1, 2], [0, 1]),
    "more": (["a", "b"], ["a", "b", "c"]),
}


@ignore_convergence
@pytest.mark.parametrize(
    "before, after",
    list(WARM_START_CLASS_CHANGES.values()),
    ids=list(WARM_START_CLASS_CHANGES),
)
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_warm_start_with_other_classes_raises_and_keeps_the_model(
    before, after, solver
):
    X, _ = make_problem("multiclass")
    labels_before = np.resize(np.asarray(before), X.shape[0])
    labels_after = np.resize(np.asarray(after), X.shape[0])
    model = MLPRegularizedClassifier(
        hidden_layer_sizes=(4,),
        solver=solver,
        max_iter=5,
        warm_start=True,
        random_state=0,
    ).fit(X, labels_before)
    saved = copy.deepcopy(model.__dict__)
    with pytest.raises(ValueError, match="same classes as in the previous call"):
        model.fit(X, labels_after)
    assert_array_equal(model.classes_, saved["classes_"])
    for now, then in zip(
        model.coefs_ + model.intercepts_,
        saved["coefs_"] + saved["intercepts_"],
        strict=True,
    ):
        assert_array_equal(now, then)
    assert model.n_iter_ == saved["n_iter_"]


@ignore_convergence
def test_warm_start_with_the_same_classes_continues():
    X, y = make_problem("multiclass")
    model = MLPRegularizedClassifier(
        hidden_layer_sizes=(4,), max_iter=3, warm_start=True, random_state=0
    ).fit(X, y)
    model.fit(X[::-1], y[::-1])
    assert model.t_ == 2 * 3 * X.shape[0]
