"""Behaviour shared by both estimators: validation, training loops, state.

Most tests run on the ``problem`` fixture, once for the classifier and once
for the regressor.
"""

import copy
import pickle
import warnings

import numpy as np
import pytest
import reference_mlp as ref
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone, is_classifier
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from conftest import ESTIMATOR_OF_TASK, make_problem
from skreg import MLPRegularizedClassifier, MLPRegularizedRegressor
from skreg._base import (
    PENALTY_PARAMETERS,
    SOLVERS,
    STOCHASTIC_SOLVERS,
    per_layer_strengths,
)

ESTIMATORS = [MLPRegularizedClassifier, MLPRegularizedRegressor]
PENALTIES = list(PENALTY_PARAMETERS)
#: The stochastic solvers scikit-learn's MLP has too, which the parity
#: tests compare with it.
SKLEARN_STOCHASTIC_SOLVERS = [
    solver
    for solver in STOCHASTIC_SOLVERS
    if solver in MLPClassifier._parameter_constraints["solver"][0].options
]

#: All four penalties on, one value for every layer.
ALL_FOUR = {"l1_weight": 1e-3, "l1_bias": 2e-3, "l2_weight": 3e-3, "l2_bias": 4e-3}
#: All four penalties on, a different value per layer (two layers).
PER_LAYER = {
    "l1_weight": [1e-3, 0.0],
    "l1_bias": [0.0, 2e-3],
    "l2_weight": [3e-3, 5e-4],
    "l2_bias": [4e-3, 1e-4],
}

ignore_convergence = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning"
)


def fit_args(model, X, y):
    """The arguments of a first ``partial_fit`` call."""
    return {"classes": np.unique(y)} if is_classifier(model) else {}


def reference_data_loss(model, X, y, sample_weight):
    """The weighted mean data loss of a fitted model, by the reference."""
    z = ref.logits(X, model.coefs_, model.intercepts_, model.activation)
    if not is_classifier(model):
        return ref.data_loss(z, y.reshape(len(y), -1), sample_weight, "squared")
    labels = np.unique(y)
    if labels.size > 2:
        Y = (y[:, np.newaxis] == labels).astype(float)
        return ref.data_loss(z, Y, sample_weight, "softmax")
    Y = (y == labels[1]).astype(float)[:, np.newaxis]
    return ref.data_loss(z, Y, sample_weight, "logistic")


def predictions(model, X):
    if is_classifier(model):
        return model.predict_proba(X)
    return model.predict(X)


def copies(arrays):
    return [array.copy() for array in arrays]


# ---------------------------------------------------------------------------
# Parameter validation and bad input
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        (0.5, (0.5, 0.5, 0.5)),
        (0, (0.0, 0.0, 0.0)),
        ([0.1, 0.0, 2.0], (0.1, 0.0, 2.0)),
        (np.array([0.1, 0.2, 0.3]), (0.1, 0.2, 0.3)),
        (np.float32(0.25), (0.25, 0.25, 0.25)),
    ],
)
def test_per_layer_strengths(value, expected):
    assert per_layer_strengths("l1_weight", value, 3) == expected


@pytest.mark.parametrize("estimator_class", ESTIMATORS)
@pytest.mark.parametrize("name", PENALTIES)
@pytest.mark.parametrize(
    "value",
    [-0.1, np.nan, np.inf, [0.1, 0.2], [0.1, 0.2, 0.3, 0.4], [0.1, -1.0, 0.0]]
    + [[0.1, np.nan, 0.0], [[0.1, 0.2, 0.3]], "strong"],
    ids=repr,
)
def test_bad_penalty_raises_naming_the_parameter(
    estimator_class, name, value, multiclass_data, regression_data
):
    is_classification = estimator_class is MLPRegularizedClassifier
    X, y = multiclass_data if is_classification else regression_data
    model = estimator_class(hidden_layer_sizes=(4, 3), max_iter=1, **{name: value})
    with pytest.raises(ValueError, match=name):
        model.fit(X, y)


@pytest.mark.parametrize(
    "parameters, match",
    [
        ({"solver": "newton"}, "solver"),
        ({"activation": "softmax"}, "activation"),
        ({"hidden_layer_sizes": (4, 0)}, "hidden_layer_sizes"),
        ({"hidden_layer_sizes": (4, 2.5)}, "hidden_layer_sizes"),
        ({"learning_rate": "cyclic"}, "learning_rate"),
        ({"batch_size": 0}, "batch_size"),
    ],
)
def test_bad_parameter_raises_naming_it(problem, parameters, match):
    Estimator, X, y = problem
    with pytest.raises(ValueError, match=match):
        Estimator(max_iter=1, **parameters).fit(X, y)


@pytest.mark.parametrize("bad, match", [(np.nan, "NaN"), (np.inf, "infinity")])
def test_non_finite_input_raises(problem, bad, match):
    Estimator, X, y = problem
    X = X.copy()
    X[3, 1] = bad
    with pytest.raises(ValueError, match=match):
        Estimator(max_iter=1).fit(X, y)


@pytest.mark.parametrize("solver", SOLVERS)
def test_all_zero_sample_weight_raises(problem, solver):
    Estimator, X, y = problem
    with pytest.raises(ValueError, match="(?i)sample.weight"):
        Estimator(solver=solver, max_iter=1).fit(X, y, sample_weight=np.zeros(len(y)))


def test_negative_sample_weight_raises(problem):
    Estimator, X, y = problem
    sample_weight = np.ones(len(y))
    sample_weight[0] = -1.0
    with pytest.raises(ValueError, match="(?i)negative"):
        Estimator(max_iter=1).fit(X, y, sample_weight=sample_weight)


# ---------------------------------------------------------------------------
# The objective: loss_curve_ = data loss + penalty_curve_
# ---------------------------------------------------------------------------


@ignore_convergence
@pytest.mark.parametrize("lambdas", [ALL_FOUR, PER_LAYER], ids=["scalar", "per-layer"])
def test_lbfgs_final_loss_is_data_loss_plus_penalty(problem, lambdas):
    Estimator, X, y = problem
    sample_weight = np.random.RandomState(0).uniform(0.5, 2.0, size=len(y))
    model = Estimator(
        hidden_layer_sizes=(6,),
        activation="tanh",
        solver="lbfgs",
        max_iter=30,
        random_state=0,
        **lambdas,
    ).fit(X, y, sample_weight=sample_weight)
    expected_penalty = ref.penalty(model.coefs_, model.intercepts_, **lambdas)
    assert model.penalty_curve_[-1] == pytest.approx(expected_penalty, rel=1e-10)
    expected_data_loss = reference_data_loss(model, X, y, sample_weight)
    data_loss = model.loss_curve_[-1] - model.penalty_curve_[-1]
    assert data_loss == pytest.approx(expected_data_loss, rel=1e-8)
    assert model.loss_ == model.loss_curve_[-1]
    assert len(model.penalty_curve_) == len(model.loss_curve_)


@pytest.mark.parametrize("solver", STOCHASTIC_SOLVERS)
@pytest.mark.parametrize("lambdas", [ALL_FOUR, PER_LAYER], ids=["scalar", "per-layer"])
def test_stochastic_epoch_loss_is_weighted_data_loss_plus_penalty(
    problem, solver, lambdas
):
    """With a negligible learning rate, the weights hardly move during an epoch,
    so its loss is the objective at the starting weights: the data loss over
    the whole set, however it is cut into (unequal) mini-batches."""
    Estimator, X, y = problem
    sample_weight = np.random.RandomState(0).uniform(0.5, 2.0, size=len(y))
    model = Estimator(
        hidden_layer_sizes=(6,),
        activation="tanh",
        solver=solver,
        max_iter=3,
        random_state=0,
        **lambdas,
    )
    with pytest.warns(ConvergenceWarning):
        model.fit(X, y)
    start = copies(model.coefs_), copies(model.intercepts_)
    expected_penalty = ref.penalty(*start, **lambdas)
    expected_data_loss = reference_data_loss(model, X, y, sample_weight)

    model.set_params(
        warm_start=True, max_iter=1, batch_size=7, learning_rate_init=1e-12
    )
    with pytest.warns(ConvergenceWarning):
        model.fit(X, y, sample_weight=sample_weight)
    assert len(model.loss_curve_) == 4
    assert model.penalty_curve_[-1] == pytest.approx(expected_penalty, rel=1e-8)
    data_loss = model.loss_curve_[-1] - model.penalty_curve_[-1]
    assert data_loss == pytest.approx(expected_data_loss, rel=1e-8)
    assert model.loss_ == model.loss_curve_[-1]


@ignore_convergence
@pytest.mark.parametrize("zero", [0.0, -0.0])
def test_l1_subgradient_is_plus_lambda_at_zero_weights(problem, zero):
    """From all-zero parameters with tanh (tanh(0) = 0), the data gradient of
    every weight is exactly zero, so one plain gradient step moves each weight
    by -learning_rate * l1_weight * (+1), for 0.0 and -0.0 alike."""
    Estimator, X, y = problem
    model = Estimator(
        hidden_layer_sizes=(4,),
        activation="tanh",
        solver="sgd",
        momentum=0.0,
        learning_rate_init=0.5,
        l1_weight=0.25,
        max_iter=1,
        warm_start=True,
        random_state=0,
    ).fit(X, y)
    model.coefs_ = [np.full_like(coef, zero) for coef in model.coefs_]
    model.intercepts_ = [np.full_like(b, zero) for b in model.intercepts_]
    model.fit(X, y)
    for coef in model.coefs_:
        assert_array_equal(coef, -0.125)  # -0.5 * 0.25
    assert_array_equal(model.intercepts_[0], 0.0)  # no data gradient, no penalty


@ignore_convergence
def test_per_layer_lambda_shrinks_only_its_layer(problem):
    Estimator, X, y = problem

    def squared_norms(l2_weight):
        model = Estimator(
            hidden_layer_sizes=(8,),
            activation="tanh",
            solver="lbfgs",
            l2_weight=l2_weight,
            max_iter=100,
            random_state=0,
        ).fit(X, y)
        norms = [np.sum(coef**2) for coef in model.coefs_]
        # Only the penalized layer is in the penalty.
        big = max(l2_weight)
        layer = l2_weight.index(big) if big else 0
        assert model.penalty_curve_[-1] == pytest.approx(big * norms[layer])
        return norms

    free = squared_norms([0.0, 0.0])
    first = squared_norms([1.0, 0.0])
    second = squared_norms([0.0, 1.0])
    # The other layer is not held back (it even grows to compensate).
    assert first[0] < 0.1 * free[0] and first[1] > free[1]
    assert second[1] < 0.1 * free[1] and second[0] > free[0]


# ---------------------------------------------------------------------------
# Reporting: verbose, convergence warnings
# ---------------------------------------------------------------------------


@ignore_convergence
@pytest.mark.parametrize(
    "solver, early_stopping",
    [("sgd", False), ("adam", False), ("adam", True), ("lbfgs", False)],
)
def test_verbose_prints_one_line_per_epoch(problem, solver, early_stopping, capsys):
    Estimator, X, y = problem
    model = Estimator(
        hidden_layer_sizes=(5,),
        solver=solver,
        early_stopping=early_stopping,
        n_iter_no_change=50,
        max_iter=6,
        verbose=True,
        random_state=0,
        **ALL_FOUR,
    ).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == model.n_iter_ == 6
    for epoch, line in enumerate(lines):
        head, *fields = line.split(", ")
        assert head == f"Iteration {epoch + 1}"
        values = {key: float(value) for key, value in (f.split(" = ") for f in fields)}
        loss, penalty = model.loss_curve_[epoch], model.penalty_curve_[epoch]
        assert values["loss"] == pytest.approx(loss, abs=1e-8)
        assert values["data loss"] == pytest.approx(loss - penalty, abs=1e-8)
        assert values["penalty"] == pytest.approx(penalty, abs=1e-8)
        if early_stopping:
            score = model.validation_scores_[epoch]
            assert values["validation score"] == pytest.approx(score, abs=1e-6)
        else:
            assert "validation score" not in values


@pytest.mark.parametrize("solver", SOLVERS)
def test_convergence_warning_when_max_iter_is_reached(problem, solver):
    Estimator, X, y = problem
    model = Estimator(
        hidden_layer_sizes=(5,), solver=solver, max_iter=2, random_state=0
    )
    with pytest.warns(ConvergenceWarning, match="2"):
        model.fit(X, y)
    assert model.n_iter_ == 2


@pytest.mark.parametrize("solver", SOLVERS)
def test_no_convergence_warning_when_converged(problem, solver):
    Estimator, X, y = problem
    model = Estimator(
        hidden_layer_sizes=(5,),
        solver=solver,
        learning_rate_init=0.01,
        tol=1e-3,
        l2_weight=1e-2,
        max_iter=1000,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model.fit(X, y)
    assert model.n_iter_ < 1000


@pytest.mark.parametrize(
    "schedule, expected_epochs",
    # tol is so large that no epoch after the first improves, so with
    # n_iter_no_change=1 the loss "stops improving" at epochs 3, 5, 7, ...
    # 'constant' and 'invscaling' stop at the first of them; 'adaptive'
    # divides the rate by 5 at epochs 3, 5, ..., 17 (0.1 / 5**8 = 2.56e-7)
    # and stops at epoch 19, the rate being below 1e-6.
    [("constant", 3), ("invscaling", 3), ("adaptive", 19)],
)
def test_learning_rate_schedules_stop_as_documented(problem, schedule, expected_epochs):
    Estimator, X, y = problem
    model = Estimator(
        hidden_layer_sizes=(3,),
        solver="sgd",
        learning_rate=schedule,
        learning_rate_init=0.1,
        tol=1e10,
        n_iter_no_change=1,
        max_iter=100,
        random_state=0,
    ).fit(X, y)
    assert model.n_iter_ == expected_epochs


# ---------------------------------------------------------------------------
# Input handling: dtypes, sparse matrices, inputs left alone
# ---------------------------------------------------------------------------


@ignore_convergence
@pytest.mark.parametrize("solver", SOLVERS)
def test_float32_input_trains_and_predicts_in_float32(any_problem, solver):
    Estimator, X, y = any_problem
    parameters = dict(
        hidden_layer_sizes=(5,), solver=solver, max_iter=5, random_state=0, **ALL_FOUR
    )
    model32 = Estimator(**parameters).fit(X.astype(np.float32), y)
    model64 = Estimator(**parameters).fit(X, y)
    for array in model32.coefs_ + model32.intercepts_:
        assert array.dtype == np.float32
    for array in model64.coefs_ + model64.intercepts_:
        assert array.dtype == np.float64
    output32 = predictions(model32, X.astype(np.float32))
    assert output32.dtype == np.float32
    # The same model, up to float32 rounding.
    assert_allclose(output32, predictions(model64, X), rtol=1e-3, atol=1e-3)


@ignore_convergence
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("container", [sp.csr_matrix, sp.csc_matrix, sp.csr_array])
def test_sparse_input_gives_the_same_model_as_dense(problem, solver, container):
    Estimator, X, y = problem
    parameters = dict(
        hidden_layer_sizes=(5,), solver=solver, max_iter=10, random_state=0, **ALL_FOUR
    )
    dense = Estimator(**parameters).fit(X, y)
    sparse = Estimator(**parameters).fit(container(X), y)
    for coef_sparse, coef_dense in zip(
        sparse.coefs_ + sparse.intercepts_,
        dense.coefs_ + dense.intercepts_,
        strict=True,
    ):
        assert_allclose(coef_sparse, coef_dense, rtol=1e-7, atol=1e-10)
    assert_allclose(
        predictions(sparse, container(X)), predictions(dense, X), rtol=1e-7, atol=1e-10
    )


@ignore_convergence
@pytest.mark.parametrize(
    "solver, early_stopping",
    [("sgd", False), ("adam", True), ("adam", False), ("lbfgs", False)],
)
@pytest.mark.parametrize("sparse", [False, True])
def test_inputs_are_never_modified(any_problem, solver, early_stopping, sparse):
    Estimator, X, y = any_problem
    X, y = X.copy(), y.copy()  # writable
    sample_weight = np.random.RandomState(0).uniform(0.5, 2.0, size=len(y))
    X_input = sp.csr_matrix(X) if sparse else X
    originals = copies([X, y, sample_weight])
    model = Estimator(
        hidden_layer_sizes=(5,),
        solver=solver,
        early_stopping=early_stopping,
        max_iter=3,
        random_state=0,
        **ALL_FOUR,
    )
    model.fit(X_input, y, sample_weight=sample_weight)
    predictions(model, X_input)
    if solver != "lbfgs":
        model.partial_fit(X_input, y, sample_weight=sample_weight)
    X_after = X_input.toarray() if sparse else X_input
    for after, before in zip([X_after, y, sample_weight], originals, strict=True):
        assert_array_equal(after, before)


# ---------------------------------------------------------------------------
# Reproducibility, pickling, cloning, model selection
# ---------------------------------------------------------------------------


@ignore_convergence
@pytest.mark.parametrize(
    "solver, early_stopping",
    [("sgd", False), ("sgd", True), ("adam", False), ("adam", True), ("lbfgs", False)],
)
def test_fit_is_repeatable_bit_for_bit(problem, solver, early_stopping):
    Estimator, X, y = problem

    def fit(random_state):
        return Estimator(
            hidden_layer_sizes=(6,),
            solver=solver,
            early_stopping=early_stopping,
            max_iter=15,
            random_state=random_state,
            **ALL_FOUR,
        ).fit(X, y)

    first, second, other = fit(0), fit(0), fit(1)
    for a, b in zip(
        first.coefs_ + first.intercepts_,
        second.coefs_ + second.intercepts_,
        strict=True,
    ):
        assert_array_equal(a, b)
    assert first.loss_curve_ == second.loss_curve_
    assert not np.array_equal(first.coefs_[0], other.coefs_[0])


@ignore_convergence
@pytest.mark.parametrize("solver", SOLVERS)
def test_pickle_round_trip_predicts_identically(problem, solver):
    Estimator, X, y = problem
    model = Estimator(
        hidden_layer_sizes=(6,), solver=solver, max_iter=10, random_state=0, **ALL_FOUR
    ).fit(X, y)
    restored = pickle.loads(pickle.dumps(model))
    assert_array_equal(restored.predict(X), model.predict(X))
    assert_array_equal(predictions(restored, X), predictions(model, X))
    if solver != "lbfgs":
        # The optimizer state travels too: training continues identically.
        model.partial_fit(X, y)
        restored.partial_fit(X, y)
        for a, b in zip(model.coefs_, restored.coefs_, strict=True):
            assert_array_equal(a, b)


def test_clone_copies_the_parameters_not_the_fit(problem):
    Estimator, X, y = problem
    model = Estimator(
        hidden_layer_sizes=(6, 3), max_iter=5, random_state=0, l1_weight=[0.1, 0.0, 0.2]
    )
    with pytest.warns(ConvergenceWarning):
        model.fit(X, y)
    cloned = clone(model)
    assert cloned.get_params() == model.get_params()
    with pytest.raises(NotFittedError):
        check_is_fitted(cloned)
    with pytest.warns(ConvergenceWarning):
        cloned.fit(X, y)
    assert_array_equal(cloned.coefs_[0], model.coefs_[0])


def test_grid_search_over_the_four_lambdas_in_a_pipeline(problem):
    Estimator, X, y = problem
    pipeline = make_pipeline(
        StandardScaler(),
        Estimator(hidden_layer_sizes=(5,), solver="lbfgs", max_iter=50, random_state=0),
    )
    step = pipeline.steps[-1][0]
    grid = {f"{step}__{name}": [0.0, 1.0] for name in PENALTIES}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search = GridSearchCV(pipeline, grid, cv=3).fit(X, y)

    results = search.cv_results_
    assert len(results["params"]) == 2 ** len(PENALTIES)
    scores = results["mean_test_score"]
    for name in PENALTIES:
        values = results[f"param_{step}__{name}"].astype(float)
        # Each lambda reaches the estimator and changes the fit.
        assert not np.allclose(scores[values == 0.0], scores[values == 1.0])
    # Strong penalties on the weights flatten the model: the search avoids them.
    assert search.best_params_[f"{step}__l1_weight"] == 0.0
    assert search.best_params_[f"{step}__l2_weight"] == 0.0
    best = search.best_estimator_[-1]
    for key, value in search.best_params_.items():
        assert getattr(best, key.split("__")[1]) == value
    assert search.score(X, y) > 0.8


# ---------------------------------------------------------------------------
# Warm start, partial_fit, early stopping
# ---------------------------------------------------------------------------

FULL_BATCH_GRADIENT_DESCENT = dict(
    hidden_layer_sizes=(5,),
    solver="sgd",
    momentum=0.0,
    shuffle=False,
    batch_size=60,
    learning_rate_init=0.1,
    n_iter_no_change=100,
    random_state=0,
    **ALL_FOUR,
)


@ignore_convergence
def test_warm_start_continues_from_the_previous_weights(problem):
    """Plain gradient descent has no state but the weights: 2 epochs, then 3
    more from where they ended, are 5 epochs."""
    Estimator, X, y = problem
    five = Estimator(max_iter=5, **FULL_BATCH_GRADIENT_DESCENT).fit(X, y)
    model = Estimator(max_iter=2, warm_start=True, **FULL_BATCH_GRADIENT_DESCENT)
    model.fit(X, y)
    model.set_params(max_iter=3).fit(X, y)
    # n_iter_ counts the last call's epochs (as scikit-learn), t_ all of them.
    assert model.n_iter_ == 3
    assert model.t_ == 5 * len(y)
    assert_allclose(model.loss_curve_, five.loss_curve_, rtol=1e-12)
    for a, b in zip(model.coefs_, five.coefs_, strict=True):
        assert_allclose(a, b, rtol=1e-12)


@ignore_convergence
def test_each_warm_started_fit_gets_a_fresh_stopping_criterion(problem):
    """After a fit that stopped on its loss, a warm-started fit with a stronger
    penalty (a higher loss than the previous best) still trains: it can only
    stop once n_iter_no_change epochs of its own have not improved."""
    Estimator, X, y = problem
    model = Estimator(
        hidden_layer_sizes=(5,),
        tol=1e-2,
        n_iter_no_change=3,
        max_iter=300,
        warm_start=True,
        random_state=0,
    ).fit(X, y)
    assert model.n_iter_ < 300  # stopped on the loss, not on max_iter
    first = model.n_iter_
    model.set_params(l2_weight=1.0).fit(X, y)
    assert model.n_iter_ - first >= 3 + 1
    assert model.best_loss_ == min(model.loss_curve_[first:])


@ignore_convergence
def test_refit_without_warm_start_starts_afresh(problem):
    Estimator, X, y = problem
    fresh = Estimator(max_iter=2, **FULL_BATCH_GRADIENT_DESCENT).fit(X, y)
    model = Estimator(max_iter=2, **FULL_BATCH_GRADIENT_DESCENT).fit(X, y).fit(X, y)
    assert model.n_iter_ == 2
    assert model.loss_curve_ == fresh.loss_curve_
    assert_array_equal(model.coefs_[0], fresh.coefs_[0])


@ignore_convergence
def test_lbfgs_warm_start_continues_downhill(problem):
    Estimator, X, y = problem
    parameters = dict(
        hidden_layer_sizes=(5,), solver="lbfgs", random_state=0, **ALL_FOUR
    )
    model = Estimator(max_iter=5, warm_start=True, **parameters).fit(X, y)
    first_loss = model.loss_
    model.set_params(max_iter=5).fit(X, y)
    assert model.n_iter_ == 5
    assert len(model.loss_curve_) >= 10
    # The second call starts at the first one's weights, not at a fresh start.
    assert model.loss_curve_[5] <= first_loss
    assert model.loss_ < first_loss


@ignore_convergence
@pytest.mark.parametrize("solver", STOCHASTIC_SOLVERS)
def test_partial_fit_epochs_equal_fit_epochs(problem, solver):
    Estimator, X, y = problem
    parameters = dict(
        hidden_layer_sizes=(5,),
        solver=solver,
        # Each partial_fit call reseeds its shuffling from random_state (as
        # scikit-learn), while fit's epochs go on drawing from one stream.
        shuffle=False,
        batch_size=16,
        n_iter_no_change=100,
        random_state=0,
        **ALL_FOUR,
    )
    fitted = Estimator(max_iter=3, **parameters).fit(X, y)
    incremental = Estimator(**parameters)
    incremental.partial_fit(X, y, **fit_args(incremental, X, y))
    incremental.partial_fit(X, y)
    incremental.partial_fit(X, y)
    # n_iter_ counts the last call's epochs (as scikit-learn), t_ all of them.
    assert incremental.n_iter_ == 1
    assert incremental.t_ == 3 * len(y)
    assert incremental.loss_curve_ == fitted.loss_curve_
    for a, b in zip(incremental.coefs_, fitted.coefs_, strict=True):
        assert_array_equal(a, b)


def test_partial_fit_is_not_available_for_lbfgs(problem):
    Estimator, X, y = problem
    model = Estimator(solver="lbfgs")
    assert not hasattr(model, "partial_fit")
    with pytest.raises(AttributeError, match="partial_fit"):
        model.partial_fit(X, y)


@ignore_convergence
@pytest.mark.parametrize("solver", STOCHASTIC_SOLVERS)
def test_early_stopping_keeps_the_best_epoch(problem, solver):
    Estimator, X, y = problem
    parameters = dict(
        hidden_layer_sizes=(8,),
        solver=solver,
        learning_rate_init=0.01,
        early_stopping=True,
        validation_fraction=0.25,
        n_iter_no_change=4,
        # Any gain in R^2 counts; accuracy ties must not count.
        tol=1e-4 if Estimator is MLPRegularizedClassifier else 0.0,
        max_iter=300,
        random_state=0,
    )
    model = Estimator(**parameters).fit(X, y)
    scores = model.validation_scores_
    assert len(scores) == model.n_iter_ < 300
    assert model.best_validation_score_ == max(scores)
    assert model.best_loss_ is None
    # Training stopped after n_iter_no_change + 1 epochs below the best score.
    best_epoch = int(np.argmax(scores)) + 1
    assert best_epoch <= model.n_iter_ - 5
    # The kept weights are those at the end of the best epoch (the first one
    # if tied): training again for exactly that many epochs ends there too.
    shorter = Estimator(**{**parameters, "max_iter": best_epoch}).fit(X, y)
    assert shorter.validation_scores_ == scores[:best_epoch]
    for a, b in zip(shorter.coefs_, model.coefs_, strict=True):
        assert_array_equal(a, b)


# ---------------------------------------------------------------------------
# Divergence
# ---------------------------------------------------------------------------

diverging = pytest.mark.filterwarnings("ignore::RuntimeWarning")


@diverging
@pytest.mark.parametrize("how", ["warm_start", "partial_fit"])
def test_divergence_raises_and_keeps_the_previous_model(problem, how):
    Estimator, X, y = problem
    model = Estimator(
        hidden_layer_sizes=(8,),
        solver="sgd",
        learning_rate_init=0.01,
        batch_size=10,
        max_iter=20,
        warm_start=how == "warm_start",
        random_state=0,
    )
    with pytest.warns(ConvergenceWarning):
        model.fit(X, y)
    saved = copy.deepcopy(model.__dict__)
    output = predictions(model, X)

    with pytest.raises(ValueError, match="diverge"):
        if how == "warm_start":
            # Unscaled data and a huge step.
            model.set_params(learning_rate_init=1e10).fit(X * 1e6, y)
        else:
            # A batch on a wildly different scale.
            model.partial_fit(X * 1e50, y)

    for name in ("coefs_", "intercepts_"):
        for after, before in zip(getattr(model, name), saved[name], strict=True):
            assert_array_equal(after, before)
    for name in ("n_iter_", "t_", "loss_curve_", "penalty_curve_", "loss_"):
        assert getattr(model, name) == saved[name]
    assert_array_equal(predictions(model, X), output)


@diverging
def test_divergence_of_a_first_fit_leaves_the_model_unfitted(problem):
    Estimator, X, y = problem
    model = Estimator(
        hidden_layer_sizes=(8,), solver="sgd", learning_rate_init=1e10, random_state=0
    )
    with pytest.raises(ValueError, match="diverge"):
        model.fit(X * 1e6, y)
    with pytest.raises(NotFittedError):
        check_is_fitted(model)


# ---------------------------------------------------------------------------
# Sample weights
# ---------------------------------------------------------------------------


def test_integer_sample_weight_equals_repetition_for_lbfgs(any_problem):
    """On a strictly convex objective (no hidden layer, an L2 penalty) both
    fits reach the same unique minimum."""
    Estimator, X, y = any_problem
    sample_weight = np.random.RandomState(0).randint(0, 4, size=len(y))
    parameters = dict(
        hidden_layer_sizes=(), solver="lbfgs", l2_weight=1e-2, l2_bias=1e-2, tol=1e-8
    )
    weighted = Estimator(**parameters).fit(X, y, sample_weight=sample_weight)
    repeated = Estimator(**parameters).fit(
        np.repeat(X, sample_weight, axis=0), np.repeat(y, sample_weight, axis=0)
    )
    # The minimum is the same; L-BFGS-B stops within about 1e-4 of it.
    assert weighted.loss_ == pytest.approx(repeated.loss_, rel=1e-6)
    for a, b in zip(
        weighted.coefs_ + weighted.intercepts_,
        repeated.coefs_ + repeated.intercepts_,
        strict=True,
    ):
        assert_allclose(a, b, atol=1e-3)
    # ...while ignoring the weights would move it by far more.
    unweighted = Estimator(**parameters).fit(X, y)
    assert np.abs(unweighted.coefs_[0] - weighted.coefs_[0]).max() > 1e-2


def test_lbfgs_limits_only_the_other_blas_libraries_to_one_thread():
    """Inside the context, NumPy's BLAS keeps its threads and any other BLAS
    (scipy's, when wheels ship their own) runs single-threaded; after it,
    every library is back to where it was."""
    import os

    import scipy.linalg  # noqa: F401  (loads scipy's BLAS, if separate)
    from threadpoolctl import threadpool_info, threadpool_limits

    from skreg._training import single_threaded_foreign_blas

    numpy_folder = os.path.dirname(np.__file__)

    def is_numpys(info):
        return info["filepath"].startswith(
            (numpy_folder + os.sep, numpy_folder + ".libs")
        )

    with threadpool_limits(2, user_api="blas"):
        before = {info["filepath"]: info["num_threads"] for info in threadpool_info()}
        with single_threaded_foreign_blas():
            for info in threadpool_info():
                if info["user_api"] != "blas":
                    continue
                expected = before[info["filepath"]] if is_numpys(info) else 1
                assert info["num_threads"] == expected
        after = {info["filepath"]: info["num_threads"] for info in threadpool_info()}
    assert after == before


# ----------------------------------------------------------------------
# Parity with scikit-learn's MLP (issue 11)
# ----------------------------------------------------------------------
@pytest.mark.parametrize("solver", STOCHASTIC_SOLVERS)
def test_n_iter_no_change_inf_runs_every_epoch(problem, solver):
    Estimator, X, y = problem
    model = Estimator(
        hidden_layer_sizes=(4,),
        solver=solver,
        max_iter=15,
        tol=10.0,
        n_iter_no_change=np.inf,
        random_state=0,
    )
    with pytest.warns(ConvergenceWarning, match="maximum iterations"):
        model.fit(X, y)
    assert model.n_iter_ == 15
    # A finite count stops as soon as the (huge) tol is not met.
    model.set_params(n_iter_no_change=1).fit(X, y)
    assert model.n_iter_ < 15


@ignore_convergence
@pytest.mark.parametrize("solver", SOLVERS)
def test_n_iter_counts_the_epochs_of_each_fit_and_t_all_of_them(problem, solver):
    Estimator, X, y = problem
    model = Estimator(
        hidden_layer_sizes=(4,),
        solver=solver,
        max_iter=4,
        warm_start=True,
        n_iter_no_change=np.inf,
        random_state=0,
    ).fit(X, y)
    first_t = model.t_
    assert model.n_iter_ == 4
    model.fit(X, y)
    # As scikit-learn: n_iter_ == max_iter still means "did not converge".
    assert model.n_iter_ <= 4
    assert model.t_ > first_t
    if solver != "lbfgs":
        assert model.n_iter_ == 4
        assert model.t_ == 2 * 4 * X.shape[0]
        assert len(model.loss_curve_) == 8


def test_partial_fit_counts_its_epoch_and_t_counts_on_from_the_last_fit(problem):
    Estimator, X, y = problem
    model = Estimator(hidden_layer_sizes=(4,), max_iter=3, random_state=0)
    with pytest.warns(ConvergenceWarning):
        model.fit(X, y)
    model.partial_fit(X, y)
    model.partial_fit(X, y)
    assert model.n_iter_ == 1
    assert model.t_ == 5 * X.shape[0]
    assert len(model.loss_curve_) == 5


#: scikit-learn's MLP of each estimator, for the parity tests.
SKLEARN_MLP = {
    MLPRegularizedClassifier: MLPClassifier,
    MLPRegularizedRegressor: MLPRegressor,
}
#: Target kinds on which, without penalties, skreg trains as scikit-learn.
#: Not "multioutput": scikit-learn's regressor follows K times the squared
#: error's gradient with K outputs (docs/user_guide/differences.rst).
PARITY_TASKS = ["multiclass", "binary", "multilabel", "regression"]
#: Measured differences from scikit-learn are about 1e-15 (the two libraries
#: sum in different orders); these leave five orders of magnitude of margin.
PARITY_RTOL = 1e-10
PARITY_ATOL = 1e-12


def twin_models(Estimator, **parameters):
    """skreg's model and scikit-learn's, without penalty, same parameters."""
    return Estimator(**parameters), SKLEARN_MLP[Estimator](alpha=0.0, **parameters)


def assert_trained_alike(ours, theirs):
    """The counters, the curves, the stopping state and the weights agree."""
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.t_ == theirs.t_
    assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=PARITY_RTOL)
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=PARITY_RTOL)
    assert ours._no_improvement_count == theirs._no_improvement_count
    for name in ("best_loss_", "best_validation_score_"):
        if getattr(theirs, name) is None:
            assert getattr(ours, name) is None
        else:
            assert getattr(ours, name) == pytest.approx(
                getattr(theirs, name), rel=PARITY_RTOL, abs=PARITY_ATOL
            )
    if theirs.validation_scores_ is None:
        assert ours.validation_scores_ is None
    else:
        assert_allclose(
            ours.validation_scores_,
            theirs.validation_scores_,
            rtol=PARITY_RTOL,
            atol=PARITY_ATOL,
        )
    for mine, sklearns in zip(
        ours.coefs_ + ours.intercepts_,
        theirs.coefs_ + theirs.intercepts_,
        strict=True,
    ):
        assert_allclose(mine, sklearns, rtol=PARITY_RTOL, atol=PARITY_ATOL)


@pytest.mark.parametrize("solver", SKLEARN_STOCHASTIC_SOLVERS)
@pytest.mark.parametrize("task", PARITY_TASKS)
def test_early_stopping_trains_as_scikit_learn(task, solver):
    """The same held-out split, scores, stopping epoch and restored weights."""
    X, y = make_problem(task)
    ours, theirs = twin_models(
        ESTIMATOR_OF_TASK[task],
        hidden_layer_sizes=(8,),
        solver=solver,
        learning_rate_init=0.03,
        early_stopping=True,
        validation_fraction=0.25,
        n_iter_no_change=5,
        max_iter=300,
        random_state=0,
    )
    ours.fit(X, y)
    theirs.fit(X, y)
    # Stopped by the rule, and after the best epoch: the weights restored
    # are not the last ones.
    assert theirs.n_iter_ < 300
    assert np.argmax(theirs.validation_scores_) + 1 < theirs.n_iter_
    assert_trained_alike(ours, theirs)


@pytest.mark.parametrize(
    "optimizer",
    [
        # 'adaptive' divides the rate by 5 when the carried-over count runs out.
        {"solver": "sgd", "learning_rate": "adaptive"},
        {"solver": "adam"},
    ],
    ids=["sgd", "adam"],
)
def test_partial_fit_trains_as_scikit_learn(problem, optimizer):
    """Call by call: one epoch in n_iter_, t_ and the curve over all calls,
    the best loss and the count of epochs without improvement carried over,
    each call's shuffling drawn from random_state afresh."""
    Estimator, X, y = problem
    ours, theirs = twin_models(
        Estimator,
        hidden_layer_sizes=(6,),
        batch_size=16,
        tol=0.05,
        n_iter_no_change=1,
        random_state=0,
        **optimizer,
    )
    first = fit_args(ours, X, y)
    chunks = [slice(0, 40), slice(20, 60), slice(None), slice(None), slice(0, 30)]
    for call, chunk in enumerate(chunks * 2):
        extra = first if call == 0 else {}
        ours.partial_fit(X[chunk], y[chunk], **extra)
        theirs.partial_fit(X[chunk], y[chunk], **extra)
        assert ours.n_iter_ == 1
        assert_trained_alike(ours, theirs)
    assert ours._optimizer.learning_rate == pytest.approx(
        theirs._optimizer.learning_rate, rel=PARITY_RTOL
    )


@pytest.mark.parametrize("solver", SKLEARN_STOCHASTIC_SOLVERS)
def test_partial_fit_ignores_early_stopping_where_scikit_learn_raises(problem, solver):
    """The documented difference: one epoch on all the data given, nothing
    held out, the same epoch as without early stopping."""
    Estimator, X, y = problem
    parameters = dict(hidden_layer_sizes=(6,), solver=solver, random_state=0)
    ours, theirs = twin_models(Estimator, early_stopping=True, **parameters)
    plain = Estimator(**parameters)
    with pytest.raises(ValueError, match="partial_fit does not support"):
        theirs.partial_fit(X, y, **fit_args(theirs, X, y))
    ours.partial_fit(X, y, **fit_args(ours, X, y))
    plain.partial_fit(X, y, **fit_args(plain, X, y))
    assert ours.t_ == len(y)
    assert ours.validation_scores_ is None
    assert ours.loss_curve_ == plain.loss_curve_
    for a, b in zip(ours.coefs_, plain.coefs_, strict=True):
        assert_array_equal(a, b)


@ignore_convergence
@pytest.mark.parametrize("solver", SKLEARN_STOCHASTIC_SOLVERS)
def test_warm_started_fits_train_as_scikit_learn(problem, solver):
    """Fit by fit, while no stopping test ends one: n_iter_ per fit, t_ and
    the curve over all of them, the weights."""
    Estimator, X, y = problem
    ours, theirs = twin_models(
        Estimator,
        hidden_layer_sizes=(6,),
        solver=solver,
        batch_size=16,
        max_iter=7,
        n_iter_no_change=np.inf,
        warm_start=True,
        random_state=0,
    )
    for max_iter in (7, 3, 5):
        ours.set_params(max_iter=max_iter).fit(X, y)
        theirs.set_params(max_iter=max_iter).fit(X, y)
        assert ours.n_iter_ == max_iter
        assert_trained_alike(ours, theirs)


@ignore_convergence
@pytest.mark.parametrize("solver", SKLEARN_STOCHASTIC_SOLVERS)
def test_warm_started_fit_after_convergence_differs_as_documented(problem, solver):
    """The one difference in counting (docs/user_guide/differences.rst): after
    a fit that stopped on its loss, scikit-learn's warm-started fit carries
    the count of epochs without improvement over and stops after one epoch
    that does not beat the old best; skreg's starts its stopping test afresh."""
    Estimator, X, y = problem
    n_iter_no_change = 2
    ours, theirs = twin_models(
        Estimator,
        hidden_layer_sizes=(6,),
        solver=solver,
        tol=1e-2,
        n_iter_no_change=n_iter_no_change,
        max_iter=500,
        warm_start=True,
        random_state=0,
    )
    ours.fit(X, y)
    theirs.fit(X, y)
    assert theirs.n_iter_ < 500
    assert_trained_alike(ours, theirs)
    ours.fit(X, y)
    theirs.fit(X, y)
    assert theirs.n_iter_ == 1
    # A fresh test: the first epoch is the new best, then it takes more than
    # n_iter_no_change epochs in a row without improving.
    assert ours.n_iter_ >= n_iter_no_change + 2


@pytest.mark.parametrize("solver", STOCHASTIC_SOLVERS)
def test_validation_loss_curve_is_the_penalized_held_out_objective(problem, solver):
    Estimator, X, y = problem
    lambdas = {"l1_weight": 1e-3, "l2_bias": 2e-3}
    model = Estimator(
        hidden_layer_sizes=(4,),
        solver=solver,
        early_stopping=True,
        validation_fraction=0.25,
        max_iter=6,
        n_iter_no_change=np.inf,
        random_state=0,
        **lambdas,
    )
    with pytest.warns(ConvergenceWarning):
        model.fit(X, y)
    n_epochs = len(model.loss_curve_)
    assert len(model.validation_loss_curve_) == n_epochs
    assert len(model.validation_penalty_curve_) == n_epochs
    assert len(model.validation_scores_) == n_epochs
    # The data part is the difference, and a loss: positive.
    data_part = np.subtract(
        model.validation_loss_curve_, model.validation_penalty_curve_
    )
    assert np.all(data_part > 0)
    assert np.all(np.asarray(model.validation_penalty_curve_) > 0)
    # Without early stopping there is nothing held out.
    plain = clone(model).set_params(early_stopping=False)
    with pytest.warns(ConvergenceWarning):
        plain.fit(X, y)
    assert plain.validation_loss_curve_ is None
    assert plain.validation_penalty_curve_ is None


def test_validation_loss_of_an_epoch_matches_the_reference(problem):
    from sklearn.model_selection import train_test_split

    Estimator, X, y = problem
    lambdas = {"l2_weight": 1e-2, "l1_bias": 1e-3}
    model = Estimator(
        hidden_layer_sizes=(3,),
        early_stopping=True,
        validation_fraction=0.25,
        max_iter=1,
        random_state=0,
        **lambdas,
    )
    with pytest.warns(ConvergenceWarning):
        model.fit(X, y)
    # The split, redone: the seed's generator draws the initial weights
    # (each layer's weights, then its biases), then splits.
    rng = np.random.RandomState(0)
    for coef, intercept in zip(model.coefs_, model.intercepts_, strict=True):
        rng.uniform(size=coef.shape)
        rng.uniform(size=intercept.shape)
    # Stratified only by a single column of targets (binary), as scikit-learn.
    stratify = None
    _, X_val, _, y_val = train_test_split(
        X, y, test_size=0.25, random_state=rng, stratify=stratify
    )
    # One epoch: its weights are the fitted ones (the best, being the only).
    z = ref.logits(X_val, model.coefs_, model.intercepts_, model.activation)
    if is_classifier(model):
        Y = (y_val[:, np.newaxis] == np.unique(y)).astype(float)
        data = ref.data_loss(z, Y, np.ones(len(y_val)), "softmax")
    else:
        data = ref.data_loss(z, y_val.reshape(-1, 1), np.ones(len(y_val)), "squared")
    penalty = ref.penalty(model.coefs_, model.intercepts_, **lambdas)
    assert model.validation_penalty_curve_[0] == pytest.approx(penalty, rel=1e-10)
    assert model.validation_loss_curve_[0] == pytest.approx(data + penalty, rel=1e-8)


def collapsing_model(**parameters):
    # Strong enough that the proximal step zeroes every first-layer weight.
    return MLPRegularizedClassifier(
        hidden_layer_sizes=(8,),
        l1_method="proximal",
        l1_weight=[5.0, 0.0],
        learning_rate_init=0.05,
        max_iter=30,
        random_state=0,
        **parameters,
    )


@ignore_convergence
@pytest.mark.parametrize("solver", SOLVERS)
def test_a_penalty_that_removes_every_weight_warns(multiclass_data, solver):
    from skreg.exceptions import PenaltyCollapseWarning

    X, y = multiclass_data
    model = collapsing_model(solver=solver)
    with pytest.warns(
        PenaltyCollapseWarning, match=r"layer 1 \(l1_weight=5\)"
    ) as record:
        model.fit(X, y)
    assert not model.coefs_[0].any()
    # The model predicts one output for all: what the warning says.
    assert np.unique(model.predict_proba(X).round(12), axis=0).shape[0] == 1
    collapse = [w for w in record if w.category is PenaltyCollapseWarning]
    assert len(collapse) == 1
    assert "Lower l1_weight" in str(collapse[0].message)
    assert issubclass(PenaltyCollapseWarning, ConvergenceWarning)


@ignore_convergence
def test_no_collapse_warning_for_a_model_that_uses_its_input(multiclass_data):
    from skreg.exceptions import PenaltyCollapseWarning

    X, y = multiclass_data
    with warnings.catch_warnings():
        warnings.simplefilter("error", PenaltyCollapseWarning)
        collapsing_model(solver="lbfgs").set_params(l1_weight=1e-3).fit(X, y)


def warning_locations(action):
    """The (file, line) of each warning raised by ``action()``."""
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        action()
    return [(w.filename, w.lineno, w.category) for w in record]


@pytest.mark.parametrize(
    "make_warning",
    ["max_iter", "lbfgs max_iter", "batch_size", "collapse", "column y"],
)
@pytest.mark.parametrize("caller", ["direct", "pipeline", "grid search"])
def test_warnings_point_at_the_users_line(multiclass_data, make_warning, caller):
    X, y = multiclass_data
    model, fit_y = {
        "max_iter": (MLPRegularizedClassifier(max_iter=1, random_state=0), y),
        "lbfgs max_iter": (
            MLPRegularizedClassifier(solver="lbfgs", max_iter=1, random_state=0),
            y,
        ),
        "batch_size": (
            MLPRegularizedClassifier(
                batch_size=1000, max_iter=200, tol=1e9, random_state=0
            ),
            y,
        ),
        "collapse": (collapsing_model(solver="lbfgs"), y),
        "column y": (
            MLPRegularizedClassifier(max_iter=200, tol=1e9, random_state=0),
            y.reshape(-1, 1),
        ),
    }[make_warning]
    if caller == "pipeline":
        model = make_pipeline(StandardScaler(), model)
    elif caller == "grid search":
        model = GridSearchCV(model, {"random_state": [0]}, cv=2, error_score="raise")
    this_line = None

    def action():
        nonlocal this_line
        import inspect

        this_line = inspect.currentframe().f_lineno + 1
        model.fit(X, fit_y)

    locations = warning_locations(action)
    assert locations, "no warning raised"
    for filename, lineno, category in locations:
        assert (filename, lineno) == (__file__, this_line), category


# ----------------------------------------------------------------------
# Hyperparameters written once: signatures, constraints and docs agree
# ----------------------------------------------------------------------
def documented_parameters(cls):
    """The names the Parameters section of a class docstring lists."""
    import re

    section = cls.__doc__.split("Parameters\n    ----------\n", 1)[1]
    section = re.split(r"\n    \w[\w ]*\n    -+\n", section, maxsplit=1)[0]
    return re.findall(r"^    (\w+) :", section, flags=re.MULTILINE)


def documented_defaults(cls):
    """Parameter name -> the ``default=...`` text of its docstring entry."""
    import re

    return dict(re.findall(r"^    (\w+) : .*default=(.+)$", cls.__doc__, re.MULTILINE))


@pytest.mark.parametrize(
    "Estimator", [MLPRegularizedClassifier, MLPRegularizedRegressor]
)
def test_signature_constraints_and_docs_list_the_same_parameters(Estimator):
    import ast
    import inspect

    from skreg._base import SHARED_DEFAULTS
    from skreg._penalties import ESTIMATOR_PENALTIES

    signature = inspect.signature(Estimator)
    names = list(signature.parameters)
    assert set(Estimator._parameter_constraints) == set(names)
    assert documented_parameters(Estimator) == names
    # The documented defaults are the signature's.
    defaults = documented_defaults(Estimator)
    for name, parameter in signature.parameters.items():
        assert ast.literal_eval(defaults[name]) == parameter.default, name
    # The shared parameters come first, in the table's order, the
    # estimator's own after them; every penalty of the registry is one.
    assert names[: len(SHARED_DEFAULTS)] == list(SHARED_DEFAULTS)
    assert set(ESTIMATOR_PENALTIES) <= set(SHARED_DEFAULTS)
    # get_params returns every parameter as given, by keyword...
    values = {name: object() for name in names}
    params = Estimator(**values).get_params(deep=False)
    assert all(params[name] is values[name] for name in names)
    # ...and the first two by position too, as scikit-learn's MLP.
    model = Estimator((7,), "tanh", l1_weight=0.5)
    assert (model.hidden_layer_sizes, model.activation) == ((7,), "tanh")
    assert model.l1_weight == 0.5 and model.max_iter == 200


@pytest.mark.parametrize(
    "arguments, kwargs, message",
    [
        ((), {"l3_weight": 1.0}, "unexpected keyword argument 'l3_weight'"),
        (((7,), "tanh", "adam"), {}, "too many positional arguments"),
        (((7,),), {"hidden_layer_sizes": (3,)}, "multiple values"),
    ],
)
@pytest.mark.parametrize(
    "Estimator", [MLPRegularizedClassifier, MLPRegularizedRegressor]
)
def test_a_wrong_argument_is_a_type_error_naming_the_estimator(
    Estimator, arguments, kwargs, message
):
    with pytest.raises(TypeError, match=rf"{Estimator.__name__}.*{message}"):
        Estimator(*arguments, **kwargs)


def test_the_optimizers_parameters_say_which_solvers_use_them():
    from skreg._optimizers import OPTIMIZERS

    docs = MLPRegularizedClassifier.__doc__
    for solver, cls in OPTIMIZERS.items():
        assert f"- '{solver}': " in docs
        for name in cls.estimator_parameters:
            entry = docs.split(f"\n    {name} : ", 1)[1].split("\n\n    ", 1)[0]
            assert "Only used when solver" in entry and f"'{solver}'" in entry
