"""The main job: ``python -m skreg``, a demonstration on the digits data set.

It fits :class:`~skreg.MLPRegularizedClassifier` on scikit-learn's digits
(8x8 images of handwritten digits) and prints three tables:

1. one penalty at a time: test accuracy, the last epoch's data loss and
   penalty, the share of weights exactly zero and below 1e-3 in magnitude,
   and the fit time, without a penalty and with each of the four (the L1
   weight penalty with both ``l1_method`` values);
2. a cross-validated grid search over the four lambdas, next to the same
   search for scikit-learn's :class:`~sklearn.neural_network.MLPClassifier`
   over its ``alpha``, with the same architecture, solver and split;
3. the best model of each search, refitted and scored on the test images.

``--plot FILE`` also fits a regularization path (test accuracy and exact
zeros as each lambda grows) and saves it as a figure; it needs matplotlib,
which is imported only then (``pip install "skreg[plot]"``).
"""

import argparse
import os
import textwrap
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neural_network import MLPClassifier

from . import MLPRegularizedClassifier

#: Weights smaller than this in magnitude count as "near zero".
NEAR_ZERO = 1e-3
#: One hidden layer; both libraries get the same architecture.
HIDDEN_LAYER_SIZES = (64,)
LEARNING_RATE = 0.003
#: scikit-learn's batch size 'auto' on these data: min(200, n_samples).
BATCH_SIZE = 200

#: (label, parameters) of the rows of the first table.
SETTINGS = [
    ("no penalty", {}),
    ("l1_weight=1e-4, subgradient", {"l1_weight": 1e-4}),
    ("l1_weight=1e-4, proximal", {"l1_weight": 1e-4, "l1_method": "proximal"}),
    ("l1_bias=1e-3, proximal", {"l1_bias": 1e-3, "l1_method": "proximal"}),
    ("l2_weight=1e-3", {"l2_weight": 1e-3}),
    ("l2_bias=1e-3", {"l2_bias": 1e-3}),
    (
        "all four, proximal",
        {
            "l1_weight": 1e-4,
            "l1_bias": 1e-3,
            "l2_weight": 1e-3,
            "l2_bias": 1e-3,
            "l1_method": "proximal",
        },
    ),
]

#: The grid of the search over the four lambdas.
LAMBDA_GRID = {
    "l1_weight": [0.0, 1e-4],
    "l1_bias": [0.0, 1e-3],
    "l2_weight": [0.0, 1e-4, 1e-3],
    "l2_bias": [0.0, 1e-3],
}
#: scikit-learn's alpha grid: its default, and the equivalents of the
#: l2_weight grid and of ten times its largest value (alpha = 2 * 200 * l2).
ALPHA_GRID = [0.0, 1e-4, 2 * BATCH_SIZE * 1e-4, 2 * BATCH_SIZE * 1e-3, 4.0]

#: The lambdas of the regularization path (--plot).
PATH_LAMBDAS = np.logspace(-6, 0, 7)


def load_split(random_state):
    """Digits scaled to [0, 1], split 75/25 with stratification."""
    X, y = load_digits(return_X_y=True)
    X = X / 16.0  # pixel intensities 0..16
    return train_test_split(X, y, test_size=0.25, stratify=y, random_state=random_state)


def skreg_model(max_iter, random_state, **params):
    return MLPRegularizedClassifier(
        hidden_layer_sizes=HIDDEN_LAYER_SIZES,
        learning_rate_init=LEARNING_RATE,
        max_iter=max_iter,
        random_state=random_state,
        **params,
    )


def sklearn_model(max_iter, random_state, **params):
    return MLPClassifier(
        hidden_layer_sizes=HIDDEN_LAYER_SIZES,
        learning_rate_init=LEARNING_RATE,
        max_iter=max_iter,
        random_state=random_state,
        **params,
    )


def weight_shares(model):
    """Shares of the weights (not biases) exactly zero and below NEAR_ZERO."""
    weights = np.concatenate([coef.ravel() for coef in model.coefs_])
    return float(np.mean(weights == 0)), float(np.mean(np.abs(weights) < NEAR_ZERO))


def timed_fit(model, X, y):
    """Fit quietly (small epoch budgets may stop before convergence)."""
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    return time.perf_counter() - start


def penalty_table(data, max_iter, random_state):
    """Rows of the first table: one fit per entry of SETTINGS."""
    X_train, X_test, y_train, y_test = data
    rows = []
    for label, params in SETTINGS:
        model = skreg_model(max_iter, random_state, **params)
        seconds = timed_fit(model, X_train, y_train)
        penalty = model.penalty_curve_[-1]
        exactly_zero, near_zero = weight_shares(model)
        rows.append(
            {
                "setting": label,
                "test accuracy": model.score(X_test, y_test),
                "data loss": model.loss_ - penalty,
                "penalty": penalty,
                "weights = 0": exactly_zero,
                f"|w| < {NEAR_ZERO:g}": near_zero,
                "time (s)": seconds,
            }
        )
    return rows


def grid_searches(data, max_iter, random_state, cv, n_jobs):
    """Run both searches; return them with their durations in seconds."""
    X_train, _, y_train, _ = data
    searches = {
        "skreg": GridSearchCV(
            skreg_model(max_iter, random_state, l1_method="proximal"),
            LAMBDA_GRID,
            cv=cv,
            n_jobs=n_jobs,
        ),
        "scikit-learn": GridSearchCV(
            sklearn_model(max_iter, random_state),
            {"alpha": ALPHA_GRID},
            cv=cv,
            n_jobs=n_jobs,
        ),
    }
    seconds = {
        name: timed_fit(search, X_train, y_train) for name, search in searches.items()
    }
    return searches, seconds


def search_rows(search, columns, n_best):
    """The ``n_best`` best candidates of a search, plus the unpenalised one."""
    results = search.cv_results_
    order = np.argsort(results["rank_test_score"], kind="stable")
    unpenalised = next(
        index
        for index, params in enumerate(results["params"])
        if not any(params.values())
    )
    chosen = list(order[:n_best])
    if unpenalised not in chosen:
        chosen.append(unpenalised)
    rows = []
    for index in chosen:
        row = {"rank": str(results["rank_test_score"][index])}
        row.update(columns(results["params"][index]))
        row["CV accuracy"] = (
            f"{results['mean_test_score'][index]:.4f} "
            f"+- {results['std_test_score'][index]:.4f}"
        )
        rows.append(row)
    return rows


def skreg_columns(params):
    return {name: f"{params[name]:g}" for name in LAMBDA_GRID}


def sklearn_columns(params):
    alpha = params["alpha"]
    return {"alpha": f"{alpha:g}", "same as l2_weight": f"{alpha / (2 * BATCH_SIZE):g}"}


def summary_rows(searches, seconds, data):
    """The best model of each search, refitted on the training set, tested."""
    _, X_test, _, y_test = data
    rows = []
    for name, search in searches.items():
        # Every candidate on every fold, and the refit of the best.
        n_fits = len(search.cv_results_["params"]) * search.n_splits_ + 1
        params = search.best_params_
        model = search.best_estimator_
        rows.append(
            {
                "library": name,
                "best setting": ", ".join(
                    f"{key}={value:g}" for key, value in params.items() if value
                )
                or "no penalty",
                "CV accuracy": f"{search.best_score_:.4f}",
                "test accuracy": f"{model.score(X_test, y_test):.4f}",
                "weights = 0": f"{weight_shares(model)[0]:.4f}",
                "fits": str(n_fits),
                "time (s)": f"{seconds[name]:.1f}",
                "per fit (s)": f"{seconds[name] / n_fits:.3f}",
            }
        )
    return rows


def regularization_path(data, max_iter, random_state):
    """Test accuracy and exact-zero share of the penalised parameters."""
    X_train, X_test, y_train, y_test = data
    path = {}
    for name in LAMBDA_GRID:
        points = []
        for value in PATH_LAMBDAS:
            model = skreg_model(
                max_iter, random_state, l1_method="proximal", **{name: value}
            )
            timed_fit(model, X_train, y_train)
            arrays = model.coefs_ if name.endswith("weight") else model.intercepts_
            penalised = np.concatenate([array.ravel() for array in arrays])
            points.append((model.score(X_test, y_test), np.mean(penalised == 0)))
        path[name] = np.array(points)
    return path


def save_path_figure(path, baseline_accuracy, filename):
    """Draw the regularization path with matplotlib, imported only here."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 4), layout="constrained")
    accuracy_axes, zeros_axes = figure.subplots(1, 2, sharex=True)
    for name, points in path.items():
        accuracy_axes.semilogx(PATH_LAMBDAS, points[:, 0], "o-", label=name)
        zeros_axes.semilogx(PATH_LAMBDAS, points[:, 1], "o-", label=name)
    accuracy_axes.axhline(
        baseline_accuracy, color="gray", linestyle=":", label="no penalty"
    )
    accuracy_axes.set(xlabel="lambda", ylabel="test accuracy")
    zeros_axes.set(xlabel="lambda", ylabel="share of penalised parameters exactly 0")
    accuracy_axes.legend()
    figure.suptitle(
        "MLPRegularizedClassifier on digits, one lambda at a time "
        "(l1_method='proximal')"
    )
    figure.savefig(filename)


def format_table(rows):
    """Format rows (dicts with the same keys) as a text table.

    Strings are printed as they are, numbers with four decimals.

    >>> print(format_table([{"setting": "none", "accuracy": 0.5},
    ...                     {"setting": "l2", "accuracy": 0.75}]))
    setting  accuracy
    -------  --------
    none     0.5000
    l2       0.7500
    """
    columns = list(rows[0])
    cells = [
        [
            row[name] if isinstance(row[name], str) else f"{row[name]:.4f}"
            for name in columns
        ]
        for row in rows
    ]
    widths = [
        max(len(name), *(len(line[i]) for line in cells))
        for i, name in enumerate(columns)
    ]
    lines = [
        "  ".join(
            name.ljust(width) for name, width in zip(columns, widths, strict=True)
        ).rstrip()
    ]
    lines.append("  ".join("-" * width for width in widths))
    lines += [
        "  ".join(
            cell.ljust(width) for cell, width in zip(line, widths, strict=True)
        ).rstrip()
        for line in cells
    ]
    return "\n".join(lines)


def wrap(text):
    """Wrap a paragraph of the report to 88 columns."""
    return textwrap.fill(text, width=88)


def parse_arguments(argv):
    parser = argparse.ArgumentParser(
        prog="python -m skreg",
        description=(
            "Demonstrate skreg on scikit-learn's digits data set: fit "
            "MLPRegularizedClassifier without and with each of its four "
            "penalties, run a cross-validated grid search over the four "
            "lambdas next to the same search for scikit-learn's "
            "MLPClassifier over its alpha (same architecture, solver and "
            "split), and print the results as tables."
        ),
        epilog=(
            "Both libraries train one hidden layer of 64 ReLU units with "
            "adam. scikit-learn's penalty is alpha / (2 * batch_size) * "
            "sum(W**2), so alpha = 2 * 200 * l2_weight for its default "
            "batches of 200."
        ),
    )
    parser.add_argument(
        "--max-iter",
        type=int,
        default=100,
        help="maximum number of epochs of every fit (default: %(default)s)",
    )
    parser.add_argument(
        "--cv",
        type=int,
        default=3,
        help="number of cross-validation folds of the searches (default: %(default)s)",
    )
    parser.add_argument(
        "--n-jobs",
        type=int,
        default=None,
        help="number of fits the searches run in parallel (default: one)",
    )
    parser.add_argument(
        "--random-state",
        type=int,
        default=0,
        help="seed of the split, the initial weights and the shuffling "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--plot",
        metavar="FILE",
        help="also fit a regularization path (test accuracy and share of "
        "exactly-zero parameters as each lambda grows, 28 more fits) and save "
        "it to FILE, in the format its extension names (.png, .pdf, .svg); "
        'needs matplotlib: pip install "skreg[plot]"',
    )
    args = parser.parse_args(argv)
    if args.max_iter < 1 or args.cv < 2:
        parser.error("--max-iter must be at least 1 and --cv at least 2")
    if args.plot is not None:
        check_figure_path(parser, args.plot)
    return args


def check_figure_path(parser, filename):
    """Before any fitting: matplotlib, the folder and the format of FILE.

    ``parser.error`` ends the program with a one-line message and exit
    status 2, instead of a traceback after all the fits.
    """
    try:
        from matplotlib.figure import Figure
    except ImportError:
        parser.error('--plot needs matplotlib: pip install "skreg[plot]"')
    folder = os.path.dirname(os.path.abspath(filename))
    if not os.path.isdir(folder):
        parser.error(f"--plot {filename}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        parser.error(f"--plot {filename}: the folder {folder} is not writable")
    extension = os.path.splitext(filename)[1].lstrip(".").lower()
    formats = Figure().canvas.get_supported_filetypes()
    if extension not in formats:
        parser.error(
            f"--plot {filename}: the extension must name an image format, one "
            f"of {', '.join(sorted(formats))}"
        )


def main(argv=None):
    args = parse_arguments(argv)
    data = load_split(args.random_state)
    n_train, n_test = len(data[2]), len(data[3])
    print(
        wrap(
            f"skreg on scikit-learn's digits: {n_train} training and {n_test} "
            "test images of 8x8 pixels, scaled to [0, 1]. One hidden layer of "
            f"{HIDDEN_LAYER_SIZES[0]} ReLU units, adam, at most {args.max_iter} "
            "epochs per fit."
        )
    )
    print(
        "\n"
        + wrap(
            "1. One penalty at a time: test accuracy, the last epoch's data loss "
            "and penalty, the share of weights exactly 0 and near 0, fit time."
        )
        + "\n"
    )
    rows = penalty_table(data, args.max_iter, args.random_state)
    print(format_table(rows))

    searches, seconds = grid_searches(
        data, args.max_iter, args.random_state, args.cv, args.n_jobs
    )
    n_candidates = len(searches["skreg"].cv_results_["params"])
    print(
        "\n"
        + wrap(
            f"2. Grid searches, {args.cv}-fold cross-validation on the training "
            f"images. MLPRegularizedClassifier(l1_method='proximal'): "
            f"{n_candidates} candidates over the four lambdas; the best ones, "
            "and no penalty:"
        )
        + "\n"
    )
    print(format_table(search_rows(searches["skreg"], skreg_columns, n_best=5)))
    print(
        "\n"
        + wrap(
            "scikit-learn's MLPClassifier, the same network, over its alpha "
            f"(alpha = 2 * {BATCH_SIZE} * l2_weight; scikit-learn penalises each "
            "epoch's last, shorter batch more):"
        )
        + "\n"
    )
    n_alphas = len(ALPHA_GRID)
    sklearn_rows = search_rows(searches["scikit-learn"], sklearn_columns, n_alphas)
    print(format_table(sklearn_rows))

    print(
        "\n"
        + wrap(
            "3. The best model of each search, refitted on all training images "
            "and scored on the test images:"
        )
        + "\n"
    )
    print(format_table(summary_rows(searches, seconds, data)))

    if args.plot is not None:
        path = regularization_path(data, args.max_iter, args.random_state)
        save_path_figure(path, rows[0]["test accuracy"], args.plot)
        print(f"\nRegularization path saved to {args.plot}.")


if __name__ == "__main__":
    main()
