"""WarmStartGridSearchCV: GridSearchCV's results, fitted along penalty paths.

- the same candidates, ``cv_results_`` keys and best_* as GridSearchCV, and
  a one-candidate grid (a cold fit) gives exactly GridSearchCV's results;
- the chains: what starts one, who warm-starts from whom (weakest first,
  per-layer lists included), and that each candidate's scores are those of
  the very path replayed by hand (no candidate is disturbed by later fits);
- a pipeline's pre-steps are fitted once per fold and chain;
- budgeted warm starts (warm_max_iter): a budget that never binds is the
  unbudgeted search, one that binds raises no ConvergenceWarning; the
  safeguard (n_continued) continues exactly the leading candidates, each
  score being that of its path replayed by hand; the added cv_results_
  columns; the parameters validated;
- failures follow error_score; the results do not depend on n_jobs or on
  joblib's Dask backend; refit cold or along the path;
- scikit-learn's estimator checks that apply to a search;
- the benchmark scripts still run (on tiny workloads).
"""

import copy
import sys
import warnings
from pathlib import Path

import distributed
import joblib
import numpy as np
import pytest
from sklearn import config_context
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning, FitFailedWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    ParameterGrid,
    StratifiedKFold,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from skreg import (
    MLPRegularizedClassifier,
    MLPRegularizedRegressor,
    WarmStartGridSearchCV,
)
from skreg._search import plan_chains

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import bench_path_direction  # noqa: E402
import bench_search  # noqa: E402

# Small epoch budgets, on purpose.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

GRID = {"l1_weight": [0.0, 1e-3, 1e-2], "l2_weight": [0.0, 1e-2]}


def classifier(**params):
    defaults = dict(
        hidden_layer_sizes=(6,),
        learning_rate_init=0.01,
        max_iter=15,
        random_state=0,
    )
    return MLPRegularizedClassifier(**{**defaults, **params})


def pipeline(**params):
    return Pipeline([("scaler", StandardScaler()), ("mlp", classifier(**params))])


def prefixed(grid, prefix="mlp__"):
    return {prefix + key: values for key, values in grid.items()}


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=90, n_features=6, n_informative=4, n_redundant=0, random_state=0
    )
    return X * 3 + 1, y  # not standardized: the pipeline's scaler matters


def added_keys(n_splits):
    """The keys WarmStartGridSearchCV adds to GridSearchCV's cv_results_."""
    return ["budgeted", "continued"] + [f"split{k}_n_iter" for k in range(n_splits)]


def assert_same_results(ours, theirs, keys=None):
    keys = keys or [
        key
        for key in theirs.cv_results_
        if "time" not in key and not key.startswith("param")
    ]
    for key in keys:
        np.testing.assert_array_equal(
            ours.cv_results_[key], theirs.cv_results_[key], err_msg=key
        )


# ----------------------------------------------------------------------
# GridSearchCV's interface and results
# ----------------------------------------------------------------------
@pytest.mark.parametrize("return_train_score", [False, True])
@pytest.mark.parametrize(
    "scoring", [None, {"accuracy": "accuracy", "log_loss": "neg_log_loss"}]
)
def test_same_candidates_and_result_keys_as_grid_search(
    data, scoring, return_train_score
):
    X, y = data
    settings = dict(
        cv=3,
        scoring=scoring,
        refit="accuracy" if scoring else True,
        return_train_score=return_train_score,
    )
    ours = WarmStartGridSearchCV(pipeline(), prefixed(GRID), **settings).fit(X, y)
    theirs = GridSearchCV(pipeline(), prefixed(GRID), **settings).fit(X, y)

    assert list(ours.cv_results_) == list(theirs.cv_results_) + added_keys(3)
    assert ours.cv_results_["params"] == theirs.cv_results_["params"]
    for key, value in theirs.cv_results_.items():
        assert np.shape(ours.cv_results_[key]) == np.shape(value), key
        if key.startswith("param_"):
            np.testing.assert_array_equal(ours.cv_results_[key], value)
    # The first candidate (the weakest) is a cold fit on every fold.
    first_splits = [key for key in theirs.cv_results_ if key.startswith("split")]
    for key in first_splits:
        assert ours.cv_results_[key][0] == theirs.cv_results_[key][0], key
    for attribute in ["best_params_", "best_index_", "best_score_", "n_splits_"]:
        assert hasattr(ours, attribute)
    assert ours.n_splits_ == 3 and ours.refit_time_ > 0
    assert ours.multimetric_ == theirs.multimetric_
    assert ours.best_params_ == ours.cv_results_["params"][ours.best_index_]
    # predict, predict_proba, score, classes_ come from the refitted pipeline.
    np.testing.assert_array_equal(ours.predict(X), ours.best_estimator_.predict(X))
    np.testing.assert_allclose(
        ours.predict_proba(X), ours.best_estimator_.predict_proba(X)
    )
    np.testing.assert_array_equal(ours.classes_, [0, 1])
    assert ours.n_features_in_ == X.shape[1]


@pytest.mark.parametrize("make", [classifier, pipeline], ids=["estimator", "pipeline"])
def test_one_candidate_is_exactly_grid_search(data, make):
    X, y = data
    prefix = "mlp__" if make is pipeline else ""
    grid = prefixed({"l1_weight": [1e-3], "l2_bias": [[1e-2, 0.0]]}, prefix)
    settings = dict(cv=4, return_train_score=True)
    ours = WarmStartGridSearchCV(make(), grid, **settings).fit(X, y)
    theirs = GridSearchCV(make(), grid, **settings).fit(X, y)

    assert list(ours.cv_results_) == list(theirs.cv_results_) + added_keys(4)
    assert_same_results(ours, theirs)
    assert ours.best_params_ == theirs.best_params_
    assert ours.best_score_ == theirs.best_score_
    ours_model, theirs_model = (
        search.best_estimator_[-1] if make is pipeline else search.best_estimator_
        for search in (ours, theirs)
    )
    for a, b in zip(
        ours_model.coefs_ + ours_model.intercepts_,
        theirs_model.coefs_ + theirs_model.intercepts_,
        strict=True,
    ):
        np.testing.assert_array_equal(a, b)
    assert ours.warm_start_from_.tolist() == [-1]


def test_one_candidate_with_sample_weight_is_exactly_grid_search(data):
    X, y = data
    weights = np.random.RandomState(0).uniform(0.5, 2.0, size=len(y))
    for make, key in [(classifier, "sample_weight"), (pipeline, "mlp__sample_weight")]:
        grid = {("mlp__" if make is pipeline else "") + "l2_weight": [1e-2]}
        ours = WarmStartGridSearchCV(make(), grid, cv=3).fit(X, y, **{key: weights})
        theirs = GridSearchCV(make(), grid, cv=3).fit(X, y, **{key: weights})
        assert_same_results(ours, theirs)


def test_metadata_routing_routes_sample_weight_as_grid_search(data):
    X, y = data
    weights = np.random.RandomState(1).uniform(0.5, 2.0, size=len(y))
    with config_context(enable_metadata_routing=True):
        estimator = pipeline()
        estimator[0].set_fit_request(sample_weight=False)
        estimator[-1].set_fit_request(sample_weight=True)
        estimator[-1].set_score_request(sample_weight=True)
        grid = {"mlp__l1_weight": [1e-3]}
        ours = WarmStartGridSearchCV(estimator, grid, cv=3).fit(
            X, y, sample_weight=weights
        )
        theirs = GridSearchCV(estimator, grid, cv=3).fit(X, y, sample_weight=weights)
    assert_same_results(ours, theirs)
    unweighted = WarmStartGridSearchCV(pipeline(), grid, cv=3).fit(X, y)
    assert (
        ours.cv_results_["mean_test_score"] != unweighted.cv_results_["mean_test_score"]
    )


def test_regressor_and_user_scorer_on_the_pipeline(data):
    X, y = data
    target = X[:, 0] - 2 * X[:, 1] + 0.1 * y

    def zero_share(estimator, X, y):
        """A scorer that reads the fitted pipeline, as GridSearchCV gives it."""
        return estimator[-1].sparsity()["zero_weight_share"][0]

    estimator = Pipeline(
        [
            ("scaler", StandardScaler()),
            (
                "mlp",
                MLPRegularizedRegressor(
                    hidden_layer_sizes=(5,),
                    solver="lbfgs",
                    max_iter=30,
                    l1_method="proximal",
                    random_state=0,
                ),
            ),
        ]
    )
    search = WarmStartGridSearchCV(
        estimator,
        {"mlp__l1_weight": [0.0, 1e-2, 1e-1]},
        scoring={"r2": "r2", "zero_share": zero_share},
        refit="r2",
        cv=KFold(3),
    ).fit(X, target)
    zeros = search.cv_results_["mean_test_zero_share"]
    assert zeros[0] == 0 and zeros[2] > zeros[0]
    assert search.best_estimator_.score(X, target) > 0.5
    assert search.warm_start_from_.tolist() == [-1, 0, 1]


def test_early_stopping_warns(data):
    X, y = data
    estimator = pipeline(early_stopping=True)
    with pytest.warns(UserWarning, match="early_stopping=True"):
        WarmStartGridSearchCV(estimator, prefixed(GRID), cv=2).fit(X, y)
    with warnings.catch_warnings():
        # A single candidate is no chain: no warning.
        warnings.filterwarnings("error", message="The estimator has early_stopping")
        WarmStartGridSearchCV(estimator, {"mlp__l1_weight": [1e-3]}, cv=2).fit(X, y)


def test_estimator_that_is_not_skreg_is_refused(data):
    X, y = data
    with pytest.raises(TypeError, match="needs a skreg estimator"):
        WarmStartGridSearchCV(LogisticRegression(), {"C": [1.0]}).fit(X, y)
    with pytest.raises(TypeError, match="needs a skreg estimator"):
        WarmStartGridSearchCV(
            Pipeline([("mlp", classifier()), ("lr", LogisticRegression())]), {}
        ).fit(X, y)


# ----------------------------------------------------------------------
# Chains and their order
# ----------------------------------------------------------------------
def test_candidates_start_from_weaker_neighbours():
    # ParameterGrid order: (0, 0), (0, 1e-2), (1e-3, 0), (1e-3, 1e-2),
    # (1e-2, 0), (1e-2, 1e-2). Each starts from a candidate weaker in both
    # lambdas, preferably with the same l1_weight: l1_weight grows along
    # l2_weight=0, and l2_weight branches off at each l1_weight.
    candidates = list(ParameterGrid(GRID))
    chains = plan_chains(classifier(), candidates)
    assert chains == [[(0, None), (2, 0), (1, 0), (4, 1), (3, 1), (5, 3)]]
    parents = dict(chains[0])
    for index, parent in parents.items():
        if parent is not None:
            weaker = candidates[chains[0][parent][0]]
            assert all(weaker[key] <= candidates[index][key] for key in GRID)
    # Strongest first reverses it: the strongest is the cold fit.
    reverse = plan_chains(classifier(), candidates, weakest_first=False)
    assert reverse[0][0] == (5, None)


def test_per_layer_lists_are_ordered_layer_by_layer():
    # Two layers: a list gives one value per layer; a float, both.
    candidates = [
        {"l1_weight": [1e-3, 0.0]},
        {"l1_weight": 0.0},
        {"l1_weight": [0.0, 1e-3]},
        {"l1_weight": 1e-3},
        {"l1_weight": [1e-2, 0.0]},
    ]
    (chain,) = plan_chains(classifier(), candidates)
    start = {
        index: chain[parent][0] if parent is not None else None
        for index, parent in chain
    }
    assert start[1] is None  # the weakest: cold
    assert start[0] == 1 and start[2] == 1  # neither list is below the other
    assert start[3] in (0, 2)  # 1e-3 on both layers is above both lists
    assert start[4] == 0  # only [1e-3, 0] is below [1e-2, 0]


def test_per_layer_lists_in_a_search(data):
    X, y = data
    X = StandardScaler().fit_transform(X)
    grid = {"l1_weight": [[0.0, 0.0], [1e-3, 0.0], [1e-3, 1e-3]]}
    cv = StratifiedKFold(3)
    search = WarmStartGridSearchCV(
        classifier(l1_method="proximal"), grid, cv=cv, refit_mode="path"
    ).fit(X, y)
    assert search.warm_start_from_.tolist() == [-1, 0, 1]
    params = search.cv_results_["params"]
    for split, (train, test) in enumerate(cv.split(X, y)):
        model = replay_path(
            classifier(l1_method="proximal"), X[train], y[train], params
        )
        assert search.cv_results_[f"split{split}_test_score"][2] == model.score(
            X[test], y[test]
        )
    assert search.best_estimator_.l1_weight in grid["l1_weight"]


def test_other_parameters_start_new_chains(data):
    X, y = data
    grid = {
        "mlp__hidden_layer_sizes": [(4,), (6,)],
        "mlp__l1_weight": [0.0, 1e-3],
        "mlp__l1_method": ["subgradient", "proximal"],
        "scaler__with_mean": [True, False],
    }
    search = WarmStartGridSearchCV(pipeline(), grid, cv=2).fit(X, y)
    params = search.cv_results_["params"]
    parents = search.warm_start_from_
    assert np.count_nonzero(parents == -1) == 8  # 2 x 2 x 2 chains
    for index, parent in enumerate(parents):
        if parent >= 0:
            shared = {k: v for k, v in params[index].items() if k != "mlp__l1_weight"}
            assert shared == {
                k: v for k, v in params[parent].items() if k != "mlp__l1_weight"
            }
            assert params[parent]["mlp__l1_weight"] < params[index]["mlp__l1_weight"]


def test_invalid_penalty_is_a_chain_of_its_own():
    candidates = [
        {"l1_weight": 0.0},
        {"l1_weight": [0.0, 1e-3, 1.0]},
        {"l1_weight": 1e-3},
    ]
    chains = plan_chains(classifier(), candidates)
    assert [(1, None)] in chains  # three values for two layers
    assert [(0, None), (2, 0)] in chains


def replay_path(estimator, X_train, y_train, path):
    """Fit the candidates of ``path`` in turn with warm starts, by hand."""
    model = None
    for params in path:
        if model is None:
            model = clone(estimator).set_params(**params)
        else:
            model = copy.deepcopy(model).set_params(warm_start=True, **params)
        model.fit(X_train, y_train)
    return model


def test_each_score_is_that_of_its_own_path(data):
    # (0, 0) has two children, (1e-3, 0) and (0, 1e-2): the second must start
    # from (0, 0) itself, not from the first child fitted before it.
    X, y = data
    X = StandardScaler().fit_transform(X)
    grid = {"l1_weight": [0.0, 1e-3], "l2_weight": [0.0, 1e-2]}
    cv = StratifiedKFold(3)
    search = WarmStartGridSearchCV(classifier(), grid, cv=cv).fit(X, y)
    params = search.cv_results_["params"]
    assert search.warm_start_from_.tolist() == [-1, 0, 0, 2]
    for split, (train, test) in enumerate(cv.split(X, y)):
        for index in range(len(params)):
            path, at = [], index
            while at >= 0:
                path.insert(0, params[at])
                at = search.warm_start_from_[at]
            model = replay_path(classifier(), X[train], y[train], path)
            assert search.cv_results_[f"split{split}_test_score"][index] == (
                model.score(X[test], y[test])
            ), (split, params[index])


class CountingScaler(StandardScaler):
    """StandardScaler that counts its fits (in this process)."""

    fits = 0

    def fit(self, X, y=None, sample_weight=None):
        CountingScaler.fits += 1
        return super().fit(X, y, sample_weight)


def test_pipeline_pre_steps_are_fitted_once_per_fold_and_chain(data):
    X, y = data
    estimator = Pipeline([("scaler", CountingScaler()), ("mlp", classifier())])
    CountingScaler.fits = 0
    search = WarmStartGridSearchCV(estimator, prefixed(GRID), cv=3).fit(X, y)
    assert CountingScaler.fits == 3 + 1  # one chain on each fold, and the refit
    assert len(search.cv_results_["params"]) == 6

    CountingScaler.fits = 0
    grid = {**prefixed(GRID), "scaler__with_std": [True, False]}
    WarmStartGridSearchCV(estimator, grid, cv=3, refit=False).fit(X, y)
    assert CountingScaler.fits == 2 * 3


# ----------------------------------------------------------------------
# Budgeted warm starts and the safeguard
# ----------------------------------------------------------------------
#: An estimator whose fits stop on tol before max_iter on ``scaled`` over
#: GRID (measured without a budget: cold fits in 168 to 204 epochs, warm
#: starts in 27 to 109), so that a budget of BINDING epochs binds and one of
#: NEVER_BINDING does not.
CONVERGING = dict(max_iter=300, tol=1e-3)
BINDING = 3
NEVER_BINDING = 250


def budget_path(estimator, X_train, y_train, path, budget, continued=False):
    """Replay a path by hand: cold, then warm starts of ``budget`` epochs each.

    With ``continued``, the last model is then fitted on with its own
    max_iter, as the safeguard continues it.
    """
    model = None
    for params in path:
        if model is None:
            model = clone(estimator).set_params(**params)
        else:
            model = copy.deepcopy(model).set_params(
                warm_start=True, max_iter=budget, **params
            )
        model.fit(X_train, y_train)
    if continued:
        model = copy.deepcopy(model).set_params(max_iter=estimator.max_iter)
        model.fit(X_train, y_train)
    return model


def path_to(search, index):
    params, path = search.cv_results_["params"], []
    while index >= 0:
        path.insert(0, params[index])
        index = search.warm_start_from_[index]
    return path


@pytest.fixture(scope="module")
def scaled(data):
    X, y = data
    return StandardScaler().fit_transform(X), y


def test_budget_that_never_binds_is_the_unbudgeted_search(scaled):
    X, y = scaled
    searches = [
        WarmStartGridSearchCV(
            classifier(**CONVERGING), GRID, cv=3, warm_max_iter=budget
        ).fit(X, y)
        for budget in (None, NEVER_BINDING)
    ]
    unbudgeted, budgeted = searches
    keys = [key for key in unbudgeted.cv_results_ if "time" not in key]
    assert_same_results(budgeted, unbudgeted, keys)
    assert not budgeted.cv_results_["budgeted"].any()
    assert not budgeted.cv_results_["continued"].any()
    assert budgeted.best_params_ == unbudgeted.best_params_
    # The warm starts did converge below the budget.
    n_iter = np.stack([budgeted.cv_results_[f"split{k}_n_iter"] for k in range(3)])
    assert n_iter.max() < NEVER_BINDING < CONVERGING["max_iter"]


@pytest.mark.parametrize("n_continued", [0, 1, 3])
def test_safeguard_continues_exactly_the_leading_candidates(scaled, n_continued):
    X, y = scaled
    cv = StratifiedKFold(3)
    estimator = classifier(**CONVERGING)
    with warnings.catch_warnings():
        # A fit stopped at its budget is not a convergence failure.
        warnings.simplefilter("error", ConvergenceWarning)
        search = WarmStartGridSearchCV(
            estimator, GRID, cv=cv, warm_max_iter=BINDING, n_continued=n_continued
        ).fit(X, y)
    results = search.cv_results_
    budgeted, continued = results["budgeted"], results["continued"]
    scores = results["mean_test_score"]
    assert not (budgeted & continued).any()
    assert budgeted[search.warm_start_from_ >= 0].any()  # the budget binds
    # The n_continued best final scores are all scores of fits that stopped
    # on their own (cold fits, warm starts below the budget, continuations).
    order = np.argsort(-scores, kind="stable")
    assert not budgeted[order[:n_continued]].any()
    assert continued.any() == (n_continued == 3)  # here: the best is cold
    n_iter = np.stack([results[f"split{k}_n_iter"] for k in range(3)], axis=1)
    for index in range(len(scores)):
        path = path_to(search, index)
        for split, (train, test) in enumerate(cv.split(X, y)):
            model = budget_path(
                estimator, X[train], y[train], path, BINDING, continued[index]
            )
            assert results[f"split{split}_test_score"][index] == model.score(
                X[test], y[test]
            ), (index, split)
        if budgeted[index]:
            assert n_iter[index].max() == BINDING
    assert search.best_params_ == results["params"][np.argmax(scores)]


class CountingFits(MLPRegularizedClassifier):
    """MLPRegularizedClassifier that counts its fits (in this process)."""

    calls = 0

    def fit(self, X, y, sample_weight=None):
        CountingFits.calls += 1
        return super().fit(X, y, sample_weight=sample_weight)


def test_continued_candidates_are_those_that_led(scaled):
    X, y = scaled
    settings = dict(cv=3, warm_max_iter=BINDING)
    unsafe = WarmStartGridSearchCV(
        classifier(**CONVERGING), GRID, n_continued=0, **settings
    ).fit(X, y)
    safe = WarmStartGridSearchCV(
        classifier(**CONVERGING), GRID, n_continued=2, **settings
    ).fit(X, y)
    before = unsafe.cv_results_["mean_test_score"]
    continued = safe.cv_results_["continued"]
    assert continued.any()
    # Those never continued keep their budgeted scores; the first round
    # continued the two best budgeted candidates (if budgeted), and later
    # rounds only candidates that then ranked among the two best.
    kept = ~continued
    np.testing.assert_array_equal(
        safe.cv_results_["mean_test_score"][kept], before[kept]
    )
    # The fits: every candidate once per fold, the continued ones once more
    # on each fold where they had stopped at the budget, and the refit.
    CountingFits.calls = 0
    WarmStartGridSearchCV(
        CountingFits(**classifier(**CONVERGING).get_params()),
        GRID,
        n_continued=2,
        **settings,
    ).fit(X, y)
    stopped = np.stack(
        [unsafe.cv_results_[f"split{k}_n_iter"] == BINDING for k in range(3)], axis=1
    )
    stopped &= (unsafe.warm_start_from_ >= 0)[:, None]
    assert CountingFits.calls == 6 * 3 + stopped[continued].sum() + 1
    first_round = [
        index
        for index in np.argsort(-before, kind="stable")[:2]
        if unsafe.cv_results_["budgeted"][index]
    ]
    assert all(continued[first_round])
    for index in np.flatnonzero(continued):
        assert unsafe.cv_results_["budgeted"][index]


def test_path_refit_budgets_the_path_but_not_the_best(scaled):
    X, y = scaled
    estimator = classifier(**CONVERGING)
    search = WarmStartGridSearchCV(
        estimator,
        GRID,
        cv=3,
        warm_max_iter=BINDING,
        refit=lambda results: 5,
        refit_mode="path",
    ).fit(X, y)
    path = path_to(search, 5)
    assert len(path) > 2
    model = budget_path(estimator, X, y, path[:-1], BINDING)
    model = copy.deepcopy(model).set_params(
        warm_start=True, max_iter=estimator.max_iter, **path[-1]
    )
    model.fit(X, y)
    for a, b in zip(search.best_estimator_.coefs_, model.coefs_, strict=True):
        np.testing.assert_array_equal(a, b)
    assert search.best_estimator_.max_iter == estimator.max_iter
    assert not hasattr(search.best_estimator_, "_max_iter_is_budget")


@pytest.mark.parametrize("resume", [False, True])
def test_optimizer_restarts_unless_the_search_resumes_it(scaled, resume):
    # A warm start restarts Adam, as scikit-learn's, for an estimator alone;
    # the private hook a search may set (RESUME_OPTIMIZER) carries it over.
    X, y = scaled
    parent = classifier(**CONVERGING).fit(X, y)
    child = copy.deepcopy(parent).set_params(warm_start=True, l2_weight=1e-2)
    if resume:
        child._resume_optimizer = True
    child.fit(X, y)
    # One batch per epoch here (90 samples, batch_size='auto'): Adam's step
    # count is the epochs since the optimizer (re)started.
    assert parent._optimizer.t == parent.n_iter_
    started_at = parent._optimizer.t if resume else 0
    assert child._optimizer.t == started_at + child.n_iter_
    assert not hasattr(child, "_budget_reached")


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("warm_max_iter", 0, "'warm_max_iter' parameter"),
        ("warm_max_iter", 2.5, "'warm_max_iter' parameter"),
        ("warm_max_iter", True, "'warm_max_iter' parameter"),
        ("warm_max_iter", "30", "'warm_max_iter' parameter"),
        ("n_continued", -1, "'n_continued' parameter"),
        ("n_continued", 1.0, "'n_continued' parameter"),
        ("n_continued", False, "'n_continued' parameter"),
    ],
)
def test_budget_and_count_are_validated(data, name, value, message):
    X, y = data
    search = WarmStartGridSearchCV(classifier(), GRID, **{name: value})
    with pytest.raises(ValueError, match=message):
        search.fit(X, y)


# ----------------------------------------------------------------------
# Failures
# ----------------------------------------------------------------------
#: l1_bias value at which FailingClassifier.fit raises.
FAILING_L1_BIAS = 1e-4


class FailingClassifier(MLPRegularizedClassifier):
    """MLPRegularizedClassifier whose fit fails at l1_bias=FAILING_L1_BIAS."""

    def fit(self, X, y, sample_weight=None):
        if self.l1_bias == FAILING_L1_BIAS:
            raise RuntimeError("this candidate fails")
        return super().fit(X, y, sample_weight=sample_weight)


def failing_classifier():
    return FailingClassifier(**classifier().get_params())


def test_failed_candidate_scores_error_score_and_passes_on_its_start(data):
    X, y = data
    X = StandardScaler().fit_transform(X)
    grid = {"l1_bias": [0.0, FAILING_L1_BIAS, 2e-4]}
    cv = StratifiedKFold(3)
    with pytest.warns(FitFailedWarning, match="3 fits failed out of a total of 9"):
        search = WarmStartGridSearchCV(
            failing_classifier(), grid, cv=cv, error_score=-1.0
        ).fit(X, y)
    assert search.warm_start_from_.tolist() == [-1, 0, 1]
    scores = search.cv_results_["mean_test_score"]
    assert scores[1] == -1.0 and scores[0] > 0.5 and scores[2] > 0.5
    # The candidate after the failed one starts where the failed one started.
    for split, (train, test) in enumerate(cv.split(X, y)):
        model = replay_path(
            classifier(), X[train], y[train], [{"l1_bias": 0.0}, {"l1_bias": 2e-4}]
        )
        assert search.cv_results_[f"split{split}_test_score"][2] == model.score(
            X[test], y[test]
        )

    with pytest.raises(RuntimeError, match="this candidate fails"):
        WarmStartGridSearchCV(failing_classifier(), grid, error_score="raise").fit(X, y)


@pytest.mark.filterwarnings("ignore:One or more of the test scores are non-finite")
def test_invalid_lambda_fails_like_grid_search(data):
    X, y = data
    grid = {"mlp__l1_weight": [0.0, [1e-3, 1e-3, 1e-3]]}  # three values, two layers
    settings = dict(cv=3, error_score=np.nan)
    with pytest.warns(FitFailedWarning):
        ours = WarmStartGridSearchCV(pipeline(), grid, **settings).fit(X, y)
    with pytest.warns(FitFailedWarning):
        theirs = GridSearchCV(pipeline(), grid, **settings).fit(X, y)
    assert_same_results(ours, theirs)
    assert np.isnan(ours.cv_results_["mean_test_score"][1])


class FailingScaler(StandardScaler):
    def fit(self, X, y=None, sample_weight=None):
        raise RuntimeError("the scaler fails")


def test_failing_pre_step_fails_every_candidate(data):
    X, y = data
    estimator = Pipeline([("scaler", FailingScaler()), ("mlp", classifier())])
    with pytest.raises(ValueError, match="All the 18 fits failed"):
        WarmStartGridSearchCV(estimator, prefixed(GRID), cv=3).fit(X, y)
    with pytest.raises(RuntimeError, match="the scaler fails"):
        WarmStartGridSearchCV(estimator, prefixed(GRID), cv=3, error_score="raise").fit(
            X, y
        )


# ----------------------------------------------------------------------
# Repeatability, n_jobs, Dask
# ----------------------------------------------------------------------
def test_repeatable_with_random_state(data):
    X, y = data
    first, second = (
        WarmStartGridSearchCV(pipeline(), prefixed(GRID), cv=3).fit(X, y)
        for _ in range(2)
    )
    assert_same_results(first, second)
    for a, b in zip(
        first.best_estimator_[-1].coefs_, second.best_estimator_[-1].coefs_, strict=True
    ):
        np.testing.assert_array_equal(a, b)


#: A budget that binds and a safeguard that continues candidates (on
#: ``data``, with CONVERGING fits), to check they run the same anywhere.
CONTINUING = dict(warm_max_iter=BINDING, n_continued=3)


@pytest.mark.parametrize(
    "fits, budget",
    [({}, {}), (CONVERGING, CONTINUING)],
    ids=["max_iter", "continuing"],
)
def test_results_do_not_depend_on_n_jobs(data, fits, budget):
    X, y = data
    grid = {**prefixed(GRID), "mlp__hidden_layer_sizes": [(4,), (6,)]}
    searches = [
        WarmStartGridSearchCV(
            pipeline(**fits), grid, cv=3, n_jobs=n_jobs, **budget
        ).fit(X, y)
        for n_jobs in (1, 2)
    ]
    one, two = searches
    assert_same_results(one, two, [k for k in one.cv_results_ if "time" not in k])
    assert one.best_params_ == two.best_params_
    assert one.cv_results_["continued"].any() == bool(budget)


def test_runs_on_joblib_dask_backend(data):
    X, y = data
    search = WarmStartGridSearchCV(
        pipeline(**CONVERGING), prefixed(GRID), cv=3, **CONTINUING
    )
    local = clone(search).fit(X, y)
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=":0",
        ) as cluster,
        distributed.Client(cluster) as client,
        distributed.get_task_stream(client) as tasks,
        joblib.parallel_backend("dask"),
    ):
        on_cluster = clone(search).fit(X, y)
    assert tasks.data  # the chains and continuations ran on the workers
    assert local.cv_results_["continued"].any()
    assert_same_results(
        on_cluster, local, [k for k in local.cv_results_ if "time" not in k]
    )
    assert on_cluster.best_params_ == local.best_params_


# ----------------------------------------------------------------------
# Refit
# ----------------------------------------------------------------------
def test_refit_cold_is_grid_search_refit(data):
    X, y = data
    search = WarmStartGridSearchCV(pipeline(), prefixed(GRID), cv=3).fit(X, y)
    expected = clone(pipeline()).set_params(**search.best_params_).fit(X, y)
    for a, b in zip(
        search.best_estimator_[-1].coefs_, expected[-1].coefs_, strict=True
    ):
        np.testing.assert_array_equal(a, b)
    assert search.best_estimator_[-1].warm_start is False


def test_refit_along_path(data):
    X, y = data
    grid = {"l1_weight": [0.0, 1e-3], "l2_weight": [0.0, 1e-2]}
    search = WarmStartGridSearchCV(
        classifier(), grid, cv=3, refit=lambda results: 3, refit_mode="path"
    ).fit(X, y)
    params = search.cv_results_["params"]
    path = [params[0], params[2], params[3]]  # warm_start_from_ [-1, 0, 0, 2]
    expected = replay_path(classifier(), X, y, path)
    for a, b in zip(search.best_estimator_.coefs_, expected.coefs_, strict=True):
        np.testing.assert_array_equal(a, b)
    assert search.best_estimator_.warm_start is False  # as the user set it
    assert search.best_estimator_.get_params() == classifier(**params[3]).get_params()


# ----------------------------------------------------------------------
# Verbosity, scikit-learn's checks
# ----------------------------------------------------------------------
def test_verbose_prints_progress_like_grid_search(data, capsys):
    X, y = data
    WarmStartGridSearchCV(pipeline(), prefixed(GRID), cv=3, verbose=3).fit(X, y)
    out = capsys.readouterr().out
    assert "Fitting 3 folds for each of 6 candidates, totalling 18 fits" in out
    assert "1 chains per fold: 1 cold fits and 5 warm starts per fold" in out
    lines = [line for line in out.splitlines() if line.startswith("[CV")]
    assert len(lines) == 18
    assert sum("cold total time" in line for line in lines) == 3
    assert all("score=" in line for line in lines)


#: As for the estimators' own checks (test_estimator_checks.py), lbfgs with
#: an L2 penalty: fast, and accurate enough for the checks' thresholds.
LBFGS = dict(
    hidden_layer_sizes=(5,), activation="logistic", solver="lbfgs", random_state=0
)
#: error_score='raise', as scikit-learn configures GridSearchCV for them. The
#: classifier is checked in a pipeline, the regressor alone.
SEARCHES = [
    WarmStartGridSearchCV(
        MLPRegularizedRegressor(**LBFGS),
        {"l2_weight": [1e-2, 3e-2]},
        cv=2,
        error_score="raise",
    ),
    WarmStartGridSearchCV(
        Pipeline(
            [("scaler", StandardScaler()), ("mlp", MLPRegularizedClassifier(**LBFGS))]
        ),
        {"mlp__l2_weight": [1e-2, 3e-2]},
        cv=2,
        error_score="raise",
    ),
]


def expected_failed_checks(search):
    """The check scikit-learn expects GridSearchCV itself to fail.

    A search's tags do not say whether its estimator accepts several
    outputs, so the check expects a warning for a column-vector y that the
    multi-output regressor does not raise.
    """
    if isinstance(search.estimator, MLPRegularizedRegressor):
        return {"check_supervised_y_2d": "DataConversionWarning not caught"}
    return {}


@parametrize_with_checks(SEARCHES, expected_failed_checks=expected_failed_checks)
def test_sklearn_checks(estimator, check):
    check(estimator)


# ----------------------------------------------------------------------
# The benchmark scripts, on tiny workloads
# ----------------------------------------------------------------------
def test_bench_search_runs_both_searches():
    X_train, X_test, y_train, y_test = bench_search.task(n_samples=120)
    estimator = bench_search.pipeline(hidden=(4,), max_iter=5)
    grid = {"mlp__l1_weight": [0.0, 1e-3], "mlp__l2_weight": [0.0, 1e-2]}
    runs = {
        "GridSearchCV": bench_search.run(
            GridSearchCV(estimator, grid, cv=3), X_train, y_train, X_test, y_test
        ),
        "WarmStartGridSearchCV": bench_search.run(
            WarmStartGridSearchCV(estimator, grid, cv=3),
            X_train,
            y_train,
            X_test,
            y_test,
        ),
    }
    for figures in runs.values():
        assert figures["fits"] == 12
        assert figures["epochs"] <= 13 * 5
    assert "path_test" in runs["WarmStartGridSearchCV"]
    bench_search.report("tiny", runs)


def test_bench_path_direction_runs_every_order(capsys):
    data = bench_path_direction.split(bench_path_direction.digits, standardize=False)
    data = tuple(part[:150] for part in data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        runs = bench_path_direction.report(
            "tiny", dict(hidden_layer_sizes=(4,), max_iter=5), [0.0, 1e-2], data
        )
    assert set(runs) == {"cold", "weak first", "strong first"}
    assert "total" in capsys.readouterr().out


def test_every_penalty_parameter_has_its_place_in_the_change_order():
    from skreg._base import PENALTY_PARAMETERS
    from skreg._search import CHANGE_ORDER

    assert sorted(CHANGE_ORDER) == sorted(PENALTY_PARAMETERS)
    # Weights before biases, non-smooth before smooth, as measured.
    assert CHANGE_ORDER.index("l1_weight") < CHANGE_ORDER.index("l2_weight")
    assert CHANGE_ORDER.index("l2_weight") < CHANGE_ORDER.index("l1_bias")


def test_a_group_penalty_grid_is_chained_weakest_first(data):
    X, y = data
    grid = {"group_l1_weight": [0.0, 1e-3, 1e-2], "l2_weight": [0.0, 1e-3]}
    search = WarmStartGridSearchCV(classifier(), grid, cv=2).fit(X, y)
    params = search.cv_results_["params"]
    parents = search.warm_start_from_
    assert (parents == -1).sum() == 1
    for child, parent in enumerate(parents):
        if parent >= 0:
            assert all(params[parent][name] <= params[child][name] for name in grid)
