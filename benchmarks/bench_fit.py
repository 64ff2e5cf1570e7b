"""Time skreg's fit against scikit-learn's MLPClassifier, side by side.

Run from the repository root::

    python benchmarks/bench_fit.py            # both workloads, float64 and float32
    python benchmarks/bench_fit.py --quick    # fewer repeats
    python benchmarks/bench_fit.py --group    # the group term's table alone

For each workload and dtype, skreg with each engine ('numpy', and 'numba'
when numba is installed) and scikit-learn are fitted in turns (numpy, numba,
scikit-learn, numpy, ...) in this one process, after one untimed fit that
compiles (or loads) numba's kernels, with the same architecture,
batch size, number of epochs, solver (adam) and an equivalent L2 penalty
(``alpha = 2 * batch_size * l2_weight``; scikit-learn divides alpha by the
batch size and halves it). Early stopping on the training loss is disabled
(``n_iter_no_change`` larger than the number of epochs), so both run exactly
the requested epochs.

A further row per engine turns all four penalties on (``l1_weight``,
``l1_bias``, ``l2_weight``, ``l2_bias``), and the penalty overhead is the ratio
of that epoch to the L2-only one. Printed per row: the engine, the median
milliseconds per epoch of skreg and of scikit-learn, the speedup over
scikit-learn, the ratio of skreg's epoch to the *matrix-multiply floor* (the
same epoch's forward and backward matrix products alone, on preallocated
buffers, timed in this run), skreg's peak memory during fit (X plus the
peak of fit's own allocations traced by tracemalloc, in a separate untimed
fit) next to the size of the training data (X and the one-hot targets) +
model + optimizer state, and both models' training accuracies. The machine is
shared and noisy: compare the ratios, not the absolute times.

A further table times the penalty terms' passes in each engine: the
group term (``group_l1_weight``, two lambdas: one that removes no row in
the 5 epochs, one that removes many) against L1 (``l1_weight``), with
``l1_method='proximal'``, on make_classification 20,000 x 100 in float32,
hidden (64,), batches of 200 (100 steps an epoch), adam and sgd, BLAS on
one thread, the fits of both engines and all penalties in turns. Printed per
solver and penalty: each engine's median milliseconds per epoch, their ratio,
and the inputs and hidden units each engine's model removed. Run it alone
with ``--group``.

A last table fits the largest workload in float32 with the default engine
from three layouts of the same data, in turns: a row-major (C-ordered) array,
a column-major (Fortran-ordered) one and a pandas DataFrame (column-major
too); per layout the median milliseconds per epoch, its ratio to the
row-major one, and the peak memory of the fit (the data, which exists before
fit, plus fit's own allocations, the conversion to row-major among them)
against the data's size.
"""

import argparse
import statistics
import time
import tracemalloc
import warnings

import numpy as np
from sklearn.base import clone
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from sklearn.utils import gen_batches

from skreg import MLPRegularizedClassifier

L2_WEIGHT = 1e-5


def digits():
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


def classification_50k():
    return make_classification(
        n_samples=50000, n_features=100, n_informative=40, n_classes=10, random_state=0
    )


#: name, data loader, hidden layer sizes, batch size, epochs, repeats
WORKLOADS = [
    ("digits", digits, (100,), 200, 50, 7),
    ("classification 50k", classification_50k, (256, 128), 256, 5, 3),
]


ALL_FOUR = dict(l1_weight=1e-5, l1_bias=1e-5, l2_weight=L2_WEIGHT, l2_bias=1e-5)


def engines():
    """The engines to time: NumPy always, numba when it imports."""
    from skreg._engines import numba_available

    return ("numpy", "numba") if numba_available() else ("numpy",)


def make_models(hidden, batch_size, epochs, engine="numpy", penalties=None):
    common = dict(
        hidden_layer_sizes=hidden,
        solver="adam",
        batch_size=batch_size,
        max_iter=epochs,
        n_iter_no_change=epochs + 1,
        random_state=0,
    )
    skreg_model = MLPRegularizedClassifier(
        engine=engine, **(penalties or {"l2_weight": L2_WEIGHT}), **common
    )
    sklearn_model = MLPClassifier(alpha=2 * batch_size * L2_WEIGHT, **common)
    return skreg_model, sklearn_model


def timed_fit(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        model.fit(X, y)
        return time.perf_counter() - start


def matmul_floor(X, layer_sizes, batch_size, dtype, repeats):
    """Median seconds of one epoch's forward and backward matrix products alone."""
    rng = np.random.RandomState(0)
    # Realistic magnitudes: no overflow, no denormals to slow the products.
    coefs = [
        (rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in)).astype(dtype)
        for fan_in, fan_out in zip(layer_sizes[:-1], layer_sizes[1:], strict=True)
    ]
    acts = [np.empty((batch_size, size), dtype) for size in layer_sizes[1:]]
    deltas = [
        (rng.standard_normal((batch_size, size)) / batch_size).astype(dtype)
        for size in layer_sizes[1:]
    ]
    grads = [np.empty_like(coef) for coef in coefs]
    X_batch = np.ascontiguousarray(X[:batch_size], dtype=dtype)
    n_samples = X.shape[0]
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for batch in gen_batches(n_samples, batch_size):
            rows = batch.stop - batch.start
            layer_input = X_batch[:rows]
            for coef, act in zip(coefs, acts, strict=True):
                np.matmul(layer_input, coef, out=act[:rows])
                layer_input = act[:rows]
            for index in range(len(coefs) - 1, -1, -1):
                previous = X_batch[:rows] if index == 0 else acts[index - 1][:rows]
                np.matmul(previous.T, deltas[index][:rows], out=grads[index])
                if index > 0:
                    np.matmul(
                        deltas[index][:rows],
                        coefs[index].T,
                        out=deltas[index - 1][:rows],
                    )
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def peak_fit_memory(model, X, y):
    tracemalloc.start()
    tracemalloc.reset_peak()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def describe_machine():
    """One line on the BLAS in use: kernels and threads decide the timings."""
    from threadpoolctl import threadpool_info

    for pool in threadpool_info():
        if pool["user_api"] == "blas":
            print(
                f"BLAS: {pool['internal_api']} {pool['version']} "
                f"({pool.get('architecture')}), {pool['num_threads']} threads; "
                f"numpy {np.__version__}"
            )


def run(quick):
    describe_machine()
    header = (
        f"{'workload':<20}{'dtype':<9}{'engine':<8}{'penalties':<10}"
        f"{'skreg ms/ep':>12}{'sklearn ms/ep':>14}"
        f"{'speedup':>9}{'floor ms':>10}{'/floor':>8}{'peak MB':>9}{'base MB':>9}"
        f"{'acc skreg':>11}{'acc sklearn':>12}"
    )
    print(header)
    print("-" * len(header))
    overheads = []
    for name, loader, hidden, batch_size, epochs, repeats in WORKLOADS:
        if quick:
            repeats = max(2, repeats // 2)
        X64, y = loader()
        for dtype in (np.float64, np.float32):
            X = X64.astype(dtype)
            models = {
                (engine, label): make_models(
                    hidden, batch_size, epochs, engine, penalties
                )[0]
                for engine in engines()
                for label, penalties in (("l2", None), ("all four", ALL_FOUR))
            }
            sklearn_model = make_models(hidden, batch_size, epochs)[1]
            for model in models.values():
                # Compiles numba's kernels for this dtype (or loads them).
                timed_fit(clone(model).set_params(max_iter=1), X, y)
            times = {key: [] for key in models}
            sklearn_times = []
            for _ in range(repeats):
                for key, model in models.items():
                    times[key].append(timed_fit(model, X, y))
                sklearn_times.append(timed_fit(sklearn_model, X, y))
            sklearn_epoch = statistics.median(sklearn_times) / epochs
            layer_sizes = [X.shape[1], *hidden, sklearn_model.n_outputs_]
            floor = matmul_floor(X, layer_sizes, batch_size, dtype, repeats)
            for (engine, label), model in models.items():
                epoch = statistics.median(times[(engine, label)]) / epochs
                params = sum(c.nbytes for c in model.coefs_) + sum(
                    b.nbytes for b in model.intercepts_
                )
                # data (X and one-hot Y) + parameters + adam's two moments
                base = X.nbytes + y.size * model.n_outputs_ * X.itemsize + 3 * params
                # X exists before fit; fit's own allocations come on top of it.
                peak = X.nbytes + peak_fit_memory(clone(model), X, y)
                print(
                    f"{name:<20}{np.dtype(dtype).name:<9}{engine:<8}{label:<10}"
                    f"{1e3 * epoch:>12.1f}"
                    f"{1e3 * sklearn_epoch:>14.1f}{sklearn_epoch / epoch:>9.2f}"
                    f"{1e3 * floor:>10.1f}{epoch / floor:>8.2f}"
                    f"{peak / 2**20:>9.1f}{base / 2**20:>9.1f}"
                    f"{model.score(X, y):>11.4f}{sklearn_model.score(X, y):>12.4f}"
                )
            for engine in engines():
                with_all = statistics.median(times[(engine, "all four")])
                overheads.append(
                    (
                        name,
                        np.dtype(dtype).name,
                        engine,
                        with_all / statistics.median(times[(engine, "l2")]),
                    )
                )
    print("\nPenalty overhead (epoch with all four penalties / with L2 only):")
    for name, dtype, engine, ratio in overheads:
        print(f"  {name:<20}{dtype:<9}{engine:<8}{ratio:.3f}")
    group_penalty(quick)
    layouts(quick)


#: The group term's workload: samples, features, hidden layers, epochs.
GROUP_WORKLOAD = (20_000, 100, (64,), 5)
#: The penalties compared, with l1_method='proximal': name -> lambdas. The
#: weaker group lambda removes no row in 5 epochs (every row takes the group
#: term's full proximal step), the stronger most noise inputs (adam) or some
#: hidden units (sgd).
GROUP_PENALTIES = {
    "l1=1e-4": {"l1_weight": 1e-4},
    "group=1e-3": {"group_l1_weight": 1e-3},
    "group=1e-2": {"group_l1_weight": 1e-2},
}
#: Solver -> learning_rate_init.
GROUP_SOLVERS = {"adam": 1e-3, "sgd": 1e-2}


def group_penalty(quick, workload=GROUP_WORKLOAD):
    """Epoch times of the L1 and the group term, per engine and solver."""
    from threadpoolctl import threadpool_limits

    n_samples, n_features, hidden, epochs = workload
    repeats = 3 if quick else 7
    X, y = make_classification(
        n_samples=n_samples,
        n_features=n_features,
        n_informative=n_features // 5,
        random_state=0,
    )
    X = X.astype(np.float32)
    models = {
        (solver, penalty, engine): MLPRegularizedClassifier(
            hidden_layer_sizes=hidden,
            solver=solver,
            learning_rate_init=learning_rate_init,
            l1_method="proximal",
            max_iter=epochs,
            n_iter_no_change=epochs + 1,
            engine=engine,
            random_state=0,
            **lambdas,
        )
        for solver, learning_rate_init in GROUP_SOLVERS.items()
        for penalty, lambdas in GROUP_PENALTIES.items()
        for engine in engines()
    }
    times = {key: [] for key in models}
    with threadpool_limits(limits=1, user_api="blas"):
        for model in models.values():
            # Compiles numba's kernels for this dtype (or loads them).
            timed_fit(clone(model).set_params(max_iter=1), X, y)
        for _ in range(repeats):
            for key, model in models.items():
                times[key].append(timed_fit(model, X, y))
    print(
        f"\nPenalty terms, l1_method='proximal' ({n_samples:,} x {n_features}, "
        f"float32, hidden {hidden}, {epochs} epochs, BLAS on 1 thread, "
        f"median of {repeats}):"
    )
    header = f"{'solver':<8}{'penalty':<12}" + "".join(
        f"{engine + ' ms/ep':>15}{engine + ' removed':>16}" for engine in engines()
    )
    if len(engines()) > 1:
        header += f"{'numba/numpy':>13}"
    print(header)
    print("-" * len(header))
    for solver in GROUP_SOLVERS:
        for penalty in GROUP_PENALTIES:
            row = f"{solver:<8}{penalty:<12}"
            epoch = {}
            for engine in engines():
                model = models[(solver, penalty, engine)]
                epoch[engine] = statistics.median(times[(solver, penalty, engine)])
                epoch[engine] /= epochs
                unused = model.sparsity()["n_unused_inputs"]
                removed = f"{unused[0]} in, {unused[1]} hid"
                row += f"{1e3 * epoch[engine]:>15.1f}{removed:>16}"
            if len(epoch) > 1:
                row += f"{epoch['numba'] / epoch['numpy']:>13.2f}"
            print(row)
    l1, *groups = GROUP_PENALTIES
    for solver in GROUP_SOLVERS:
        for group in groups:
            ratios = ", ".join(
                f"{engine} "
                + format(
                    statistics.median(times[(solver, group, engine)])
                    / statistics.median(times[(solver, l1, engine)]),
                    ".2f",
                )
                for engine in engines()
            )
            print(f"  {group} / {l1} epoch, {solver}: {ratios}")
    return times


def dataframe(X):
    import pandas as pd

    return pd.DataFrame(X)


#: The same data in the layouts users pass: name -> f(row-major X).
LAYOUTS = {
    "C-ordered array": np.ascontiguousarray,
    "Fortran-ordered array": np.asfortranarray,
    "pandas DataFrame": dataframe,
}


def layouts(quick):
    """Epoch time and peak memory of the largest workload by input layout."""
    name, loader, hidden, batch_size, epochs, repeats = WORKLOADS[-1]
    if quick:
        repeats = max(2, repeats // 2)
    X64, y = loader()
    X = X64.astype(np.float32)
    inputs = {layout: convert(X) for layout, convert in LAYOUTS.items()}
    model = make_models(hidden, batch_size, epochs, engine="auto")[0]
    timed_fit(clone(model).set_params(max_iter=1), X, y)
    times = {layout: [] for layout in inputs}
    for _ in range(repeats):
        for layout, data in inputs.items():
            times[layout].append(timed_fit(clone(model), data, y))
    print(f"\nInput layouts ({name}, float32, engine='auto'):")
    header = (
        f"{'layout':<24}{'ms/epoch':>10}{'/ C-ordered':>13}{'peak MB':>9}{'data MB':>9}"
    )
    print(header)
    print("-" * len(header))
    row_major = statistics.median(times["C-ordered array"])
    for layout, data in inputs.items():
        median = statistics.median(times[layout])
        peak = X.nbytes + peak_fit_memory(clone(model), data, y)
        print(
            f"{layout:<24}{1e3 * median / epochs:>10.1f}{median / row_major:>13.2f}"
            f"{peak / 2**20:>9.1f}{X.nbytes / 2**20:>9.1f}"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument(
        "--group", action="store_true", help="only the penalty terms' table"
    )
    arguments = parser.parse_args()
    if arguments.group:
        describe_machine()
        group_penalty(arguments.quick)
    else:
        run(arguments.quick)


if __name__ == "__main__":
    main()
