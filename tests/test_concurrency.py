"""Concurrency: one fitted model serves predictions from many threads.

Prediction allocates its own buffers and only reads the fitted state, so
concurrent calls, on different inputs, give exactly the serial results.
"""

from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import is_classifier

from conftest import make_problem
from skreg import MLPRegularizedClassifier, MLPRegularizedRegressor

N_THREADS = 8
CALLS_PER_THREAD = 25
TASKS = {
    "multiclass": MLPRegularizedClassifier,
    "binary": MLPRegularizedClassifier,
    "multilabel": MLPRegularizedClassifier,
    "regression": MLPRegularizedRegressor,
    "multioutput": MLPRegularizedRegressor,
}


def requests(n_features, seed):
    """Inputs of many sizes (1 to 300 rows), float64 and float32."""
    rng = np.random.RandomState(seed)
    inputs = []
    for call in range(N_THREADS * CALLS_PER_THREAD):
        X = rng.normal(size=(rng.randint(1, 301), n_features))
        inputs.append(X.astype(np.float32) if call % 5 == 0 else X)
    return inputs


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
@pytest.mark.parametrize("task", list(TASKS))
def test_threads_predict_exactly_as_serial_calls(task, solver):
    X, y = make_problem(task)
    model = TASKS[task](
        hidden_layer_sizes=(16, 8), solver=solver, max_iter=20, random_state=0
    ).fit(X, y)
    methods = ["predict"]
    if is_classifier(model):
        methods += ["predict_proba", "predict_log_proba"]
    # Each call: one method on one input, the methods interleaved.
    calls = [
        (methods[index % len(methods)], inputs)
        for index, inputs in enumerate(requests(X.shape[1], seed=len(task)))
    ]

    def call(method_and_inputs):
        method, inputs = method_and_inputs
        return getattr(model, method)(inputs)

    serial = [call(c) for c in calls]
    with ThreadPoolExecutor(max_workers=N_THREADS) as pool:
        concurrent = list(pool.map(call, calls))

    for together, alone in zip(concurrent, serial, strict=True):
        assert together.dtype == alone.dtype
        assert_array_equal(together, alone)


def blas_threads():
    from threadpoolctl import threadpool_info

    return {
        info["filepath"]: info["num_threads"]
        for info in threadpool_info()
        if info["user_api"] == "blas"
    }


def test_lbfgs_limits_interleaved_with_a_worker_thread_are_undone():
    # A fit in the main thread sets the limit; a fit in a worker thread
    # starts before it ends and ends after it. The limit must be gone when
    # both are done, whatever BLAS does with limits set from other threads.
    import threading

    import scipy.linalg  # noqa: F401  (loads scipy's BLAS, if separate)
    from threadpoolctl import threadpool_limits

    from skreg._training import single_threaded_foreign_blas

    worker_in, main_left = threading.Event(), threading.Event()

    worker_limiters = []

    def worker():
        limiter = single_threaded_foreign_blas()
        worker_limiters.append(limiter)
        with limiter:
            worker_in.set()
            main_left.wait()

    with threadpool_limits(2, user_api="blas"):
        before = blas_threads()
        thread = threading.Thread(target=worker)
        with single_threaded_foreign_blas():
            thread.start()
            worker_in.wait()
        main_left.set()
        thread.join()
        assert blas_threads() == before
    # Outside the main thread the thread counts are left alone: a limit set
    # there may be ignored, or stay set after the fit.
    assert isinstance(worker_limiters[0], nullcontext)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_lbfgs_fits_in_four_threads_leave_thread_counts_as_they_were():
    from threadpoolctl import threadpool_limits

    X, y = make_problem("multiclass")

    def fit(seed):
        return MLPRegularizedClassifier(
            hidden_layer_sizes=(8,), solver="lbfgs", max_iter=30, random_state=seed
        ).fit(X, y)

    with threadpool_limits(2, user_api="blas"):
        before = blas_threads()
        serial = [fit(seed).coefs_ for seed in range(8)]
        with ThreadPoolExecutor(max_workers=4) as pool:
            threaded = [model.coefs_ for model in pool.map(fit, range(8))]
        assert blas_threads() == before
    for ours, theirs in zip(threaded, serial, strict=True):
        for a, b in zip(ours, theirs, strict=True):
            assert_array_equal(a, b)
