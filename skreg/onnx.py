"""ONNX export: importing this module registers skreg's estimators with skl2onnx.

After ``import skreg.onnx``, :func:`skl2onnx.to_onnx` converts a fitted
:class:`~skreg.MLPRegularizedClassifier` or
:class:`~skreg.MLPRegularizedRegressor`, alone or at the end of a
scikit-learn pipeline, into an ONNX graph that ONNX Runtime runs. It needs
the ``onnx`` extra: ``pip install "skreg[onnx]"``.

The network is scikit-learn's MLP, layer for layer (``X @ W + b``, then the
activation), so the classifier reuses skl2onnx's own MLPClassifier
converter, options included (``zipmap``, ``output_class_labels``). The
regressor has its own converter: skl2onnx's MLPRegressor converter flattens
the outputs to one column, which mixes up the outputs of a multioutput
model, and knows no ``exp`` output function (the Poisson loss's).

Examples
--------
>>> import numpy as np
>>> import onnxruntime
>>> import skl2onnx
>>> import skreg.onnx  # noqa: F401  (registers the converters)
>>> from skreg import MLPRegularizedRegressor
>>> rng = np.random.RandomState(0)
>>> X = rng.normal(size=(50, 3)).astype(np.float32)
>>> y = X @ np.array([1.0, -2.0, 0.5])
>>> model = MLPRegularizedRegressor(hidden_layer_sizes=(), solver="lbfgs",
...                                 random_state=0).fit(X, y)
>>> onx = skl2onnx.to_onnx(model, X[:1])
>>> session = onnxruntime.InferenceSession(
...     onx.SerializeToString(), providers=["CPUExecutionProvider"])
>>> (prediction,) = session.run(None, {"X": X})
>>> prediction.shape
(50, 1)
>>> bool(np.allclose(prediction.ravel(), model.predict(X), rtol=1e-5, atol=1e-5))
True
"""

try:
    from skl2onnx import update_registered_converter
    from skl2onnx.common.data_types import DoubleTensorType, Int64TensorType
    from skl2onnx.common.shape_calculator import (
        calculate_linear_classifier_output_shapes,
        calculate_linear_regressor_output_shapes,
    )
    from skl2onnx.operator_converters.multilayer_perceptron import (
        convert_sklearn_mlp_classifier,
    )
    from skl2onnx.proto import onnx_proto
except ImportError as error:
    raise ImportError(
        f"skreg.onnx needs skl2onnx, which could not be imported ({error}). "
        'Install the onnx extra: pip install "skreg[onnx]"'
    ) from error

import numpy as np

from ._classifier import MLPRegularizedClassifier
from ._regressor import MLPRegularizedRegressor

_INT32 = np.iinfo(np.int32)

# skreg's activation and output function names -> ONNX operator types.
_ONNX_OPERATORS = {
    "identity": "Identity",
    "logistic": "Sigmoid",
    "tanh": "Tanh",
    "relu": "Relu",
    "softmax": "Softmax",
    "exp": "Exp",
}


def _classifier_output_shapes(operator):
    """skl2onnx's classifier shapes, with the labels of a multilabel model 2-D.

    skl2onnx recognizes a multilabel model by a ``multilabel_`` attribute,
    which neither skreg nor scikit-learn's MLP has: it would declare one label
    per sample where the converter outputs an indicator matrix, shape
    (n_samples, n_labels), as ``predict`` does.

    Raises
    ------
    ValueError
        If numeric class labels do not fit in int32, the type in which
        skl2onnx's MLP converter stores them: they would silently wrap around.
    """
    model = operator.raw_operator
    classes = model.classes_
    if classes.dtype.kind in "iuf" and (
        classes.min() < _INT32.min or classes.max() > _INT32.max
    ):
        raise ValueError(
            f"{type(model).__name__}'s class labels must lie within the int32 "
            f"range [{_INT32.min}, {_INT32.max}] for ONNX conversion (got "
            f"[{classes.min()}, {classes.max()}]): skl2onnx's MLP converter "
            "stores them as int32. Fit on smaller integers or on strings."
        )
    calculate_linear_classifier_output_shapes(operator)
    if model._label_binarizer.y_type_ == "multilabel-indicator":
        n_samples = operator.inputs[0].get_first_dimension()
        operator.outputs[0].set_type(Int64TensorType([n_samples, len(model.classes_)]))


def _regressor_output_shapes(operator):
    """skl2onnx's regressor shapes, with one column per output.

    skl2onnx reads the number of outputs from a linear model's ``coef_``,
    which an MLP does not have; it takes ``n_outputs_`` here.
    """
    calculate_linear_regressor_output_shapes(operator)
    n_samples = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type.shape = [n_samples, operator.raw_operator.n_outputs_]


def _convert_regressor(scope, operator, container):
    """Add the regressor's forward pass to the ONNX graph.

    Each layer is ``MatMul`` by its weights, ``Add`` of its biases, then the
    hidden activation, or on the last layer the output function (identity,
    or ``Exp`` for the Poisson loss). The outputs keep their shape
    (n_samples, n_outputs).
    """
    model = operator.raw_operator
    # Double inputs are computed in double, everything else in float, as
    # skl2onnx's converters do.
    if isinstance(operator.inputs[0].type, DoubleTensorType):
        proto_dtype = onnx_proto.TensorProto.DOUBLE
    else:
        proto_dtype = onnx_proto.TensorProto.FLOAT

    activations = scope.get_unique_variable_name("cast_input")
    container.add_node(
        "Cast",
        operator.inputs[0].full_name,
        activations,
        to=proto_dtype,
        name=scope.get_unique_operator_name("Cast"),
    )
    last = len(model.coefs_) - 1
    for layer, (coef, intercept) in enumerate(
        zip(model.coefs_, model.intercepts_, strict=True)
    ):
        coef_name = scope.get_unique_variable_name("coefficient")
        intercept_name = scope.get_unique_variable_name("intercept")
        container.add_initializer(coef_name, proto_dtype, coef.shape, coef.ravel())
        container.add_initializer(
            intercept_name, proto_dtype, [1, intercept.size], intercept
        )
        product = scope.get_unique_variable_name("matmul")
        container.add_node(
            "MatMul",
            [activations, coef_name],
            product,
            name=scope.get_unique_operator_name("MatMul"),
        )
        logits = scope.get_unique_variable_name("add")
        container.add_node(
            "Add",
            [product, intercept_name],
            logits,
            name=scope.get_unique_operator_name("Add"),
        )
        if layer == last:
            function = model.out_activation_
            activations = operator.outputs[0].full_name
        else:
            function = model.activation
            activations = scope.get_unique_variable_name("activation")
        op_type = _ONNX_OPERATORS[function]
        container.add_node(
            op_type,
            logits,
            activations,
            name=scope.get_unique_operator_name(op_type),
        )


def _register():
    """Register both estimators with skl2onnx (done once, on import)."""
    update_registered_converter(
        MLPRegularizedClassifier,
        "SkregMLPRegularizedClassifier",
        _classifier_output_shapes,
        convert_sklearn_mlp_classifier,
        # The options skl2onnx's MLPClassifier converter implements. Its
        # 'nocl' (labels as class indices) is declared there, and read by the
        # shape calculator, but the converter still outputs the classes: only
        # its default is allowed.
        options={
            "zipmap": [True, False, "columns"],
            "output_class_labels": [False, True],
            "nocl": [False],
        },
    )
    update_registered_converter(
        MLPRegularizedRegressor,
        "SkregMLPRegularizedRegressor",
        _regressor_output_shapes,
        _convert_regressor,
    )


_register()
