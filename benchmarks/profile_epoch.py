"""Where an epoch of skreg's training goes, stage by stage.

Run from the repository root::

    python benchmarks/profile_epoch.py            # workload 2 of bench_fit.py
    python benchmarks/profile_epoch.py --quick    # fewer epochs

Runs skreg's own training step (``skreg._training.TrainStep``, the one ``fit``
uses: forward pass, fused loss, backward pass, penalty, adam, each stage
reporting to a timer through its ``on_stage`` hook) on workload 2 of
``bench_fit.py`` (50,000 x 100, hidden (256, 128), batch 256, all four
penalties on), with a timer around each stage, and prints the milliseconds per
epoch of each stage next to the matrix-multiply floor of ``bench_fit.py``.
It does so twice: with the BLAS threads NumPy has, and with BLAS limited to
one thread. Comparing the two columns separates the cost of the element-wise
passes themselves from the cost of moving the matrix products' outputs
between cores (with two BLAS threads, half of every product is written by the
other core, and the first NumPy pass to read it pays for the transfer).

The stages are timed with ``time.perf_counter`` between them; the epoch's
bookkeeping (loss curve, stopping test) is left out, so the total is close to,
not equal to, the per-epoch time ``bench_fit.py`` reports.
"""

import argparse
import time
from collections import defaultdict

import numpy as np
from bench_fit import WORKLOADS, matmul_floor
from sklearn.preprocessing import LabelBinarizer
from threadpoolctl import threadpool_info, threadpool_limits

from skreg import MLPRegularizedClassifier
from skreg._network import Network
from skreg._optimizers import make_optimizer
from skreg._training import MiniBatches, TrainStep

STAGES = ("gather", "forward", "loss", "backward", "penalty", "optimizer")
ALL_FOUR = dict(l1_weight=1e-5, l1_bias=1e-5, l2_weight=1e-5, l2_bias=1e-5)


def profile(X, y, hidden, batch_size, epochs):
    """Milliseconds per epoch of each stage of skreg's training step.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    hidden : tuple of int
    batch_size : int
    epochs : int
        Timed epochs, after one untimed warm-up epoch.

    Returns
    -------
    times : dict of str to float
    """
    model = MLPRegularizedClassifier(hidden_layer_sizes=hidden, **ALL_FOUR)
    Y = LabelBinarizer().fit_transform(y).astype(X.dtype)
    layer_sizes = [X.shape[1], *hidden, Y.shape[1]]
    network = Network(layer_sizes, model.activation, "log_loss", X.dtype)
    network.initialize(np.random.RandomState(0))
    optimizer = make_optimizer(
        model.solver, network.params.size, network.dtype, model.get_params()
    )
    totals = defaultdict(float)
    stamp = time.perf_counter()

    def lap(stage):
        nonlocal stamp
        now = time.perf_counter()
        totals[stage] += now - stamp
        stamp = now

    # The training step fit takes, with a timer after each of its stages.
    step = TrainStep(
        network,
        model._penalty(layer_sizes),
        optimizer,
        batch_size,
        proximal=False,
        on_stage=lap,
    )
    batches = MiniBatches(X, Y, np.ones(X.shape[0]), batch_size, shuffle=True)
    random_state = np.random.RandomState(0)
    for epoch in range(epochs + 1):
        if epoch == 1:
            totals.clear()
        stamp = time.perf_counter()
        for X_part, Y_part, weights, _ in batches.epoch(random_state):
            lap("gather")
            step(X_part, Y_part, weights)
        optimizer.iteration_ends(0)
    return {stage: 1e3 * totals[stage] / epochs for stage in STAGES}


def blas_threads():
    pools = [pool for pool in threadpool_info() if pool["user_api"] == "blas"]
    return max((pool["num_threads"] for pool in pools), default=1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer epochs")
    quick = parser.parse_args().quick
    name, loader, hidden, batch_size, _, _ = WORKLOADS[1]
    epochs = 2 if quick else 4
    X64, y = loader()
    threads = blas_threads()
    print(f"{name}, hidden {hidden}, batch {batch_size}, all four penalties; ms/epoch")
    for dtype in (np.float64, np.float32):
        X = X64.astype(dtype)
        columns = {}
        for n_threads in (threads, 1):
            with threadpool_limits(n_threads, user_api="blas"):
                times = profile(X, y, hidden, batch_size, epochs)
                layer_sizes = [X.shape[1], *hidden, len(np.unique(y))]
                times["total"] = sum(times.values())
                times["matmul floor"] = 1e3 * matmul_floor(
                    X, layer_sizes, batch_size, dtype, repeats=3
                )
            columns[n_threads] = times
        labels = [f"{n} BLAS thread" + ("s" if n > 1 else "") for n in columns]
        print(f"\n{np.dtype(dtype).name:<14}" + "".join(f"{x:>18}" for x in labels))
        for stage in (*STAGES, "total", "matmul floor"):
            cells = "".join(f"{times[stage]:>18.1f}" for times in columns.values())
            print(f"{stage:<14}{cells}")


if __name__ == "__main__":
    main()
