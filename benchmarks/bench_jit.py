"""What numba's compilation and loading cost, and what engine='auto' makes of it.

Run from the repository root::

    python benchmarks/bench_jit.py

Each measurement is a new Python process (so nothing is compiled or loaded
in memory), timed from the start of ``fit`` to its end (numba's import and
the loading of its kernels happen inside ``fit``: importing skreg does not
import numba). numba's cache is pointed at a new, empty folder
(``NUMBA_CACHE_DIR``, which loky's worker processes inherit) for the run.

1. Compilation: the small fit below with ``engine='numba'`` and an empty
   cache (the kernels compile and are cached), then with the warm cache.
2. ``engine='auto'`` against both engines, warm cache, on:

   - tiny: 200 samples x 20 features, hidden (16,), 5 epochs;
   - small: digits (1,797 x 64), hidden (64,), 20 epochs;
   - large: 50,000 x 100, hidden (256, 128), 5 epochs;
   - a ``GridSearchCV`` of 4 candidates x 3 folds of the small fit, with
     ``n_jobs=1`` and with ``n_jobs=2`` (each loky worker is a process of its
     own, which loads numba if its fits use it).

   The three engines run in turn (numpy, numba, auto, numpy, ...), so that a
   change in the machine's load falls on all three; each cell is the median
   of ``--repeats`` runs, and the last column is auto's time over the faster
   engine's.

Every fit is adam with ``n_iter_no_change=inf``, so that it runs its epochs.
``--workloads`` picks some of the rows (the tests run the tiny one).
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

ENGINES = ("numpy", "numba", "auto")

DATA = {
    "tiny": """
from sklearn.datasets import make_classification
X, y = make_classification(n_samples=200, n_features=20, random_state=0)
""",
    "digits": """
from sklearn.datasets import load_digits
X, y = load_digits(return_X_y=True)
X = X / 16.0
""",
    "large": """
from sklearn.datasets import make_classification
X, y = make_classification(
    n_samples=50_000, n_features=100, n_informative=20, random_state=0
)
""",
}

#: ``(data, hidden_layer_sizes, max_iter, n_jobs)``; n_jobs None: a plain fit.
WORKLOADS = {
    "tiny (200 x 20, 5 epochs)": ("tiny", (16,), 5, None),
    "small (digits, 20 epochs)": ("digits", (64,), 20, None),
    "large (50,000 x 100, 5 epochs)": ("large", (256, 128), 5, None),
    "GridSearchCV 4x3 small, n_jobs=1": ("digits", (64,), 20, 1),
    "GridSearchCV 4x3 small, n_jobs=2": ("digits", (64,), 20, 2),
}

FIT = """
import time, warnings
import numpy as np
from sklearn.model_selection import GridSearchCV
from skreg import MLPRegularizedClassifier
{data}
model = MLPRegularizedClassifier(
    hidden_layer_sizes={hidden!r}, max_iter={max_iter}, n_iter_no_change=np.inf,
    random_state=0, engine={engine!r}, l1_weight=1e-5, l2_weight=1e-5,
)
if {n_jobs!r} is not None:
    grid = {{"l1_weight": [0.0, 1e-5], "l2_weight": [0.0, 1e-5]}}
    model = GridSearchCV(model, grid, cv=3, n_jobs={n_jobs!r})
warnings.simplefilter("ignore")
start = time.perf_counter()
model.fit(X, y)
print(time.perf_counter() - start)
"""


def code(workload, engine):
    """The Python program that times ``workload`` with ``engine``."""
    data, hidden, max_iter, n_jobs = WORKLOADS[workload]
    return FIT.format(
        data=DATA[data], hidden=hidden, max_iter=max_iter, n_jobs=n_jobs, engine=engine
    )


def seconds(program, cache):
    """Run ``program`` in a new process with numba's cache in ``cache``; its time."""
    environment = {**os.environ, "NUMBA_CACHE_DIR": cache, "PYTHONWARNINGS": "ignore"}
    result = subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        check=True,
        env=environment,
    )
    return float(result.stdout.strip().splitlines()[-1])


def compilation(cache, repeats):
    """Median seconds of the small fit with numba: empty cache, then warm."""
    program = code("small (digits, 20 epochs)", "numba")
    cold = []
    for _ in range(repeats):
        shutil.rmtree(cache)
        os.mkdir(cache)
        cold.append(seconds(program, cache))
    warm = [seconds(program, cache) for _ in range(repeats)]
    return statistics.median(cold), statistics.median(warm)


def engines_side_by_side(workload, cache, repeats):
    """Median seconds of ``workload`` per engine, the engines in turn."""
    times = {engine: [] for engine in ENGINES}
    for _ in range(repeats):
        for engine in ENGINES:
            times[engine].append(seconds(code(workload, engine), cache))
    return {engine: statistics.median(runs) for engine, runs in times.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--workloads", nargs="+", choices=list(WORKLOADS), default=list(WORKLOADS)
    )
    parser.add_argument(
        "--no-compilation",
        action="store_true",
        help="skip the empty-cache rows (the cache is still warmed first)",
    )
    arguments = parser.parse_args(argv)
    cache = tempfile.mkdtemp(prefix="skreg-numba-cache-")
    try:
        if arguments.no_compilation:
            # Warm the cache: compile every kernel the workloads use.
            for workload in arguments.workloads:
                seconds(code(workload, "numba"), cache)
        else:
            cold, warm = compilation(cache, arguments.repeats)
            print(f"{'first fit in a new process, small, numba':<44}{'seconds':>10}")
            print(f"{'empty cache (compiling)':<44}{cold:>10.2f}")
            print(f"{'warm cache (loading)':<44}{warm:>10.2f}")
            print()
            for workload in arguments.workloads:
                seconds(code(workload, "numba"), cache)
        header = "".join(f"{engine:>9}" for engine in ENGINES)
        print(f"{'warm cache, median seconds':<36}{header}{'auto/min':>10}")
        for workload in arguments.workloads:
            median = engines_side_by_side(workload, cache, arguments.repeats)
            ratio = median["auto"] / min(median["numpy"], median["numba"])
            cells = "".join(f"{median[engine]:>9.3f}" for engine in ENGINES)
            print(f"{workload:<36}{cells}{ratio:>10.2f}", flush=True)
    finally:
        shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    main()
