"""scikit-learn's callback API (skreg/_callbacks.py) and the core's epoch hook.

The core's hook is tested on every scikit-learn; the callbacks need
scikit-learn >= 1.9 (``sklearn.callback``), else those tests are skipped.
"""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skreg import (
    MLPRegularizedClassifier,
    MLPRegularizedRegressor,
    WarmStartGridSearchCV,
)
from skreg._callbacks import HAS_CALLBACKS
from skreg._optimizers import OPTIMIZERS

needs_callbacks = pytest.mark.skipif(
    not HAS_CALLBACKS, reason="sklearn.callback needs scikit-learn >= 1.9"
)
SOLVERS = [*OPTIMIZERS, "lbfgs"]


@pytest.fixture(scope="module")
def data():
    return make_classification(n_samples=120, n_features=6, random_state=0)


def small(estimator_class=MLPRegularizedClassifier, **params):
    params = {
        "hidden_layer_sizes": (4,),
        "max_iter": 8,
        "random_state": 0,
        "tol": 0.0,
        "n_iter_no_change": 1000,
        **params,
    }
    return estimator_class(**params)


class Recorder:
    """Records every hook call; asks to stop after ``stop_after`` epochs."""

    def __init__(self, stop_after=None):
        self.calls = []
        self.stop_after = stop_after
        self.fitted = []
        self.epochs = []  # the estimator of each epoch that ran

    def setup(self, estimator, context):
        self.calls.append(("setup", type(estimator).__name__, context.task_name))

    def teardown(self, estimator, context):
        self.calls.append(("teardown", type(estimator).__name__, context.task_name))

    def on_fit_task_begin(self, estimator, context):
        self.calls.append(("begin", context.estimator_name, context.task_name))
        if context.task_name == "fit":
            self.max_subtasks = context.max_subtasks

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        self.calls.append(("end", context.estimator_name, context.task_name))
        if context.task_name in ("epoch", "iteration") and fitted_estimator:
            self.fitted.append(fitted_estimator)
            self.epochs.append(context.estimator_name)
        return (
            self.stop_after is not None
            and context.task_name in ("epoch", "iteration")
            and context.task_id + 1 >= self.stop_after
        )

    def epochs_ended(self, estimator_name="MLPRegularizedClassifier"):
        return [name for name in self.epochs if name == estimator_name]


class PropagatedRecorder(Recorder):
    """An auto-propagated recorder (it has ``max_propagation_depth``)."""

    max_propagation_depth = None


# ----------------------------------------------------------------------
# The core's hook, on every scikit-learn
# ----------------------------------------------------------------------
class HookStop:
    def __init__(self, stop_at):
        self.epochs = []
        self.stop_at = stop_at

    def __call__(self, epoch):
        self.epochs.append(epoch)
        return epoch >= self.stop_at


@pytest.mark.parametrize("solver", SOLVERS)
def test_the_epoch_hook_is_called_once_per_epoch_and_can_stop(data, solver):
    X, y = data
    model = small(solver=solver)
    hook = HookStop(stop_at=3)
    model._fit(X, y, None, incremental=False, classes=None, epoch_hook=lambda n: hook)
    assert hook.epochs == [1, 2, 3]
    assert model.n_iter_ == 3
    assert len(model.loss_curve_) == 3


# ----------------------------------------------------------------------
# The callbacks (scikit-learn >= 1.9)
# ----------------------------------------------------------------------
@needs_callbacks
@pytest.mark.parametrize("solver", SOLVERS)
def test_calls_and_order(data, solver):
    X, y = data
    recorder = Recorder()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # max_iter=8 does not converge
        model = small(solver=solver, max_iter=4).set_callbacks(recorder).fit(X, y)
    name = "epoch" if solver in OPTIMIZERS else "iteration"
    estimator = "MLPRegularizedClassifier"
    epochs = [("begin", estimator, name), ("end", estimator, name)] * model.n_iter_
    # LogisticRegression's pattern: a sub-task begun for an epoch that did
    # not run (training stopped before max_iter) is ended empty.
    leftover = (
        [("begin", estimator, name), ("end", estimator, name)]
        if model.n_iter_ < 4
        else []
    )
    assert recorder.calls == [
        ("setup", estimator, "fit"),
        ("begin", estimator, "fit"),
        *epochs,
        *leftover,
        ("end", estimator, "fit"),
        ("teardown", estimator, "fit"),
    ]
    assert not hasattr(model, "_callback_fit_ctx")
    assert recorder.max_subtasks == 4  # a progress bar's total: max_iter


@needs_callbacks
@pytest.mark.parametrize("solver", SOLVERS)
def test_a_stop_request_ends_training_at_that_epoch(data, solver):
    X, y = data
    recorder = Recorder(stop_after=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ConvergenceWarning: the stop was asked
        model = small(solver=solver).set_callbacks(recorder).fit(X, y)
    assert model.n_iter_ == 2
    assert len(recorder.epochs_ended()) == 2
    assert recorder.calls[-2:] == [
        ("end", "MLPRegularizedClassifier", "fit"),
        ("teardown", "MLPRegularizedClassifier", "fit"),
    ]
    # The published model is the one the callback saw at its last epoch.
    last_seen = recorder.fitted[-1]
    for published, seen in zip(model.coefs_, last_seen.coefs_, strict=True):
        np.testing.assert_array_equal(published, seen)
    np.testing.assert_array_equal(model.predict(X), last_seen.predict(X))


@needs_callbacks
def test_the_fitted_estimator_of_an_epoch_is_a_snapshot(data):
    X, y = data
    recorder = Recorder()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        small(max_iter=3).set_callbacks(recorder).fit(X, y)
    first, last = recorder.fitted[0], recorder.fitted[-1]
    assert not np.array_equal(first.coefs_[0], last.coefs_[0])


@needs_callbacks
def test_scoring_monitor_records_one_score_per_epoch(data):
    from sklearn.callback import ScoringMonitor

    X, y = data
    monitor = ScoringMonitor(scoring="accuracy")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = small(max_iter=5).set_callbacks(monitor).fit(X, y)
    rows = [row for row in monitor.get_logs().data if row["task_name"] == "epoch"]
    assert len(rows) == model.n_iter_ == 5
    assert all(0.0 <= row["accuracy"] <= 1.0 for row in rows)


@needs_callbacks
def test_a_regressor_reports_its_epochs_too():
    X, y = make_regression(n_samples=60, n_features=4, random_state=0)
    recorder = Recorder()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = small(MLPRegularizedRegressor, max_iter=3).set_callbacks(recorder)
        model.fit(X, y)
    assert len(recorder.epochs_ended("MLPRegularizedRegressor")) == 3


def _search(kind, estimator, n_jobs):
    if kind == "grid":
        return GridSearchCV(estimator, PARAM_GRID, cv=2, n_jobs=n_jobs)
    return WarmStartGridSearchCV(estimator, PARAM_GRID, cv=2, n_jobs=n_jobs)


MLP = "MLPRegularizedClassifier"
PARAM_GRID = {"mlpregularizedclassifier__l1_weight": [1e-4, 1e-3]}


@needs_callbacks
@pytest.mark.parametrize("kind", ["grid", "warm"])
@pytest.mark.parametrize("n_jobs", [1, 2])
def test_contexts_propagate_from_searches_through_a_pipeline(data, kind, n_jobs):
    from sklearn.callback import ScoringMonitor

    X, y = data
    # A monitor on the inner estimator reports from the workers too, into
    # the search's task tree if the contexts propagate.
    monitor = ScoringMonitor(scoring="accuracy")
    pipeline = make_pipeline(StandardScaler(), small(max_iter=3).set_callbacks(monitor))
    recorder = PropagatedRecorder()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search = _search(kind, pipeline, n_jobs).set_callbacks(recorder)
        search.fit(X, y)
    log = monitor.get_logs()
    search_name = type(search).__name__
    assert log.estimator_name == search_name
    epoch_rows = [row for row in log.data if row["task_name"] == "epoch"]
    # 2 candidates x 2 folds + the refit, 3 epochs each (a warm start too).
    n_fits = len(PARAM_GRID["mlpregularizedclassifier__l1_weight"]) * 2 + 1
    assert len(epoch_rows) == 3 * n_fits
    # The auto-propagated recorder is set up and torn down once, by the search.
    assert recorder.calls[0] == ("setup", search_name, "fit")
    assert recorder.calls[-1] == ("teardown", search_name, "fit")
    assert [call[0] for call in recorder.calls].count("setup") == 1
    if n_jobs == 1:
        assert len(recorder.epochs_ended()) == 3 * n_fits
    else:  # the workers' recorders are copies: the refit's epochs remain here
        assert len(recorder.epochs_ended()) == 3


@needs_callbacks
def test_a_warm_search_with_a_path_refit_reports_every_fit_of_the_path(data):
    X, y = data
    recorder = PropagatedRecorder()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search = WarmStartGridSearchCV(
            small(max_iter=3),
            {"l1_weight": [1e-4, 1e-3, 1e-2]},
            cv=2,
            refit_mode="path",
        ).set_callbacks(recorder)
        search.fit(X, y)
    path_fits = [c for c in recorder.calls if c[:3] == ("begin", MLP, "fit")]
    n_path = search._path_length(search.best_index_)
    assert len(path_fits) == 3 * 2 + n_path


def test_without_scikit_learn_callbacks_skreg_has_no_set_callbacks():
    assert hasattr(MLPRegularizedClassifier(), "set_callbacks") == HAS_CALLBACKS
    assert hasattr(MLPRegularizedRegressor(), "set_callbacks") == HAS_CALLBACKS


@needs_callbacks
def test_a_progress_bar_runs_through_a_search(data):
    pytest.importorskip("rich")
    from sklearn.callback import ProgressBar

    X, y = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search = WarmStartGridSearchCV(
            small(max_iter=3), {"l1_weight": [1e-4, 1e-3]}, cv=2
        ).set_callbacks(ProgressBar(max_propagation_depth=None))
        search.fit(X, y)
    assert search.best_estimator_.n_iter_ > 0


@needs_callbacks
@pytest.mark.parametrize("kind", ["randomized", "halving"])
def test_contexts_propagate_from_scikit_learns_other_searches(data, kind):
    from sklearn.callback import ScoringMonitor
    from sklearn.experimental import enable_halving_search_cv  # noqa: F401
    from sklearn.model_selection import HalvingGridSearchCV, RandomizedSearchCV

    X, y = data
    monitor = ScoringMonitor(scoring="accuracy")
    model = small(max_iter=3).set_callbacks(monitor)
    grid = {"l1_weight": [1e-4, 1e-3]}
    if kind == "randomized":
        search = RandomizedSearchCV(model, grid, n_iter=2, cv=2, n_jobs=2)
    else:
        search = HalvingGridSearchCV(model, grid, cv=2, n_jobs=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search.fit(X, y)
    log = monitor.get_logs()
    assert log.estimator_name == type(search).__name__
    epochs = [row for row in log.data if row["task_name"] == "epoch"]
    assert len(epochs) >= 3 * 5  # 2 candidates x 2 folds + the refit at least
    assert len(epochs) % 3 == 0
