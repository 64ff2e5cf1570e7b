"""What numba's compilation costs: first fits in fresh processes, cold and warm cache.

Run from the repository root::

    python benchmarks/bench_jit.py

Each measurement is a new Python process (so nothing is compiled in memory),
timed from the start of ``fit`` to its end, on a small fit: digits, hidden
(64,), adam, 20 epochs, float64. numba's cache is pointed at a new, empty
folder (``NUMBA_CACHE_DIR``) for the run:

1. ``engine='numpy'``: the reference;
2. ``engine='numba'``, empty cache: the kernels compile, and are cached;
3. ``engine='numba'``, the same cache again: the kernels load;
4. a ``GridSearchCV`` of 4 candidates x 3 folds with ``n_jobs=2`` and
   ``engine='numba'`` (each worker process loads the cached kernels), next to
   the same search with ``engine='numpy'``.

Each row is the median of ``--repeats`` runs (the cold row empties the cache
before each).
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

FIT = """
import time, warnings
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from skreg import MLPRegularizedClassifier
X, y = load_digits(return_X_y=True)
X = X / 16.0
model = MLPRegularizedClassifier(
    hidden_layer_sizes=(64,), max_iter=20, random_state=0, engine={engine!r},
    l1_weight=1e-5, l2_weight=1e-5,
)
warnings.simplefilter("ignore", ConvergenceWarning)
start = time.perf_counter()
model.fit(X, y)
print(time.perf_counter() - start)
"""

SEARCH = """
import time, warnings
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV
from skreg import MLPRegularizedClassifier
X, y = load_digits(return_X_y=True)
X = X / 16.0
model = MLPRegularizedClassifier(
    hidden_layer_sizes=(64,), max_iter=20, random_state=0, engine={engine!r}
)
grid = {{"l1_weight": [0.0, 1e-5], "l2_weight": [0.0, 1e-5]}}
warnings.simplefilter("ignore")
start = time.perf_counter()
GridSearchCV(model, grid, cv=3, n_jobs=2).fit(X, y)
print(time.perf_counter() - start)
"""


def seconds(code, cache):
    environment = {**os.environ, "NUMBA_CACHE_DIR": cache, "PYTHONWARNINGS": "ignore"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env=environment,
    )
    return float(result.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    repeats = parser.parse_args().repeats
    cache = tempfile.mkdtemp(prefix="skreg-numba-cache-")
    try:
        rows = {}

        def emptied():
            shutil.rmtree(cache)
            os.mkdir(cache)
            return cache

        rows["fit, engine='numpy'"] = [
            seconds(FIT.format(engine="numpy"), cache) for _ in range(repeats)
        ]
        rows["fit, engine='numba', empty cache"] = [
            seconds(FIT.format(engine="numba"), emptied()) for _ in range(repeats)
        ]
        rows["fit, engine='numba', warm cache"] = [
            seconds(FIT.format(engine="numba"), cache) for _ in range(repeats)
        ]
        rows["GridSearchCV n_jobs=2, engine='numpy'"] = [
            seconds(SEARCH.format(engine="numpy"), cache) for _ in range(repeats)
        ]
        rows["GridSearchCV n_jobs=2, engine='numba', warm cache"] = [
            seconds(SEARCH.format(engine="numba"), cache) for _ in range(repeats)
        ]
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    print(f"{'first fit in a fresh process':<52}{'seconds (median)':>18}")
    for label, times in rows.items():
        print(f"{label:<52}{statistics.median(times):>18.2f}")


if __name__ == "__main__":
    main()
