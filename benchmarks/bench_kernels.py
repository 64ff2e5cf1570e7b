"""What each numba kernel buys over the NumPy passes it replaces.

Run from the repository root::

    python benchmarks/bench_kernels.py            # both dtypes
    python benchmarks/bench_kernels.py --quick    # fewer repeats

Shapes of workload 2 of ``bench_fit.py`` (make_classification 50,000 x 100,
10 classes; hidden (256, 128); batch 256; all four penalties on, 1e-5 each):
layers 100 -> 256 -> 128 -> 10, 60,042 parameters, 196 batches an epoch.

First, the compile time: the seconds a new process (skreg imported) takes
to import the kernels and make the first call of each kernel the workload
uses (one dtype), with an empty cache (compiling) and again with the cache that run
left (loading), each in a subprocess with its own ``NUMBA_CACHE_DIR``.

Then three parts, in one process, float64 then float32:

1. **Kernels.** Each kernel and the NumPy passes it replaces, called
   alternately on the same inputs, with BLAS limited to one thread (the
   penalty's ``np.dot`` is a BLAS call; on a busy machine its thread
   hand-offs swamp the element-wise cost being measured). Printed: the
   median microseconds per call of each, their ratio, and the milliseconds
   an epoch saves (calls per batch x 196 batches).
2. **Training steps.** The whole step (forward, loss, backward, penalty +
   adam; consecutive batches, no shuffling) with NumPy's passes and with
   the kernels, BLAS with its own threads, in milliseconds per epoch next
   to the matrix-multiply floor of ``bench_fit.py``: what the fusions give
   together, including the cost of reading matrix products that the other
   BLAS thread wrote; and the share of the epoch that all four penalties
   cost (their cost in part 1, over the epoch).
3. **parallel=True.** The adam step split over numba's threads, against the
   serial kernel, inside that training step, where BLAS's threads are
   active too. Run last, since numba's idle threads keep spinning for a
   while and would slow what comes after.

The machine is shared and noisy: compare the ratios, not the absolute times.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numba
import numpy as np
from bench_fit import describe_machine, matmul_floor
from threadpoolctl import threadpool_limits

from skreg import MLPRegularizedClassifier, _kernels
from skreg._functions import ACTIVATIONS, DERIVATIVES, LOSSES
from skreg._network import Network
from skreg._optimizers import AdamOptimizer
from skreg._penalties import NetworkPenalty

N_SAMPLES, N_FEATURES, N_CLASSES = 50_000, 100, 10
HIDDEN, BATCH_SIZE = (256, 128), 256
LAYER_SIZES = [N_FEATURES, *HIDDEN, N_CLASSES]
N_BATCHES = -(-N_SAMPLES // BATCH_SIZE)
ALL_FOUR = dict(l1_weight=1e-5, l1_bias=1e-5, l2_weight=1e-5, l2_bias=1e-5)
ADAM = dict(beta_1=0.9, beta_2=0.999, epsilon=1e-8)


def median_us(function, prepare, repeats):
    """Median microseconds of ``function()``, ``prepare()`` run untimed first."""
    times = []
    for _ in range(repeats):
        prepare()
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return 1e6 * statistics.median(times)


def alternate(numpy_call, numba_call, prepare, repeats):
    """Median microseconds of both, called in turns so that load hits both."""
    numpy_times, numba_times = [], []
    for _ in range(repeats):
        numpy_times.append(median_us(numpy_call, prepare, 1))
        numba_times.append(median_us(numba_call, prepare, 1))
    return statistics.median(numpy_times), statistics.median(numba_times)


def penalty_and_segments():
    penalty = MLPRegularizedClassifier(**ALL_FOUR)._penalty(LAYER_SIZES)
    return penalty, _kernels.segment_arrays(penalty)


# ---------------------------------------------------------------------------
# 0. Compile time

FIRST_CALLS = """
import time
import numpy as np
import skreg
start = time.perf_counter()
from skreg import _kernels as k
imported = time.perf_counter()
Z, bias = np.zeros((4, 3), np.{dtype}), np.zeros(3, np.{dtype})
k.BIAS_ACTIVATIONS["relu"](Z, bias)
k.BIAS_ACTIVATIONS["identity"](Z, bias)
k.DELTA_DERIVATIVES["relu"](Z, Z.copy())
k.LOSS_GRADIENTS["log_loss"](Z, Z.copy(), np.ones(4, np.{dtype}))
params = np.zeros(5, np.{dtype})
from skreg._penalties import NetworkPenalty
segments = k.segment_arrays(NetworkPenalty([], 5))
k.adam_step(params, params.copy(), params.copy(), params.copy(),
            1e-3, 0.9, 0.999, 1e-8, 1e-3, *segments, False)
print(imported - start, time.perf_counter() - imported)
"""


def compile_times(dtype):
    """Seconds to import the kernels and make the workload's first calls."""
    code = FIRST_CALLS.format(dtype=np.dtype(dtype).name)
    environment = dict(os.environ)
    with tempfile.TemporaryDirectory() as cache:
        environment["NUMBA_CACHE_DIR"] = cache
        for label in ("empty cache", "warm cache"):
            result = subprocess.run(
                [sys.executable, "-c", code],
                env=environment,
                capture_output=True,
                text=True,
                check=True,
            )
            import_s, calls_s = map(float, result.stdout.split())
            print(
                f"{np.dtype(dtype).name} {label}: import numba and the "
                f"kernels {import_s:.1f} s, "
                f"first calls (relu, identity, relu', log_loss, adam) "
                f"{calls_s:.1f} s"
            )


# ---------------------------------------------------------------------------
# 1. Kernel by kernel


def activation_cases(dtype, rng):
    """(label, calls per batch, numpy call, numba call, prepare)."""
    for name in ("relu", "logistic", "tanh", "identity"):
        fan_outs = HIDDEN if name != "identity" else (N_CLASSES,)
        for fan_out in fan_outs:
            source = rng.standard_normal((BATCH_SIZE, fan_out)).astype(dtype)
            bias = (0.1 * rng.standard_normal(fan_out)).astype(dtype)
            Z = np.empty_like(source)

            def reference(Z=Z, bias=bias, name=name):
                Z += bias
                ACTIVATIONS[name](Z)

            kernel = _kernels.BIAS_ACTIVATIONS[name]
            yield (
                f"bias+{name} {BATCH_SIZE}x{fan_out}",
                # relu is the workload's activation; the others for reference.
                1 if name in ("relu", "identity") else 0,
                reference,
                lambda Z=Z, bias=bias, kernel=kernel: kernel(Z, bias),
                lambda Z=Z, source=source: np.copyto(Z, source),
            )


def derivative_cases(dtype, rng):
    for name in ("relu", "logistic", "tanh"):
        for fan_out in HIDDEN:
            A = rng.standard_normal((BATCH_SIZE, fan_out)).astype(dtype)
            ACTIVATIONS[name](A)
            source = rng.standard_normal(A.shape).astype(dtype)
            delta, scratch = np.empty_like(source), np.empty_like(A)

            def prepare(delta=delta, source=source, scratch=scratch, A=A):
                np.copyto(delta, source)
                np.copyto(scratch, A)

            kernel = _kernels.DELTA_DERIVATIVES[name]
            yield (
                f"delta*{name}' {BATCH_SIZE}x{fan_out}",
                1 if name == "relu" else 0,
                lambda d=delta, s=scratch, name=name: DERIVATIVES[name](s, d),
                lambda d=delta, A=A, kernel=kernel: kernel(A, d),
                prepare,
            )


def loss_cases(dtype, rng):
    logits = (3 * rng.standard_normal((BATCH_SIZE, N_CLASSES))).astype(dtype)
    Y = np.eye(N_CLASSES, dtype=dtype)[rng.integers(N_CLASSES, size=BATCH_SIZE)]
    weights = np.full(BATCH_SIZE, 1 / BATCH_SIZE, dtype)
    Z = np.empty_like(logits)
    yield (
        f"log_loss {BATCH_SIZE}x{N_CLASSES}",
        1,
        lambda: LOSSES["log_loss"](Z, Y, weights),
        lambda: _kernels.LOSS_GRADIENTS["log_loss"](Z, Y, weights),
        lambda: np.copyto(Z, logits),
    )


def adam_calls(params, gradient, proximal, penalized=True):
    """The NumPy step of skreg's training loop and the kernel, each with its
    own optimizer state, on the same parameters."""
    penalty, segments = penalty_and_segments()
    if not penalized:
        penalty = NetworkPenalty([], penalty.size)
        segments = _kernels.segment_arrays(penalty)
    size, dtype = params.size, params.dtype
    optimizer = AdamOptimizer(size, dtype, 1e-3, **ADAM)
    moments = (np.zeros(size, dtype), np.zeros(size, dtype))
    scratch, steps = np.empty(size, dtype), np.empty(size, dtype)

    def reference():
        penalty.add_gradient(params, gradient, scratch, include_nonsmooth=not proximal)
        if proximal:
            penalty.value(params, scratch)
        optimizer.update(params, gradient)
        if proximal:
            penalty.prox(params, optimizer.step_size(out=steps), scratch)

    def kernel():
        _kernels.adam_step(
            params, gradient, *moments, optimizer.learning_rate,
            *ADAM.values(), optimizer.proximal_rate, *segments, proximal,
        )  # fmt: skip

    return reference, kernel


def step_cases(dtype, rng):
    size = penalty_and_segments()[0].size
    params = (0.05 * rng.standard_normal(size)).astype(dtype)
    gradient_source = (1e-3 * rng.standard_normal(size)).astype(dtype)
    gradient = np.empty_like(gradient_source)
    for label, proximal, penalized in (
        ("penalty+adam (subgradient)", False, True),
        ("penalty+adam (proximal)", True, True),
        ("adam, no penalty", False, False),
    ):
        reference, kernel = adam_calls(params, gradient, proximal, penalized)
        yield (
            f"{label} {size}",
            1 if label.endswith("(subgradient)") else 0,
            reference,
            kernel,
            lambda: np.copyto(gradient, gradient_source),
        )


def gather_case(dtype, rng):
    # Measured to see whether a gather kernel would pay; there is none.
    X = rng.standard_normal((N_SAMPLES, N_FEATURES)).astype(dtype)
    rows = rng.permutation(N_SAMPLES)[:BATCH_SIZE].astype(np.int32)
    out = np.empty((BATCH_SIZE, N_FEATURES), dtype)

    @numba.njit(error_model="numpy")
    def gather(X, rows, out):
        for i in range(rows.shape[0]):
            for j in range(X.shape[1]):
                out[i, j] = X[rows[i], j]

    gather(X, rows, out)
    yield (
        f"gather X {BATCH_SIZE}x{N_FEATURES} (no kernel)",
        0,
        lambda: np.take(X, rows, axis=0, out=out, mode="clip"),
        lambda: gather(X, rows, out),
        lambda: None,
    )


def kernel_table(dtype, repeats):
    rng = np.random.default_rng(0)
    print(
        f"\n{np.dtype(dtype).name}, 1 BLAS thread{'':<20}"
        f"{'numpy us':>10}{'numba us':>10}{'ratio':>8}{'ms/epoch':>10}"
    )
    saved = 0.0
    results = {}
    cases = (
        activation_cases,
        derivative_cases,
        loss_cases,
        step_cases,
        gather_case,
    )
    with threadpool_limits(1, user_api="blas"):
        for make_cases in cases:
            for label, per_batch, numpy_call, numba_call, prepare in make_cases(
                dtype, rng
            ):
                prepare()
                numba_call()  # compile, or load from the cache
                numpy_us, numba_us = alternate(numpy_call, numba_call, prepare, repeats)
                results[label.rsplit(" ", 1)[0]] = numpy_us, numba_us
                epoch_ms = per_batch * N_BATCHES * (numpy_us - numba_us) / 1e3
                saved += epoch_ms
                cell = f"{epoch_ms:>10.1f}" if per_batch else f"{'-':>10}"
                print(
                    f"{label:<45}{numpy_us:>10.1f}{numba_us:>10.1f}"
                    f"{numpy_us / numba_us:>8.2f}{cell}"
                )
    print(f"{'saved per epoch (workload: relu, subgradient)':<73}{saved:>10.1f}")
    penalized = results["penalty+adam (subgradient)"]
    unpenalized = results["adam, no penalty"]
    numpy_ms, numba_ms = (
        N_BATCHES * (with_penalty - without) / 1e3
        for with_penalty, without in zip(penalized, unpenalized, strict=True)
    )
    print(f"all four penalties, ms/epoch: numpy {numpy_ms:.1f}, numba {numba_ms:.1f}")
    return {"numpy": numpy_ms, "numba": numba_ms}


# ---------------------------------------------------------------------------
# 2. and 3. The training step


def parallel_adam_pieces(size, segments, n_pieces):
    """Split the buffer into about ``n_pieces`` chunks, each in one segment.

    Returns lo, hi (int64) and l1, l2 (float64) per chunk; zero strengths
    outside the segments.
    """
    starts, stops, l1, l2 = segments[:4]
    runs, position = [], 0
    for start, stop, strength_1, strength_2 in zip(starts, stops, l1, l2, strict=True):
        runs += [(position, start, 0.0, 0.0), (start, stop, strength_1, strength_2)]
        position = stop
    runs.append((position, size, 0.0, 0.0))
    chunk = -(-size // n_pieces)
    pieces = [
        (lo, min(lo + chunk, hi), strength_1, strength_2)
        for start, hi, strength_1, strength_2 in runs
        for lo in range(start, hi, chunk)
    ]
    lo, hi, l1, l2 = (np.array(column) for column in zip(*pieces, strict=True))
    return lo.astype(np.int64), hi.astype(np.int64), l1, l2


@numba.njit(parallel=True, error_model="numpy", nogil=True)
def parallel_adam_step(
    params, gradient, m, v, learning_rate, beta_1, beta_2, epsilon, lo, hi, l1, l2
):
    """adam_step (subgradient) with its chunks spread over numba's threads."""
    dtype = params.dtype.type
    lr, eps = dtype(learning_rate), dtype(epsilon)
    b1, c1 = dtype(beta_1), dtype(1.0 - beta_1)
    b2, c2 = dtype(beta_2), dtype(1.0 - beta_2)
    abs_sums = np.zeros(lo.shape[0], dtype)
    square_sums = np.zeros(lo.shape[0], dtype)
    for p in numba.prange(lo.shape[0]):
        a, b = lo[p], hi[p]
        abs_sums[p], square_sums[p] = _kernels._adam_slice(
            params[a:b], gradient[a:b], m[a:b], v[a:b], lr, b1, c1, b2, c2, eps, lr,
            dtype(l1[p]), dtype(2.0 * l2[p]), l1[p] != 0, l2[p] != 0, False,
            dtype(0), False,
        )  # fmt: skip
    penalty = 0.0
    for p in range(lo.shape[0]):
        penalty += l1[p] * float(abs_sums[p]) + l2[p] * float(square_sums[p])
    return penalty


class TrainingStep:
    """skreg's training step on one network, with a choice of passes.

    ``engine``: 'numpy' (skreg's reference passes), 'numba' (the kernels) or
    'numba-parallel' (the kernels, the adam step with parallel=True).
    """

    def __init__(self, dtype, engine):
        self.engine = engine
        self.network = Network(LAYER_SIZES, "relu", "log_loss", dtype)
        self.network.initialize(np.random.RandomState(0))
        self.penalty, self.segments = penalty_and_segments()
        self.pieces = parallel_adam_pieces(
            self.penalty.size, self.segments, 4 * numba.get_num_threads()
        )
        self.optimizer = AdamOptimizer(self.penalty.size, dtype, 1e-3, **ADAM)
        self.workspace = self.network.workspace(BATCH_SIZE)
        self.scratch = np.empty(self.penalty.size, dtype)

    def __call__(self, X, Y, weights):
        network = self.network
        activations, deltas, ones = self.workspace.rows(X.shape[0])
        numba_engine = self.engine != "numpy"
        # Forward.
        layer_input = X
        n_layers = len(network.coefs)
        for index, (coef, intercept) in enumerate(
            zip(network.coefs, network.intercepts, strict=True)
        ):
            out = activations[index]
            np.matmul(layer_input, coef, out=out)
            name = "relu" if index < n_layers - 1 else "identity"
            if numba_engine:
                _kernels.BIAS_ACTIVATIONS[name](out, intercept)
            else:
                out += intercept
                ACTIVATIONS[name](out)
            layer_input = out
        # Loss.
        losses = _kernels.LOSS_GRADIENTS if numba_engine else LOSSES
        losses["log_loss"](activations[-1], Y, weights)
        # Backward.
        delta = activations[-1]
        for index in range(n_layers - 1, -1, -1):
            previous_input = X if index == 0 else activations[index - 1]
            np.matmul(previous_input.T, delta, out=network.coef_grads[index])
            np.matmul(ones, delta, out=network.intercept_grads[index])
            if index > 0:
                previous = deltas[index - 1]
                np.matmul(delta, network.coefs[index].T, out=previous)
                if numba_engine:
                    _kernels.DELTA_DERIVATIVES["relu"](activations[index - 1], previous)
                else:
                    DERIVATIVES["relu"](activations[index - 1], previous)
                delta = previous
        # Penalty and adam.
        optimizer = self.optimizer
        if self.engine == "numpy":
            self.penalty.add_gradient(network.params, network.gradient, self.scratch)
            optimizer.update(network.params, network.gradient)
            return
        optimizer.advance()
        arguments = (
            network.params, network.gradient, optimizer.first_moment,
            optimizer.second_moment, optimizer.learning_rate, *ADAM.values(),
        )  # fmt: skip
        if self.engine == "numba":
            _kernels.adam_step(
                *arguments, optimizer.proximal_rate, *self.segments, False
            )
        else:
            parallel_adam_step(*arguments, *self.pieces)


def epoch_ms(step, batches):
    start = time.perf_counter()
    for X, Y, weights in batches:
        step(X, Y, weights)
    return 1e3 * (time.perf_counter() - start)


def training_batches(dtype):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((N_SAMPLES, N_FEATURES)).astype(dtype)
    Y = np.eye(N_CLASSES, dtype=dtype)[rng.integers(N_CLASSES, size=N_SAMPLES)]
    batches = []
    for start in range(0, N_SAMPLES, BATCH_SIZE):
        rows = slice(start, start + BATCH_SIZE)
        n_rows = X[rows].shape[0]
        batches.append((X[rows], Y[rows], np.full(n_rows, 1 / n_rows, dtype)))
    return X, batches


def training_times(dtype, engines, repeats):
    """Median milliseconds per epoch of each engine's training step."""
    _, batches = training_batches(dtype)
    steps = {engine: TrainingStep(dtype, engine) for engine in engines}
    for step in steps.values():
        step(*batches[0])  # compile, or load from the cache
    times = {engine: [] for engine in engines}
    for _ in range(repeats):
        for engine, step in steps.items():
            times[engine].append(epoch_ms(step, batches))
    return {engine: statistics.median(times[engine]) for engine in engines}


def training_table(dtype, repeats, penalty_ms):
    """ms per epoch of each engine's step; ``penalty_ms`` from kernel_table.

    The penalties' share of the epoch is their cost in the kernel table over
    the epoch: the difference of two whole epochs, with and without them,
    would be lost in the noise.
    """
    times = training_times(dtype, ("numpy", "numba"), repeats)
    X, _ = training_batches(dtype)
    floor = 1e3 * matmul_floor(X, LAYER_SIZES, BATCH_SIZE, dtype, repeats)
    print(f"\n{np.dtype(dtype).name}, training step, BLAS's threads")
    print(f"{'':<28}{'ms/epoch':>10}{'/floor':>8}{'penalties':>11}")
    for label, ms in times.items():
        share = f"{100 * penalty_ms[label] / ms:.1f}%"
        print(f"{label:<28}{ms:>10.1f}{ms / floor:>8.2f}{share:>11}")
    print(f"{'matmul floor':<28}{floor:>10.1f}{1:>8.2f}")


def parallel_table(dtypes, repeats):
    # Last: once numba's threads have run, they keep spinning for a while
    # and slow whatever runs next.
    # The serial kernel first, before numba's threads ever start.
    serial = {dtype: training_times(dtype, ("numba",), repeats) for dtype in dtypes}
    parallel = {
        dtype: training_times(dtype, ("numba-parallel",), repeats) for dtype in dtypes
    }
    print(
        "\nadam step with parallel=True, in the training step, BLAS's threads; "
        f"numba {numba.get_num_threads()} threads ({numba.threading_layer()})"
    )
    for dtype in dtypes:
        serial_ms = serial[dtype]["numba"]
        parallel_ms = parallel[dtype]["numba-parallel"]
        print(
            f"{np.dtype(dtype).name:<10}serial {serial_ms:.1f} ms/epoch, "
            f"parallel {parallel_ms:.1f} ms/epoch ({parallel_ms / serial_ms:.1f}x)"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    quick = parser.parse_args().quick
    describe_machine()
    print(f"numba {numba.__version__}; layers {LAYER_SIZES}, batch {BATCH_SIZE}")
    dtypes = (np.float64, np.float32)
    compile_times(np.float64)
    for dtype in dtypes:
        penalty_ms = kernel_table(dtype, repeats=50 if quick else 300)
        training_table(dtype, 2 if quick else 5, penalty_ms)
    parallel_table(dtypes, repeats=1 if quick else 2)


if __name__ == "__main__":
    main()
