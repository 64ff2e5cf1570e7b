"""Scaling out on Dask: a real two-process LocalCluster on 127.0.0.1.

- GridSearchCV over the four lambdas through joblib's Dask backend gives the
  very scores of the same search run locally;
- dask-ml's ``Incremental`` trains on the blocks of a chunked Dask array, one
  ``partial_fit`` per block, and ends where the same ``partial_fit`` loop over
  the same blocks in memory ends;
- the workers' BLAS runs one thread per worker thread (no oversubscription);
- a fitted estimator pickles to little more than its parameters and its
  optimizer state, so it is cheap to ship to the workers;
- the cluster shuts down cleanly, leaving no worker process behind.
"""

import os
import pickle

import dask.array as da
import joblib
import numpy as np
import psutil
import pytest
import threadpoolctl
from dask.utils import key_split
from dask_ml.wrappers import Incremental
from distributed import Client, LocalCluster, get_task_stream
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV

from skreg import MLPRegularizedClassifier, MLPRegularizedRegressor

N_WORKERS = 2
THREADS_PER_WORKER = 1
#: Liveness bound on the shutdown, not a performance target: closing takes a
#: few seconds at most; this only keeps a hung shutdown from hanging CI.
SHUTDOWN_TIMEOUT = 60

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def start_cluster():
    cluster = LocalCluster(
        n_workers=N_WORKERS,
        threads_per_worker=THREADS_PER_WORKER,
        processes=True,
        host="127.0.0.1",
        dashboard_address=":0",  # any free port: no clash with 8787
    )
    return cluster, Client(cluster)


def worker_processes(client):
    """psutil handles on the worker processes, looked up by their own pid."""
    pids = client.run(os.getpid)
    return [psutil.Process(pid) for pid in pids.values()]


def close_cluster(cluster, client):
    """Close the client and the cluster; return the worker processes still alive."""
    workers = worker_processes(client)
    client.close(timeout=SHUTDOWN_TIMEOUT)
    cluster.close(timeout=SHUTDOWN_TIMEOUT)
    _, alive = psutil.wait_procs(workers, timeout=SHUTDOWN_TIMEOUT)
    return workers, alive


@pytest.fixture(scope="module")
def client():
    cluster, client = start_cluster()
    yield client
    _, alive = close_cluster(cluster, client)
    assert not alive, f"worker processes left behind: {alive}"


def test_cluster_has_separate_worker_processes(client):
    workers = worker_processes(client)
    assert len(workers) == N_WORKERS
    assert len({worker.pid for worker in workers} | {os.getpid()}) == N_WORKERS + 1


def test_grid_search_on_cluster_matches_local_search(client):
    X, y = make_classification(
        n_samples=240, n_features=8, n_informative=5, random_state=0
    )
    model = MLPRegularizedClassifier(
        hidden_layer_sizes=(8,),
        solver="adam",
        learning_rate_init=0.01,
        batch_size=40,
        max_iter=10,
        random_state=0,
    )
    grid = {
        "l1_weight": [0.0, 3e-3],
        "l1_bias": [0.0, 1e-2],
        "l2_weight": [0.0, 3e-2],
        "l2_bias": [0.0, 1e-2],
    }
    # The workers' BLAS runs one thread (see test_workers_blas_is_single_
    # threaded); the local reference does too, so that both sides round
    # exactly alike whatever the size of the operations.
    with threadpoolctl.threadpool_limits(1):
        local = GridSearchCV(model, grid, cv=3, n_jobs=1).fit(X, y)
    with get_task_stream(client) as tasks, joblib.parallel_backend("dask"):
        distributed = GridSearchCV(model, grid, cv=3).fit(X, y)

    # The fits ran on the cluster's workers, not in this process.
    assert tasks.data
    assert {task["worker"] for task in tasks.data} <= set(
        client.scheduler_info()["workers"]
    )
    score_keys = [
        key
        for key in local.cv_results_
        if key.endswith("_test_score") and not key.startswith("rank")
    ]
    assert len(score_keys) == 3 + 2  # three splits, their mean and std
    for key in [*score_keys, "rank_test_score"]:
        np.testing.assert_array_equal(
            distributed.cv_results_[key], local.cv_results_[key], err_msg=key
        )
    assert distributed.best_params_ == local.best_params_
    # The grid is not degenerate: the lambdas change the scores.
    scores = local.cv_results_["mean_test_score"]
    assert np.ptp(scores) > 0
    assert scores.max() > 0.75  # well above chance (1/2): the models learn


def test_incremental_on_chunked_array_matches_in_memory_passes(client):
    X, y = make_classification(
        n_samples=3000,
        n_features=20,
        n_informative=8,
        n_classes=3,
        random_state=0,
    )
    X_train, y_train, X_test, y_test = X[:2400], y[:2400], X[2400:], y[2400:]
    block_size, n_passes, classes = 300, 3, np.unique(y)
    model = MLPRegularizedClassifier(
        hidden_layer_sizes=(16,),
        solver="adam",
        learning_rate_init=0.01,
        batch_size=50,
        l1_weight=1e-4,
        l2_weight=1e-3,
        random_state=0,
    )

    X_blocks = da.from_array(X_train, chunks=(block_size, X.shape[1]))
    y_blocks = da.from_array(y_train, chunks=block_size)
    incremental = Incremental(model, scoring="accuracy", shuffle_blocks=False)
    with get_task_stream(client) as tasks:
        for _ in range(n_passes):
            # Each pass ships the estimator, optimizer state included, to the
            # workers and back; classes go through partial_fit's kwargs.
            incremental.partial_fit(X_blocks, y_blocks, classes=classes)
    # One partial_fit task per block and pass (the key ("fit-...", -1) holds
    # the estimator shipped in).
    partial_fits = [
        task
        for task in tasks.data
        if key_split(task["key"]) == "fit" and task["key"][1] >= 0
    ]
    assert len(partial_fits) == n_passes * X_blocks.numblocks[0]

    in_memory = MLPRegularizedClassifier(**model.get_params())
    with threadpoolctl.threadpool_limits(1):
        for _ in range(n_passes):
            for start in range(0, len(X_train), block_size):
                block = slice(start, start + block_size)
                in_memory.partial_fit(X_train[block], y_train[block], classes=classes)

    fitted = incremental.estimator_
    n_epochs = n_passes * X_blocks.numblocks[0]
    assert len(fitted.loss_curve_) == len(in_memory.loss_curve_) == n_epochs
    distributed_accuracy = fitted.score(X_test, y_test)
    in_memory_accuracy = in_memory.score(X_test, y_test)
    assert in_memory_accuracy > 0.7  # well above chance (1/3): it learned
    assert abs(distributed_accuracy - in_memory_accuracy) <= 0.01
    # Stronger: the same steps in the same order, so the same parameters;
    # with the optimizer state lost in transit they would differ.
    for ours, theirs in zip(
        fitted.coefs_ + fitted.intercepts_,
        in_memory.coefs_ + in_memory.intercepts_,
        strict=True,
    ):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)
    # Incremental predicts block by block on Dask arrays too.
    predictions = incremental.predict(da.from_array(X_test, chunks=200)).compute()
    np.testing.assert_array_equal(predictions, fitted.predict(X_test))


def test_workers_blas_is_single_threaded(client):
    def blas_threads():
        import numpy  # noqa: F401  (loads the BLAS numpy links to)
        import scipy.linalg  # noqa: F401

        return [
            (info["internal_api"], info["num_threads"])
            for info in threadpoolctl.threadpool_info()
            if info["user_api"] == "blas"
        ]

    def environment():
        names = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
        return {name: os.environ.get(name) for name in names}

    per_worker = client.run(blas_threads)
    assert len(per_worker) == N_WORKERS
    for libraries in per_worker.values():
        assert libraries, "no BLAS library loaded in the worker"
        assert all(threads == THREADS_PER_WORKER for _, threads in libraries)
    # Set by the nanny before it spawns each worker (dask's default
    # distributed.nanny.pre-spawn-environ), so BLAS starts single-threaded.
    for variables in client.run(environment).values():
        assert variables == dict.fromkeys(variables, "1")


@pytest.mark.parametrize(
    "make_model, n_state_arrays",
    [
        (lambda: MLPRegularizedClassifier(solver="lbfgs"), 0),
        (lambda: MLPRegularizedClassifier(solver="sgd"), 1),  # velocity
        (lambda: MLPRegularizedClassifier(solver="adam"), 2),  # two moments
        (lambda: MLPRegularizedRegressor(solver="adam"), 2),
    ],
    ids=["lbfgs", "sgd", "adam", "adam-regressor"],
)
def test_pickled_model_is_its_parameters_and_optimizer_state(
    make_model, n_state_arrays
):
    # Training data far larger than the model: a reference to it would show.
    X, y = make_classification(
        n_samples=4000, n_features=60, n_informative=10, n_classes=3, random_state=0
    )
    model = make_model().set_params(
        hidden_layer_sizes=(100, 30), max_iter=3, random_state=0
    )
    model.fit(X, y)
    parameter_bytes = sum(array.nbytes for array in [*model.coefs_, *model.intercepts_])
    size = len(pickle.dumps(model))

    # coefs_ and intercepts_ are views into one flat buffer; each pickles as
    # its own data only (plus a header), not as the whole buffer.
    for view in [*model.coefs_, *model.intercepts_]:
        assert view.nbytes <= len(pickle.dumps(view)) <= view.nbytes + 256
    # Parameters, plus the optimizer's state kept for partial_fit (arrays the
    # size of the parameters; its scratch buffer is left out), plus a few
    # KiB of small attributes (the random state, the loss curves, labels).
    expected = (1 + n_state_arrays) * parameter_bytes
    assert expected <= size <= expected + 16 * 1024
    assert size < X.nbytes / 5


def is_resource_tracker(process):
    """Whether a process is multiprocessing's resource tracker.

    Python starts it with the first spawned process and keeps it, one per
    interpreter, until the interpreter exits: it is not the cluster's.
    """
    try:
        return "multiprocessing.resource_tracker" in " ".join(process.cmdline())
    except psutil.NoSuchProcess:
        return False


def test_cluster_shuts_down_leaving_no_worker_process():
    this_process = psutil.Process()
    before = set(this_process.children(recursive=True))
    cluster, client = start_cluster()
    assert client.submit(sum, [1, 2, 3]).result() == 6
    started = set(this_process.children(recursive=True)) - before

    workers, alive = close_cluster(cluster, client)
    assert len(workers) == N_WORKERS
    assert {worker.pid for worker in workers} <= {process.pid for process in started}
    assert not alive, f"worker processes left behind: {alive}"
    assert cluster.status.name == "closed"
    assert client.status == "closed"
    left = [
        process
        for process in started
        if process.is_running() and not is_resource_tracker(process)
    ]
    assert not left, f"processes left behind: {left}"
