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
import bench_sample_weight_margins  # noqa: E402
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


def test_layout_table_has_a_row_per_layout(monkeypatch, capsys):
    monkeypatch.setattr(
        bench_fit, "WORKLOADS", [("tiny", bench_fit.digits, (4,), 64, 1, 1)]
    )
    bench_fit.layouts(quick=True)
    rows = capsys.readouterr().out.splitlines()[-len(bench_fit.LAYOUTS) :]
    assert [row[:24].strip() for row in rows] == list(bench_fit.LAYOUTS)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_group_table_times_each_solver_penalty_and_engine(capsys):
    times = bench_fit.group_penalty(quick=True, workload=(200, 10, (4,), 1))
    assert set(times) == {
        (solver, penalty, engine)
        for solver in bench_fit.GROUP_SOLVERS
        for penalty in bench_fit.GROUP_PENALTIES
        for engine in bench_fit.engines()
    }
    assert all(len(runs) == 3 and min(runs) > 0 for runs in times.values())
    rows = capsys.readouterr().out.splitlines()
    n_rows = len(bench_fit.GROUP_SOLVERS) * len(bench_fit.GROUP_PENALTIES)
    # The table, then a ratio per solver and group lambda.
    n_ratios = len(bench_fit.GROUP_SOLVERS) * (len(bench_fit.GROUP_PENALTIES) - 1)
    table = rows[-n_rows - n_ratios : -n_ratios]
    assert [row.split()[:2] for row in table] == [
        [solver, penalty]
        for solver in bench_fit.GROUP_SOLVERS
        for penalty in bench_fit.GROUP_PENALTIES
    ]


def test_kernel_benchmark_steps_agree_with_numpy():
    pytest.importorskip("numba")
    import bench_kernels

    steps = {
        engine: bench_kernels.TrainingStep(np.float64, engine)
        for engine in ("numpy", "numba")
    }
    rng = np.random.default_rng(0)
    for _ in range(3):
        X = rng.standard_normal((bench_kernels.BATCH_SIZE, bench_kernels.N_FEATURES))
        Y = np.eye(bench_kernels.N_CLASSES)[
            rng.integers(bench_kernels.N_CLASSES, size=X.shape[0])
        ]
        weights = np.full(X.shape[0], 1 / X.shape[0])
        for step in steps.values():
            step(X, Y, weights)
    numpy_params, numba_params = (step.network.params for step in steps.values())
    np.testing.assert_allclose(numba_params, numpy_params, rtol=1e-9, atol=1e-12)


def test_kernel_benchmark_chunks_tile_the_buffer():
    pytest.importorskip("numba")
    import bench_kernels

    penalty, segments = bench_kernels.penalty_and_segments()
    lo, hi, l1, l2 = bench_kernels.parallel_adam_pieces(penalty.size, segments, 8)
    assert lo[0] == 0 and hi[-1] == penalty.size
    np.testing.assert_array_equal(lo[1:], hi[:-1])
    strengths = np.zeros((penalty.size, 2))
    for entry in penalty.entries:
        column = 0 if entry.term.__name__ == "L1" else 1
        strengths[entry.start : entry.stop, column] = entry.strength
    for start, stop, strength_1, strength_2 in zip(lo, hi, l1, l2, strict=True):
        assert (strengths[start:stop] == (strength_1, strength_2)).all()


def test_jit_benchmark_times_every_engine_on_the_tiny_fit(capsys):
    pytest.importorskip("numba")
    import bench_jit

    workload = next(iter(bench_jit.WORKLOADS))
    bench_jit.main(["--repeats", "1", "--no-compilation", "--workloads", workload])
    header, row = capsys.readouterr().out.splitlines()
    assert header.split()[-4:] == [*bench_jit.ENGINES, "auto/min"]
    figures = [float(cell) for cell in row.removeprefix(workload).split()]
    assert len(figures) == 4 and all(figure > 0 for figure in figures)


#: The margin the polished convex configurations keep below the tolerance of
#: scikit-learn's sample-weight checks (measured: 10^4 and more).
SAMPLE_WEIGHT_MARGIN = 10


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
@pytest.mark.parametrize(
    "configuration, estimator",
    list(bench_sample_weight_margins.estimators(bench_sample_weight_margins.POLISHED)),
    ids=lambda value: value if isinstance(value, str) else type(value).__name__,
)
def test_polished_models_pass_the_sample_weight_checks_with_a_margin(
    configuration, estimator, sparse
):
    """Weighted and repeated rows give the same model far below the checks'
    1e-7, at the default tol, so that no BLAS rounding can take it away."""
    difference, _ = bench_sample_weight_margins.measure(estimator, sparse)
    tolerance = bench_sample_weight_margins.CHECK_RTOL / SAMPLE_WEIGHT_MARGIN
    assert difference <= tolerance
