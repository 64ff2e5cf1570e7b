"""Reliability: whatever the input, a model or a clear error, and nothing lost.

Every input either fits and predicts finite outputs of the right shape and
dtype, or raises a ValueError/TypeError that says what is wrong; never a
crash, a silent NaN or a storm of warnings. A failed fit, partial_fit or
warm start leaves the previous model and its optimizer state bit for bit;
inputs are never modified, and the fitted estimator keeps no reference to
them.

The rows of the table in ``docs/user_guide/reliability.rst`` name the tests
here.
"""

import re
import warnings

import numpy as np
import pandas as pd
import pytest
import reference_mlp as ref
import scipy.sparse as sp
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_array_equal
from sklearn.exceptions import ConvergenceWarning

from skreg import MLPRegularizedClassifier, MLPRegularizedRegressor
from skreg._base import PENALTY_PARAMETERS, SOLVERS, STOCHASTIC_SOLVERS
from skreg._penalties import ESTIMATOR_PENALTIES
from skreg.exceptions import PenaltyCollapseWarning

#: Small, reproducible budgets: no example database, examples derived from
#: the test's name.
PROPERTY = settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
TINY = {"hidden_layer_sizes": (3,), "max_iter": 8, "random_state": 0}
PENALTIES = list(PENALTY_PARAMETERS)

#: What a clear error says, for every input the property tests generate.
CLEAR_ERROR = re.compile(
    "|".join(
        [
            r"Training diverged.*learning_rate_init",  # overflow while training
            r"outputs overflowed",  # predicting on inputs too large
            r"y contains NaN, infinity or a value too large",  # y beyond X's dtype
            r"at least 2 classes",  # one class
            r"could not convert string to float",  # object array with text
            r"too large for float64",  # Python int beyond float64
            r"sample_weight is zero",  # nothing to fit (after class_weight)
            r"Sample weights must contain at least one non-zero",
            r"early_stopping left no training sample",
            r"early_stopping cannot hold out",  # too few samples to split
            r"early_stopping holds out a single",
            r"early_stopping held out only samples of zero weight",
            r"not among the classes",  # unseen labels in partial_fit
            # a term lbfgs cannot reformulate, with l1_method='proximal'
            r"needs a smooth reformulation for L-BFGS-B.*has none",
        ]
    )
)


def fit_quietly(fit):
    """Run ``fit()``; return the warnings it raised, checked for storms."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit()
    return check_warnings(caught)


def check_warnings(caught):
    kinds = [warning.category for warning in caught]
    # At most one ConvergenceWarning, and one PenaltyCollapseWarning when the
    # penalty removed every weight of a layer (lambdas of 1e6 do), and
    # nothing else: no RuntimeWarning per overflowing step, no conversion or
    # feature-name warning.
    allowed = [ConvergenceWarning, PenaltyCollapseWarning]
    assert all(kind in allowed for kind in kinds) and len(set(kinds)) == len(kinds), [
        str(w.message) for w in caught
    ]
    return kinds


def check_predictions(model, X):
    """Predictions have the right shape and dtype, and are finite."""
    n_samples = len(X)
    predicted = model.predict(X)
    assert predicted.shape == (n_samples,)
    if isinstance(model, MLPRegularizedRegressor):
        assert predicted.dtype == model.coefs_[0].dtype
        assert np.all(np.isfinite(predicted))
        return
    assert predicted.dtype == model.classes_.dtype
    assert set(predicted.tolist()) <= set(model.classes_.tolist())
    proba = model.predict_proba(X)
    assert proba.shape == (n_samples, len(model.classes_))
    assert np.all(np.isfinite(proba))
    assert np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    log_proba = model.predict_log_proba(X)
    assert log_proba.shape == proba.shape
    assert np.all(np.isfinite(log_proba))


# ---------------------------------------------------------------------------
# Property-based: any input gives a model or a clear error
# ---------------------------------------------------------------------------

#: Magnitudes of the generated numbers; only 'unit', 'small' and 'denormal'
#: make a problem that every configuration must fit.
MODERATE = ("unit", "small", "denormal")


def float_elements(dtype, magnitude):
    info = np.finfo(dtype)
    width = info.bits
    if magnitude == "unit":
        return st.floats(-10, 10, width=width)
    if magnitude == "small":
        return st.floats(-(2.0**-10), 2.0**-10, width=width)
    if magnitude == "denormal":
        # Subnormal numbers (and zero) of the dtype.
        return st.floats(-info.smallest_normal, info.smallest_normal, width=width)
    if magnitude == "huge":
        return st.sampled_from([-1e30, 1e30, 3e29, -7e29]).map(np.dtype(dtype).type)
    # Anything finite, up to the largest number of the dtype.
    return st.floats(allow_nan=False, allow_infinity=False, width=width)


@st.composite
def inputs(draw):
    """``(X, moderate)``: an input matrix of any kind, and whether every
    configuration must be able to fit it."""
    n_samples = draw(st.integers(1, 25))
    n_features = draw(st.integers(1, 4))
    shape = (n_samples, n_features)
    kind = draw(
        st.sampled_from(
            ["float16", "float32", "float64", "int8", "int64", "bool", "object"]
        )
    )
    if kind.startswith("float"):
        magnitudes = ["unit", "small", "denormal", "any"]
        if kind != "float16":
            magnitudes.append("huge")
        magnitude = draw(st.sampled_from(magnitudes))
        X = draw(arrays(kind, shape, elements=float_elements(kind, magnitude)))
        moderate = magnitude in MODERATE
    elif kind.startswith("int"):
        # Unscaled integers (up to 127 for int8) can make sgd diverge.
        moderate = draw(st.booleans())
        elements = st.integers(-10, 10) if moderate else None  # any int
        X = draw(arrays(kind, shape, elements=elements))
    elif kind == "bool":
        X, moderate = draw(arrays(np.bool_, shape)), True
    else:
        numbers = st.one_of(st.integers(-10, 10), st.floats(-10, 10))
        odd = draw(st.sampled_from([None, None, "text", "huge int"]))
        size = n_samples * n_features
        values = draw(st.lists(numbers, min_size=size, max_size=size))
        X = np.array(values, dtype=object).reshape(shape)
        if odd is not None:
            row = draw(st.integers(0, n_samples - 1))
            X[row, 0] = "a" if odd == "text" else 10**400
        moderate = odd is None
    if draw(st.booleans()):
        X = pd.DataFrame(X, columns=[f"feature {i}" for i in range(n_features)])
    return X, moderate


@st.composite
def configurations(draw):
    """Keyword arguments of an estimator: solver, lambdas from 0 to 1e6."""
    lambdas = st.one_of(
        st.sampled_from([0.0, 1e-4, 1.0, 1e6]), st.floats(0, 1e6, allow_nan=False)
    )
    parameters = {name: draw(lambdas) for name in PENALTIES}
    parameters["solver"] = draw(st.sampled_from(SOLVERS))
    parameters["l1_method"] = draw(st.sampled_from(["subgradient", "proximal"]))
    parameters["early_stopping"] = draw(st.booleans())
    return parameters


def stable(parameters):
    """Whether training has no excuse to fail on a moderate problem.

    Plain gradient descent genuinely diverges when a penalty's curvature times
    the learning rate exceeds two (Adam's and L-BFGS's steps do not), early
    stopping needs enough samples to split, and lbfgs refuses, with
    l1_method='proximal', a term it has no reformulation for.
    """
    largest_lambda = max(parameters[name] for name in PENALTIES)
    refused = (
        parameters["solver"] == "lbfgs"
        and parameters["l1_method"] == "proximal"
        and any(
            parameters[name] > 0 and not (term.smooth or term.lbfgs_reformulations)
            for name, (term, *_) in ESTIMATOR_PENALTIES.items()
        )
    )
    return (
        (parameters["solver"] != "sgd" or largest_lambda <= 1.0)
        and not parameters["early_stopping"]
        and not refused
    )


def sample_weights(n_samples):
    """None, or positive weights, or non-negative ones (at times all zero)."""
    return st.one_of(
        st.none(),
        arrays(np.float64, n_samples, elements=st.floats(0.1, 10)),
        arrays(np.float64, n_samples, elements=st.floats(0, 10)),
    )


def fit_or_raise_clearly(model, X, y, sample_weight, must_fit):
    """Fit and check the predictions, or check that the error is a clear one
    (and excused); return whether the model fitted."""
    try:
        fit_quietly(lambda: model.fit(X, y, sample_weight=sample_weight))
        check_predictions(model, X)
    except (ValueError, TypeError) as error:
        clear = CLEAR_ERROR.search(str(error))
        assert clear, error
        event(f"{type(error).__name__}: {clear.group(0)[:40]}")
        assert not must_fit, error
        return False
    event("fitted")
    return True


def some_weight(sample_weight):
    return sample_weight is None or np.any(sample_weight > 0)


@PROPERTY
@given(data=st.data())
def test_classifier_fits_any_input_or_raises_clearly(data):
    X, moderate = data.draw(inputs(), label="X")
    label_kind = data.draw(st.sampled_from(["int", "str", "bool"]), label="labels")
    labels = {
        "int": np.array([3, -1, 7]),
        "str": np.array(["cat", "dog", "emu"]),
        "bool": np.array([False, True]),
    }[label_kind]
    n_classes = data.draw(st.sampled_from([len(labels), 2, 1]), label="classes")
    y = labels[np.arange(len(X)) % n_classes]
    sample_weight = data.draw(sample_weights(len(X)), label="sample_weight")
    parameters = data.draw(configurations(), label="parameters")
    model = MLPRegularizedClassifier(**TINY, **parameters)
    two_classes = np.unique(y).size >= 2
    must_fit = two_classes and some_weight(sample_weight) and stable(parameters)
    if fit_or_raise_clearly(model, X, y, sample_weight, must_fit and moderate):
        assert two_classes
        assert model.classes_.dtype == labels.dtype


@PROPERTY
@given(data=st.data())
def test_regressor_fits_any_input_or_raises_clearly(data):
    X, moderate = data.draw(inputs(), label="X")
    scale = data.draw(st.sampled_from([1.0, 1e-300, 1e30, 1e300]), label="y scale")
    y = data.draw(arrays(np.float64, len(X), elements=st.floats(-5, 5)), label="y")
    y *= scale
    sample_weight = data.draw(sample_weights(len(X)), label="sample_weight")
    parameters = data.draw(configurations(), label="parameters")
    model = MLPRegularizedRegressor(**TINY, **parameters)
    must_fit = moderate and scale <= 1 and some_weight(sample_weight)
    fit_or_raise_clearly(model, X, y, sample_weight, must_fit and stable(parameters))


def model_state(model):
    """Copies of everything a failed call must leave as it was."""
    optimizer = getattr(model, "_optimizer", None)
    return {
        "coefs_": [array.copy() for array in model.coefs_],
        "intercepts_": [array.copy() for array in model.intercepts_],
        "optimizer": None
        if optimizer is None
        else [array.copy() for array in optimizer.state_arrays()],
        "optimizer scalars": None
        if optimizer is None
        else (getattr(optimizer, "t", None), optimizer.learning_rate),
        "classes_": getattr(model, "classes_", None),
        "counters": (model.n_iter_, model.t_, list(model.loss_curve_)),
    }


def assert_same_state(model, saved):
    now = model_state(model)
    for name in ("coefs_", "intercepts_", "optimizer"):
        if saved[name] is None:
            assert now[name] is None
            continue
        assert len(now[name]) == len(saved[name])
        for after, before in zip(now[name], saved[name], strict=True):
            assert after.dtype == before.dtype
            assert_array_equal(after, before)
    assert now["optimizer scalars"] == saved["optimizer scalars"]
    assert_array_equal(now["classes_"], saved["classes_"])
    assert now["counters"] == saved["counters"]


@PROPERTY
@given(data=st.data())
def test_partial_fit_with_any_labels_updates_or_changes_nothing(data):
    """Later batches may hold any labels: those among the first call's classes
    train, any other raises a ValueError naming it and changes nothing."""
    rng = np.random.RandomState(0)
    classes = np.array(["cat", "dog", "emu"])
    X = rng.normal(size=(12, 3))
    solver = data.draw(st.sampled_from(STOCHASTIC_SOLVERS), label="solver")
    model = MLPRegularizedClassifier(**TINY, solver=solver)
    fit_quietly(lambda: model.partial_fit(X, classes[np.arange(12) % 3], classes))
    pool = np.array(["cat", "dog", "emu", "fox", "gnu"])
    n_batches = data.draw(st.integers(1, 3), label="batches")
    for _ in range(n_batches):
        size = data.draw(st.integers(1, 12), label="batch size")
        y = pool[data.draw(arrays(np.intp, size, elements=st.integers(0, 4)))]
        unseen = sorted(set(y.tolist()) - set(classes.tolist()))
        saved = model_state(model)
        if unseen:
            with pytest.raises(ValueError, match="not among the classes") as error:
                model.partial_fit(X[:size], y)
            assert all(label in str(error.value) for label in unseen)
            assert_same_state(model, saved)
        else:
            fit_quietly(lambda X=X[:size], y=y: model.partial_fit(X, y))
            assert model.n_iter_ == 1
            assert len(model.loss_curve_) == len(saved["counters"][2]) + 1
        check_predictions(model, X)


# ---------------------------------------------------------------------------
# The documented outcomes, one case per row of the table
# ---------------------------------------------------------------------------

_rng = np.random.RandomState(0)
X_UNIT = _rng.normal(size=(30, 3))
Y_BINARY = (X_UNIT[:, 0] + X_UNIT[:, 1] > 0).astype(int)
Y_REAL = X_UNIT @ np.array([1.0, -2.0, 0.5])
OBJECT_X = X_UNIT.astype(object)
TEXT_X = OBJECT_X.copy()
TEXT_X[4, 1] = "n/a"
HUGE_INT_X = OBJECT_X.copy()
HUGE_INT_X[4, 1] = 10**400
NAN_X = X_UNIT.copy()
NAN_X[3, 2] = np.nan
INF_X = X_UNIT.copy()
INF_X[3, 2] = np.inf
HUGE_FLOAT32_X = np.float32(1e30) * X_UNIT.astype(np.float32)
NONE_Y = Y_REAL.astype(object)
NONE_Y[2] = None
# Every lambda that every solver trains with either l1_method: lbfgs refuses
# a non-smooth term without a smooth reformulation (the group term) with
# l1_method='proximal' (tested in test_proximal.py).
ALL_LAMBDAS_1E6 = {
    name: 1e6
    for name, (term, *_) in ESTIMATOR_PENALTIES.items()
    if term.smooth or term.lbfgs_reformulations
}

C, R = MLPRegularizedClassifier, MLPRegularizedRegressor
SGD, LBFGS = {"solver": "sgd"}, {"solver": "lbfgs"}


def fits(Estimator, X, y, trains_in=np.float64, **parameters):
    """A row whose input fits; the model trains in ``trains_in``."""
    return Estimator, X, y, parameters, None, trains_in


def raises(Estimator, X, y, match, **parameters):
    """A row whose input raises a ValueError matching ``match``."""
    return Estimator, X, y, parameters, match, None


#: The table's rows: id -> (estimator, X, y, parameters, error, training dtype).
OUTCOMES = {
    "one-sample-regression": fits(R, X_UNIT[:1], Y_REAL[:1]),
    "one-sample-classification": raises(C, X_UNIT[:1], Y_BINARY[:1], "one class"),
    "one-class": raises(C, X_UNIT, np.full(30, "spam"), "at least 2 classes"),
    "float16-X": fits(C, X_UNIT.astype(np.float16), Y_BINARY),
    "float32-X": fits(R, X_UNIT.astype(np.float32), Y_REAL, trains_in=np.float32),
    "integer-X": fits(C, (10 * X_UNIT).astype(np.int64), Y_BINARY),
    "boolean-X": fits(C, X_UNIT > 0, Y_BINARY),
    "object-X-of-numbers": fits(R, OBJECT_X, Y_REAL),
    "object-X-with-text": raises(R, TEXT_X, Y_REAL, "could not convert string"),
    "object-X-with-int-beyond-float64": raises(R, HUGE_INT_X, Y_REAL, "float64"),
    "NaN-in-X": raises(R, NAN_X, Y_REAL, "NaN"),
    "inf-in-X": raises(R, INF_X, Y_REAL, "infinity"),
    "string-labels": fits(C, X_UNIT, np.array(["no", "yes"])[Y_BINARY]),
    "boolean-labels": fits(C, X_UNIT, Y_BINARY.astype(bool)),
    "integer-labels": fits(C, X_UNIT, 10 * Y_BINARY - 3),
    "denormal-X": fits(C, X_UNIT * 1e-310, Y_BINARY),
    "1e30-X-adam": fits(R, X_UNIT * 1e30, Y_REAL),
    "1e30-X-lbfgs": fits(R, X_UNIT * 1e30, Y_REAL, **LBFGS),
    "1e30-X-sgd": raises(R, X_UNIT * 1e30, Y_REAL, "diverged", **SGD),
    "1e30-X-float32": raises(R, HUGE_FLOAT32_X, Y_REAL, "diverged"),
    "1e300-X": raises(C, X_UNIT * 1e300, Y_BINARY, "diverged"),
    "1e200-y": raises(R, X_UNIT, Y_REAL * 1e200, "diverged"),
    "lambdas-0": fits(R, X_UNIT, Y_REAL, **dict.fromkeys(PENALTIES, 0.0)),
    "lambdas-1e6-adam": fits(R, X_UNIT, Y_REAL, **ALL_LAMBDAS_1E6),
    "lambdas-1e6-lbfgs": fits(C, X_UNIT, Y_BINARY, **ALL_LAMBDAS_1E6, **LBFGS),
    "lambdas-1e6-proximal-sgd": fits(
        R, X_UNIT, Y_REAL, **ALL_LAMBDAS_1E6, **SGD, l1_method="proximal"
    ),
    "lambdas-1e6-sgd": raises(R, X_UNIT, Y_REAL, "diverged", **ALL_LAMBDAS_1E6, **SGD),
    "early-stopping-one-validation-sample": raises(
        R, X_UNIT[:10], Y_REAL[:10], "holds out a single", early_stopping=True
    ),
    "early-stopping-too-few-of-a-class": raises(
        C, X_UNIT[:10], Y_BINARY[:10], "early_stopping cannot hold out",
        early_stopping=True,
    ),
    "sparse-y-regression": fits(R, X_UNIT, sp.csr_matrix(Y_REAL[:, None])),
    "None-in-y-regression": raises(R, X_UNIT, NONE_Y, "y contains NaN"),
    "batch_size-True": raises(
        C, X_UNIT, Y_BINARY, "batch_size must be a number", batch_size=True
    ),
    "max_iter-True": raises(
        R, X_UNIT, Y_REAL, "max_iter must be a number", max_iter=True
    ),
    "hidden_layer_sizes-0d-array": fits(
        C, X_UNIT, Y_BINARY, hidden_layer_sizes=np.array(5)
    ),
    "learning-rate-1e10": raises(
        R, X_UNIT, Y_REAL, r"diverged.*learning_rate_init=10+\.0.*learning rate is",
        **SGD, learning_rate_init=1e10,
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(OUTCOMES))
def test_documented_outcome(case):
    Estimator, X, y, parameters, error, trained_dtype = OUTCOMES[case]
    model = Estimator(**{**TINY, "max_iter": 20, **parameters})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if error is None:
            model.fit(X, y)
        else:
            with pytest.raises(ValueError, match=error):
                model.fit(X, y)
    check_warnings(caught)
    if error is None:
        assert model.coefs_[0].dtype == trained_dtype
        check_predictions(model, X)


@pytest.mark.parametrize(
    "solver, l1_method, largest",
    [("lbfgs", "subgradient", 1e-2), ("lbfgs", "proximal", 0), ("sgd", "proximal", 0)],
)
def test_lambdas_of_1e6_shrink_every_parameter_to_zero(solver, l1_method, largest):
    """lambdas of 1e6 are honoured, not a source of NaN: the minimum is about
    zero, and exactly zero with the proximal L1 step."""
    model = MLPRegularizedRegressor(
        **{**TINY, "max_iter": 20},
        solver=solver,
        l1_method=l1_method,
        **ALL_LAMBDAS_1E6,
    )
    fit_quietly(lambda: model.fit(X_UNIT, Y_REAL))
    parameters = np.concatenate(
        [array.ravel() for array in model.coefs_ + model.intercepts_]
    )
    assert np.all(np.isfinite(parameters))
    assert np.abs(parameters).max() <= largest
    check_predictions(model, X_UNIT)


@pytest.mark.parametrize(
    "Estimator, y",
    [(C, Y_BINARY), (C, np.arange(30) % 3), (R, Y_REAL)],
    ids=["binary", "multiclass", "regression"],
)
def test_predicting_on_inputs_that_overflow_raises(Estimator, y):
    """Finite inputs can still overflow the network's outputs; that is an
    error, not an inf or NaN prediction (or a label decoded from a NaN)."""
    model = Estimator(**TINY, solver="lbfgs")
    fit_quietly(lambda: model.fit(X_UNIT, y))
    X = np.vstack([X_UNIT[:5] * 1e300, overflowing_rows(model)])
    with np.errstate(all="ignore"):
        expected = ref.logits(X, model.coefs_, model.intercepts_, model.activation)
    overflowing = ~np.isfinite(expected).all(axis=1)
    assert 0 < overflowing.sum() <= 3

    methods = ["predict"]
    if Estimator is C:
        methods += ["predict_proba", "predict_log_proba"]
    for method in methods:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises(
                ValueError, match=f"overflowed .* for {overflowing.sum()} of 8 "
            ):
                getattr(model, method)(X)
    check_predictions(model, X[~overflowing])


def overflowing_rows(model):
    """Inputs of the largest finite magnitude, one row per first hidden unit,
    with the signs of its weights: the unit overflows when its weights sum
    above one in absolute value (as at least one does here)."""
    return np.finfo(np.float64).max * np.sign(model.coefs_[0].T)


def test_dataframe_feature_names_are_kept_and_checked():
    frame = pd.DataFrame(X_UNIT, columns=["height", "width", "depth"])
    model = MLPRegularizedClassifier(**TINY)
    fit_quietly(lambda: model.fit(frame, Y_BINARY))
    assert model.feature_names_in_.tolist() == ["height", "width", "depth"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_predictions(model, frame)
    with pytest.raises(ValueError, match="feature names should match"):
        model.predict(frame[["width", "height", "depth"]])


LAYOUTS = {
    "column-major": np.asfortranarray,
    "DataFrame": pd.DataFrame,
    "strided view": lambda X: np.repeat(X, 2, axis=1)[:, ::2],
    "float32 DataFrame": lambda X: pd.DataFrame(X.astype(np.float32)),
}


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("solver", STOCHASTIC_SOLVERS)
def test_any_memory_layout_trains_on_row_major_data(layout, solver, monkeypatch):
    # Mini-batches gather rows: from a column-major array (a DataFrame's)
    # that is about 100 times slower per epoch than from a row-major one, so
    # the estimator hands the training loop row-major data, the same model.
    from skreg import _base

    seen = []

    class RecordingBatches(_base.MiniBatches):
        def __init__(self, X, *args, **kwargs):
            seen.append(X.flags.c_contiguous)
            super().__init__(X, *args, **kwargs)

    monkeypatch.setattr(_base, "MiniBatches", RecordingBatches)
    X = LAYOUTS[layout](X_UNIT)
    dtype = np.asarray(X).dtype
    parameters = {**TINY, "solver": solver}
    model = MLPRegularizedClassifier(**parameters)
    reference = MLPRegularizedClassifier(**parameters)
    fit_quietly(lambda: model.fit(X, Y_BINARY))
    row_major = np.ascontiguousarray(X_UNIT, dtype=dtype)
    fit_quietly(lambda: reference.fit(row_major, Y_BINARY))
    assert seen == [True, True]
    for ours, theirs in zip(model.coefs_, reference.coefs_, strict=True):
        assert_array_equal(ours, theirs)


@pytest.mark.parametrize("solver", SOLVERS)
def test_sample_weights_whose_sum_overflows_fit_as_their_scaled_copy(solver):
    # The objective is a weighted mean: the largest floats as weights fit
    # the same model as the same weights scaled down (here: all ones).
    huge = np.full(len(Y_BINARY), np.finfo(np.float64).max)
    model = MLPRegularizedClassifier(**TINY, solver=solver)
    reference = MLPRegularizedClassifier(**TINY, solver=solver)
    fit_quietly(lambda: model.fit(X_UNIT, Y_BINARY, sample_weight=huge))
    fit_quietly(lambda: reference.fit(X_UNIT, Y_BINARY))
    assert model.n_iter_ == reference.n_iter_ > 0
    for ours, theirs in zip(model.coefs_, reference.coefs_, strict=True):
        assert_array_equal(ours, theirs)


def test_sample_weights_that_underflow_are_named():
    tiny = np.full(len(Y_BINARY), 1e-50)
    with pytest.raises(
        ValueError, match="sample_weight underflows to zero in X's dtype float32"
    ):
        MLPRegularizedClassifier(**TINY).fit(
            X_UNIT.astype(np.float32), Y_BINARY, sample_weight=tiny
        )


@pytest.mark.parametrize("weight", [-1.0, np.nan, np.inf, "heavy"])
def test_class_weight_must_be_finite_and_non_negative(weight):
    model = MLPRegularizedClassifier(**TINY)
    fit_quietly(lambda: model.fit(X_UNIT, Y_BINARY))
    before = [coef.copy() for coef in model.coefs_]
    labels = np.unique(Y_BINARY)
    model.set_params(class_weight={labels[0]: weight, labels[1]: 1.0})
    with pytest.raises(ValueError, match="class_weight must map classes to finite"):
        model.fit(X_UNIT, Y_BINARY)
    for coef, kept in zip(model.coefs_, before, strict=True):
        assert_array_equal(coef, kept)


@pytest.mark.parametrize("Estimator", [C, R])
def test_early_stopping_with_a_weightless_validation_part_is_named(Estimator):
    # Weight on 4 of 30 samples: over seeds, some splits hold out only
    # weightless samples, whose score is undefined.
    y = Y_BINARY if Estimator is C else Y_REAL
    sample_weight = np.zeros(len(y))
    sample_weight[[0, 1, 2, 3]] = 1.0
    named = 0
    for seed in range(20):
        model = Estimator(**{**TINY, "random_state": seed}, early_stopping=True)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(X_UNIT, y, sample_weight=sample_weight)
        except ValueError as error:
            assert re.search("held out only samples of zero weight", str(error))
            assert not hasattr(model, "coefs_")
            named += 1
        else:
            assert np.isfinite(model.best_validation_score_)
    assert named > 0


def test_partial_fit_refuses_classes_that_are_not_one_dimensional():
    model = MLPRegularizedClassifier(**TINY)
    with pytest.raises(ValueError, match="classes must be a one-dimensional"):
        model.partial_fit(X_UNIT, Y_BINARY, classes=[[0, 1]])
    assert not hasattr(model, "coefs_")


def test_partial_fit_needs_the_classes_on_the_first_call():
    model = MLPRegularizedClassifier(**TINY)
    with pytest.raises(ValueError, match="classes must be passed"):
        model.partial_fit(X_UNIT, Y_BINARY)
    assert not hasattr(model, "coefs_")


# ---------------------------------------------------------------------------
# Divergence keeps the previous model and its optimizer state, bit for bit
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("Estimator", [C, R])
@pytest.mark.parametrize(
    "solver, how",
    [
        ("sgd", "warm_start"),
        ("adam", "warm_start"),
        ("lbfgs", "warm_start"),
        ("sgd", "partial_fit"),
        ("adam", "partial_fit"),
    ],
)
def test_divergence_raises_and_keeps_model_and_optimizer_state(Estimator, solver, how):
    y = Y_BINARY if Estimator is C else Y_REAL
    model = Estimator(
        **TINY, solver=solver, warm_start=how == "warm_start", learning_rate_init=0.01
    )
    if how == "partial_fit":
        classes = {"classes": [0, 1]} if Estimator is C else {}
        for _ in range(3):
            model.partial_fit(X_UNIT, y, **classes)
    else:
        fit_quietly(lambda: model.fit(X_UNIT, y))
    saved = model_state(model)
    saved_optimizer = getattr(model, "_optimizer", None)
    if solver == "adam":
        assert saved["optimizer scalars"][0] > 0
        assert np.any(saved["optimizer"][1] != 0)  # a state worth keeping
    output = model.predict(X_UNIT)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ValueError, match="diverged") as error:
            if how == "warm_start" and solver != "lbfgs":
                # A learning rate large enough to overflow.
                model.set_params(learning_rate_init=1e300).fit(X_UNIT, y)
            else:
                # lbfgs has no learning rate, and partial_fit keeps its
                # optimizer's: a batch on a wildly different scale.
                X_bad = np.resize(overflowing_rows(model), X_UNIT.shape)
                getattr(model, how.replace("warm_start", "fit"))(X_bad, y)
    assert caught == []
    message = str(error.value)
    assert "learning_rate_init" in message and "StandardScaler" in message
    assert "previously fitted model" in message

    assert_same_state(model, saved)
    assert getattr(model, "_optimizer", None) is saved_optimizer
    assert_array_equal(model.predict(X_UNIT), output)


@pytest.mark.parametrize("seed", ["int", "RandomState"])
@pytest.mark.parametrize("solver", STOCHASTIC_SOLVERS)
def test_a_failed_partial_fit_leaves_the_random_stream_as_it_was(solver, seed):
    # Shuffling draws from the estimator's generator: a failed call must not
    # advance it, nor the user's RandomState, so the next good call gives
    # exactly what it would have given without the failure.
    def make():
        state = 0 if seed == "int" else np.random.RandomState(0)
        return C(**{**TINY, "random_state": state}, solver=solver, batch_size=10)

    failed, clean = make(), make()
    for model in (failed, clean):
        model.partial_fit(X_UNIT, Y_BINARY, classes=[0, 1])
    X_bad = np.resize(overflowing_rows(failed), X_UNIT.shape)
    with pytest.raises(ValueError, match="diverged"):
        failed.partial_fit(X_bad, Y_BINARY)
    for model in (failed, clean):
        for _ in range(2):
            model.partial_fit(X_UNIT, Y_BINARY)
    for ours, theirs in zip(failed.coefs_, clean.coefs_, strict=True):
        assert_array_equal(ours, theirs)


def digits_task():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


@pytest.mark.parametrize(
    "solver, learning_rate_init", [("sgd", 1e6), ("adam", 1e6), ("adam", 3.0)]
)
def test_divergence_is_refused_before_anything_overflows(solver, learning_rate_init):
    # Found by probing: sgd with a step of 1e6 returned loss_=1e261 and an
    # accuracy of 0.14; adam stopped as converged after its loss rose from
    # 0.75 to 1e5. The objective's rise is caught long before infinity.
    X, y = digits_task()
    model = MLPRegularizedClassifier(
        hidden_layer_sizes=(32,),
        solver=solver,
        learning_rate_init=learning_rate_init,
        max_iter=30,
        random_state=0,
    )
    with pytest.raises(ValueError, match=r"objective rose to .* times its starting"):
        fit_quietly(lambda: model.fit(X, y))
    assert not hasattr(model, "coefs_")


@pytest.mark.parametrize("solver", STOCHASTIC_SOLVERS)
def test_a_diverging_warm_start_keeps_the_good_model(solver):
    # Found by probing: a warm-started refit of a good model (accuracy
    # 0.987) with learning_rate_init=1e6 replaced it with one of accuracy
    # 0.30. (partial_fit keeps its optimizer's learning rate, as in
    # scikit-learn; a batch on another scale is tested above.)
    X, y = digits_task()
    model = MLPRegularizedClassifier(
        hidden_layer_sizes=(32,),
        solver=solver,
        max_iter=30,
        random_state=0,
        learning_rate_init=0.01 if solver == "sgd" else 0.001,
        warm_start=True,
    )
    fit_quietly(lambda: model.fit(X, y))
    saved = model_state(model)
    accuracy = model.score(X, y)
    assert accuracy > 0.9
    model.set_params(learning_rate_init=1e6)
    with pytest.raises(ValueError, match="diverged"):
        fit_quietly(lambda: model.fit(X, y))
    assert_same_state(model, saved)
    assert model.score(X, y) == accuracy


def test_overflowing_optimizer_state_is_divergence():
    """On a batch 1e200 times larger, Adam's second moment (the squared
    gradient) overflows while the weights, moved by at most about the
    learning rate, stay finite. Kept, the infinite moment would freeze those
    weights for good: it is a divergence like any other."""
    model = MLPRegularizedClassifier(**TINY, solver="adam", learning_rate_init=0.01)
    model.partial_fit(X_UNIT, Y_BINARY, classes=[0, 1])
    saved = model_state(model)
    with pytest.raises(ValueError, match="diverged"):
        model.partial_fit(X_UNIT * 1e200, Y_BINARY)
    assert_same_state(model, saved)


# ---------------------------------------------------------------------------
# Inputs are never modified, and never kept
# ---------------------------------------------------------------------------


def memmapped(array, path, mode):
    stored = np.lib.format.open_memmap(
        path, mode="w+", dtype=array.dtype, shape=array.shape
    )
    stored[...] = array
    stored.flush()
    del stored
    return np.load(path, mmap_mode=mode)


def training_inputs(Estimator, storage, tmp_path):
    """``(X, y, sample_weight)``, stored as asked, with copies of them."""
    rng = np.random.RandomState(1)
    y = Y_BINARY if Estimator is C else Y_REAL
    arrays_ = {
        "X": X_UNIT,
        "y": y,
        "sample_weight": rng.uniform(0.5, 2.0, size=len(y)),
    }
    inputs_ = {}
    for name, array in arrays_.items():
        array = array.copy()
        if storage == "read-only":
            array.setflags(write=False)
        elif storage.startswith("memmap"):
            array = memmapped(array, tmp_path / f"{name}.npy", storage.split("-")[1])
        inputs_[name] = array
    return inputs_, {name: np.array(array) for name, array in inputs_.items()}


@pytest.mark.parametrize("Estimator", [C, R])
@pytest.mark.parametrize("storage", ["writable", "read-only", "memmap-r", "memmap-r+"])
@pytest.mark.parametrize(
    "parameters",
    [
        {"solver": "sgd", "shuffle": False},
        {"solver": "adam", "early_stopping": True},
        {"solver": "lbfgs"},
    ],
    ids=["sgd-no-shuffle", "adam-early-stopping", "lbfgs"],
)
def test_inputs_are_never_modified_nor_kept(Estimator, storage, parameters, tmp_path):
    inputs_, originals = training_inputs(Estimator, storage, tmp_path)
    extra = {"class_weight": "balanced"} if Estimator is C else {}
    model = Estimator(**TINY, **parameters, **extra)
    fit_quietly(lambda: model.fit(**inputs_))
    if parameters["solver"] != "lbfgs":
        if Estimator is C:
            model.set_params(class_weight=None)
        fit_quietly(lambda: model.partial_fit(**inputs_))
    check_predictions(model, inputs_["X"])

    for name, array in inputs_.items():
        assert_array_equal(array, originals[name])
        assert array.flags.writeable == (storage in ("writable", "memmap-r+"))
    if storage.startswith("memmap"):
        for name, original in originals.items():
            assert_array_equal(np.load(tmp_path / f"{name}.npy"), original)

    found = list(arrays_in(model))
    optimizer_state = (
        model._optimizer.state_arrays() if parameters["solver"] != "lbfgs" else ()
    )
    # The walk reaches the fitted weights and the optimizer's state...
    assert any(array is model.coefs_[0] for array in found)
    assert all(any(found_ is array for found_ in found) for array in optimizer_state)
    # ...and none of them is, or views, the training data.
    for array in found:
        for name, given_ in inputs_.items():
            assert not np.shares_memory(array, given_), name


def arrays_in(obj, seen=None):
    """Every NumPy array reachable from ``obj`` through attributes, containers
    and object arrays (sparse matrices yield their data arrays)."""
    seen = set() if seen is None else seen
    if id(obj) in seen or isinstance(obj, type) or callable(obj):
        return
    seen.add(id(obj))
    if isinstance(obj, np.ndarray):
        yield obj
        if obj.dtype == object:
            for item in obj.flat:
                yield from arrays_in(item, seen)
    elif sp.issparse(obj):
        yield from (getattr(obj, name) for name in ("data", "indices", "indptr"))
    elif isinstance(obj, dict):
        for value in obj.values():
            yield from arrays_in(value, seen)
    elif isinstance(obj, (list, tuple, set, frozenset)):
        for value in obj:
            yield from arrays_in(value, seen)
    elif hasattr(obj, "__dict__"):
        yield from arrays_in(vars(obj), seen)
