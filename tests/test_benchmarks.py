"""The benchmark scripts still run against the current engine.

They reach into skreg's private objects (the profile times the training
step's stages one by one), so a change of the engine could break them
silently; these tests run them on a tiny workload.
"""

import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import make_classification

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import bench_fit  # noqa: E402
import profile_epoch  # noqa: E402


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_profile_times_every_stage_of_the_step(dtype):
    X, y = make_classification(
        n_samples=96, n_features=6, n_classes=3, n_informative=4, random_state=0
    )
    times = profile_epoch.profile(X.astype(dtype), y, (5,), 16, epochs=1)
    assert list(times) == list(profile_epoch.STAGES)
    assert all(np.isfinite(t) and t > 0 for t in times.values())


def test_matmul_floor_times_an_epoch_of_products():
    X = np.random.RandomState(0).standard_normal((64, 6))
    floor = bench_fit.matmul_floor(X, [6, 5, 3], 16, np.float64, repeats=2)
    assert np.isfinite(floor) and floor > 0
