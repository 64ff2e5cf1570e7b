"""ONNX export: pipelines ending in skreg's estimators run in ONNX Runtime.

Each pipeline (a StandardScaler, then the model) is fitted on float64 data,
converted for float32 inputs as a deployment would, run by ONNX Runtime on
the data rounded to float32, and compared with the pipeline's own ``predict``
/ ``predict_proba`` on the float64 data: labels equal, probabilities and
regression outputs within float32 rounding.
"""

import importlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnxruntime
import pytest
import skl2onnx
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skreg
import skreg.onnx  # noqa: F401  (registers the converters)
from conftest import make_problem
from skreg import MLPRegularizedClassifier, MLPRegularizedRegressor

ACTIVATIONS = ["identity", "logistic", "tanh", "relu"]
HIDDEN_LAYERS = {"hidden layer": (5,), "no hidden layer": ()}
LABELS = {
    "strings, binary": np.array(["no", "yes"]),
    "strings, multiclass": np.array(["a", "b", "c"]),
    "booleans": np.array([False, True]),
    "whole floats": np.array([0.0, 1.0, 2.0]),
}
# float32 rounding through a few small layers stays well below this.
PROBA_ATOL = 1e-5
RELATIVE_TOLERANCE = 1e-5

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def fitted_pipeline(estimator, X, y, **parameters):
    defaults = dict(max_iter=20, learning_rate_init=0.01, random_state=0)
    model = estimator(**{**defaults, **parameters})
    return make_pipeline(StandardScaler(), model).fit(X, y)


def run(pipeline, X, options=None, dtype=np.float32):
    """Convert the pipeline for inputs of dtype, run it on X and return its outputs.

    The outputs are a dict by output name. Also checks that each has the shape
    the graph declares (ONNX Runtime only warns about a mismatch).
    """
    X = X.astype(dtype)
    onx = skl2onnx.to_onnx(pipeline, X[:1], options=options)
    session = onnxruntime.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    names = [output.name for output in session.get_outputs()]
    values = session.run(None, {session.get_inputs()[0].name: X})
    for output, value in zip(session.get_outputs(), values, strict=True):
        if isinstance(value, np.ndarray):
            assert len(output.shape) == value.ndim, output
            for declared, actual in zip(output.shape, value.shape, strict=True):
                assert not isinstance(declared, int) or declared == actual, output
    return dict(zip(names, values, strict=True))


def no_zipmap(pipeline):
    """The option that makes a classifier output its probabilities as a matrix."""
    return {id(pipeline[-1]): {"zipmap": False}}


def poisson_problem(n_outputs):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 4))
    rates = np.exp(0.5 * X[:, :n_outputs] - 0.3 * X[:, [3]])
    y = rng.poisson(rates).astype(np.float64)
    return X, y[:, 0] if n_outputs == 1 else y


def assert_regression_outputs_match(outputs, expected):
    # Relative to the outputs' scale: an output near zero has float32
    # rounding errors of the size of the others'.
    assert_allclose(
        outputs.reshape(expected.shape),
        expected,
        rtol=RELATIVE_TOLERANCE,
        atol=RELATIVE_TOLERANCE * np.abs(expected).max(),
    )


@pytest.mark.parametrize(
    "hidden_layer_sizes", HIDDEN_LAYERS.values(), ids=list(HIDDEN_LAYERS)
)
@pytest.mark.parametrize("task", ["binary", "multiclass", "multilabel"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_classifier_labels_and_probabilities(activation, task, hidden_layer_sizes):
    X, y = make_problem(task)
    pipeline = fitted_pipeline(
        MLPRegularizedClassifier,
        X,
        y,
        activation=activation,
        hidden_layer_sizes=hidden_layer_sizes,
    )
    outputs = run(pipeline, X, no_zipmap(pipeline))
    assert_array_equal(outputs["label"], pipeline.predict(X))
    assert_allclose(
        outputs["probabilities"], pipeline.predict_proba(X), atol=PROBA_ATOL
    )


@pytest.mark.parametrize(
    "hidden_layer_sizes", HIDDEN_LAYERS.values(), ids=list(HIDDEN_LAYERS)
)
@pytest.mark.parametrize("task", ["regression", "multioutput"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_regressor_outputs(activation, task, hidden_layer_sizes):
    X, y = make_problem(task)
    pipeline = fitted_pipeline(
        MLPRegularizedRegressor,
        X,
        y,
        activation=activation,
        hidden_layer_sizes=hidden_layer_sizes,
    )
    (outputs,) = run(pipeline, X).values()
    # One column per output, also for a single output (predict's is 1-D).
    assert outputs.shape == (X.shape[0], pipeline[-1].n_outputs_)
    assert_regression_outputs_match(outputs, pipeline.predict(X))


@pytest.mark.parametrize(
    "hidden_layer_sizes", HIDDEN_LAYERS.values(), ids=list(HIDDEN_LAYERS)
)
@pytest.mark.parametrize("n_outputs", [1, 2])
def test_poisson_regressor_outputs_are_exp_of_the_logits(n_outputs, hidden_layer_sizes):
    X, y = poisson_problem(n_outputs)
    pipeline = fitted_pipeline(
        MLPRegularizedRegressor,
        X,
        y,
        loss="poisson",
        activation="tanh",
        hidden_layer_sizes=hidden_layer_sizes,
    )
    assert pipeline[-1].out_activation_ == "exp"
    (outputs,) = run(pipeline, X).values()
    assert_regression_outputs_match(outputs, pipeline.predict(X))


@pytest.mark.parametrize("labels", LABELS.values(), ids=list(LABELS))
def test_label_types(labels):
    # Strings stay strings; numbers and booleans come out as int64.
    X, y = make_problem("binary" if len(labels) == 2 else "multiclass")
    y = labels[y]
    pipeline = fitted_pipeline(MLPRegularizedClassifier, X, y)
    outputs = run(pipeline, X, no_zipmap(pipeline))
    assert outputs["label"].dtype == (object if labels.dtype.kind == "U" else np.int64)
    assert_array_equal(outputs["label"], pipeline.predict(X))
    assert_allclose(
        outputs["probabilities"], pipeline.predict_proba(X), atol=PROBA_ATOL
    )


@pytest.mark.parametrize("task", ["multiclass", "multilabel"])
def test_zipmap_outputs_one_dict_per_sample_by_default(task):
    X, y = make_problem(task)
    pipeline = fitted_pipeline(MLPRegularizedClassifier, X, y)
    outputs = run(pipeline, X)
    assert_array_equal(outputs["output_label"], pipeline.predict(X))
    probabilities = outputs["output_probability"]
    assert [list(row) for row in probabilities] == [list(pipeline.classes_)] * len(X)
    assert_allclose(
        [list(row.values()) for row in probabilities],
        pipeline.predict_proba(X),
        atol=PROBA_ATOL,
    )


def test_zipmap_columns_and_class_labels():
    X, y = make_problem("multiclass")
    y = np.array(["a", "b", "c"])[y]
    pipeline = fitted_pipeline(MLPRegularizedClassifier, X, y)
    proba = pipeline.predict_proba(X)
    columns = run(pipeline, X, {id(pipeline[-1]): {"zipmap": "columns"}})
    assert list(columns) == ["output_label", "sa", "sb", "sc"]
    for k, name in enumerate(["sa", "sb", "sc"]):
        assert_allclose(columns[name], proba[:, k], atol=PROBA_ATOL)
    options = {id(pipeline[-1]): {"zipmap": False, "output_class_labels": True}}
    assert_array_equal(run(pipeline, X, options)["class_labels"], ["a", "b", "c"])


def test_labels_beyond_int32_are_refused():
    # skl2onnx's MLP converter stores numeric labels as int32: they would wrap.
    X, y = make_problem("binary")
    pipeline = fitted_pipeline(MLPRegularizedClassifier, X, y + 2**31)
    with pytest.raises(ValueError, match="int32"):
        run(pipeline, X, no_zipmap(pipeline))


def test_nocl_is_refused():
    # skl2onnx's MLP converter would still output the classes, not indices.
    X, y = make_problem("multiclass")
    pipeline = fitted_pipeline(MLPRegularizedClassifier, X, y)
    with pytest.raises(ValueError, match="nocl"):
        run(pipeline, X, {id(pipeline[-1]): {"nocl": True}})


@pytest.mark.parametrize("task", ["multiclass", "multioutput"])
def test_double_inputs_are_computed_in_double(task):
    X, y = make_problem(task)
    estimator = (
        MLPRegularizedClassifier if task == "multiclass" else MLPRegularizedRegressor
    )
    pipeline = fitted_pipeline(estimator, X, y, activation="tanh")
    if task == "multiclass":
        outputs = run(pipeline, X, no_zipmap(pipeline), dtype=np.float64)
        outputs = outputs["probabilities"]
        expected = pipeline.predict_proba(X)
    else:
        (outputs,) = run(pipeline, X, dtype=np.float64).values()
        expected = pipeline.predict(X)
    assert outputs.dtype == np.float64
    assert_allclose(outputs, expected, rtol=1e-12)


def test_import_without_skl2onnx_names_the_extra(monkeypatch):
    # None in sys.modules makes `import skl2onnx` raise ImportError.
    monkeypatch.setitem(sys.modules, "skl2onnx", None)
    monkeypatch.delitem(sys.modules, "skreg.onnx")
    with pytest.raises(ImportError, match=r'pip install "skreg\[onnx\]"'):
        importlib.import_module("skreg.onnx")


def test_import_skreg_does_not_import_skl2onnx():
    # A fresh interpreter, importing the same skreg as this one.
    src = str(Path(skreg.__file__).parents[1])
    path = os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")]))
    code = (
        "import sys, skreg; "
        "assert 'skl2onnx' not in sys.modules and 'onnx' not in sys.modules; "
        "print(skreg.__file__)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": path},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()).parent == Path(skreg.__file__).parent
