r"""The main job: ``python -m skreg``, where the four penalties change the outcome.

The task: a binary classification with 8 informative features hidden among
60 (the other 52 are noise), 300 training and 600 test samples, standardised.
An unpenalized network fits the noise features as readily as the signal and
loses test accuracy to them; an L1 penalty on the weights removes the noise
inputs *exactly* (``l1_method='proximal'``), and the table shows which inputs
each model kept. The data come from :func:`~sklearn.datasets.make_classification`
with ``shuffle=False``, so the informative features are the first 8 columns
and what a model kept can be checked against the truth.

It prints, with a progress line before each stage:

1. one penalty at a time, next to no penalty and to the best combination
   the search found: test accuracy, the share of first-layer weights exactly
   zero, the inputs kept (of 60) and how many of them are the informative
   ones (of 8), and for the biases their mean magnitude and the number
   exactly zero;
2. the same search over ``l1_weight`` x ``l2_weight`` done by
   :class:`~sklearn.model_selection.GridSearchCV` and by
   :class:`~skreg.WarmStartGridSearchCV`: the median wall time of
   ``--repeats`` runs of each, the speedup, and each search's best
   parameters, cross-validated score and test score.

``--plot FILE`` also saves the search's cross-validated accuracy and the
inputs kept along ``l1_weight`` as a figure; it needs matplotlib (``pip
install "skreg[plot]"``), which is imported only then, and FILE is checked
before anything is fitted.
"""

import argparse
import os
import statistics
import time
import warnings

import numpy as np
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from . import MLPRegularizedClassifier, WarmStartGridSearchCV

N_FEATURES = 60
N_INFORMATIVE = 8
N_SAMPLES = 900
N_TRAIN = 300
HIDDEN_LAYER_SIZES = (32,)
LEARNING_RATE = 0.01
#: The pipeline step's name, as make_pipeline gives it.
STEP = "mlpregularizedclassifier"

#: (label, lambdas) of the one-penalty-at-a-time rows.
SINGLE_PENALTIES = [
    ("no penalty", {}),
    ("l1_weight=0.02", {"l1_weight": 0.02}),
    ("l2_weight=0.01", {"l2_weight": 0.01}),
    ("l1_bias=0.01", {"l1_bias": 0.01}),
    ("l2_bias=0.01", {"l2_bias": 0.01}),
]

#: The grid both searches run (5 x 3 candidates, 3 folds).
GRID = {
    f"{STEP}__l1_weight": [0.0, 1e-3, 3e-3, 1e-2, 2e-2],
    f"{STEP}__l2_weight": [0.0, 1e-3, 1e-2],
}
CV = 3
#: Where l1_weight = 0 sits on the figure's log axis (--plot).
GRID_LEFT_EDGE = 3e-4


def make_data(random_state):
    """The task's train/test split: ``X_train, X_test, y_train, y_test``."""
    X, y = make_classification(
        n_samples=N_SAMPLES,
        n_features=N_FEATURES,
        n_informative=N_INFORMATIVE,
        n_redundant=0,
        n_repeated=0,
        flip_y=0.03,
        class_sep=1.0,
        shuffle=False,
        random_state=random_state,
    )
    return train_test_split(
        X, y, train_size=N_TRAIN, stratify=y, random_state=random_state
    )


def make_model(max_iter, random_state, **lambdas):
    """The pipeline every row and search fits: scaling, then skreg's MLP."""
    return make_pipeline(
        StandardScaler(),
        MLPRegularizedClassifier(
            hidden_layer_sizes=HIDDEN_LAYER_SIZES,
            solver="adam",
            learning_rate_init=LEARNING_RATE,
            l1_method="proximal",
            max_iter=max_iter,
            random_state=random_state,
            **lambdas,
        ),
    )


def quietly(fit):
    """Run ``fit()``; the small budgets of --max-iter may stop short."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return fit()


def describe(label, pipeline, X_test, y_test):
    """A row of the first table."""
    model = pipeline[-1]
    first = model.coefs_[0]
    kept = np.flatnonzero(first.any(axis=1))
    biases = np.concatenate(model.intercepts_)
    return {
        "setting": label,
        "test accuracy": pipeline.score(X_test, y_test),
        "zero weights": float(np.mean(first == 0)),
        "inputs kept": f"{kept.size}/{N_FEATURES}",
        "informative kept": f"{np.count_nonzero(kept < N_INFORMATIVE)}/{N_INFORMATIVE}",
        "mean |bias|": float(np.mean(np.abs(biases))),
        "zero biases": f"{np.count_nonzero(biases == 0)}/{biases.size}",
    }


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
        [value if isinstance(value, str) else f"{value:.4f}" for value in row.values()]
        for row in rows
    ]
    widths = [
        max(len(column), *(len(row[index]) for row in cells))
        for index, column in enumerate(columns)
    ]

    def line(values):
        return "  ".join(
            f"{value:<{width}}" for value, width in zip(values, widths, strict=True)
        ).rstrip()

    return "\n".join(
        [line(columns), line("-" * width for width in widths)]
        + [line(row) for row in cells]
    )


def progress(step, total, message):
    print(f"[{step}/{total}] {message}", flush=True)


def timed_searches(search_classes, model, X, y, repeats):
    """Fit each search ``repeats`` times, in turns; the last fit and median times."""
    times = {name: [] for name in search_classes}
    fitted = {}
    for _ in range(repeats):
        for name, Search in search_classes.items():
            search = Search(model, GRID, cv=CV)
            start = time.perf_counter()
            quietly(lambda search=search: search.fit(X, y))
            times[name].append(time.perf_counter() - start)
            fitted[name] = search
    return fitted, {name: statistics.median(values) for name, values in times.items()}


def best_lambdas(search):
    """The best candidate's lambdas, without the pipeline prefix."""
    return {
        name.removeprefix(f"{STEP}__"): value
        for name, value in search.best_params_.items()
    }


def lambdas_label(lambdas):
    return ", ".join(f"{name}={value:g}" for name, value in lambdas.items())


def save_path_figure(search, filename):
    """Cross-validated accuracy along l1_weight, one line per l2_weight."""
    from matplotlib.figure import Figure

    results = search.cv_results_
    l1 = np.array(results[f"param_{STEP}__l1_weight"], dtype=float)
    l2 = np.array(results[f"param_{STEP}__l2_weight"], dtype=float)
    scores = np.asarray(results["mean_test_score"])
    figure = Figure(figsize=(6, 4), layout="constrained")
    axes = figure.subplots()
    for value in np.unique(l2):
        rows = np.flatnonzero(l2 == value)
        order = rows[np.argsort(l1[rows])]
        # l1_weight = 0 drawn at the left edge of the log axis.
        positions = np.where(l1[order] > 0, l1[order], GRID_LEFT_EDGE)
        axes.semilogx(positions, scores[order], "o-", label=f"l2_weight={value:g}")
    axes.set(
        xlabel="l1_weight (leftmost point: 0)",
        ylabel=f"{CV}-fold cross-validated accuracy",
        title="8 informative features among 60",
    )
    axes.legend()
    figure.savefig(filename)


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


def parse_arguments(argv):
    parser = argparse.ArgumentParser(
        prog="python -m skreg",
        description=(
            "skreg's four penalties on 8 informative features hidden among 60: "
            "each penalty alone, the best combination, and the same search by "
            "GridSearchCV and by WarmStartGridSearchCV."
        ),
    )
    parser.add_argument(
        "--max-iter", type=int, default=300, help="epochs per fit at most (300)"
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="runs of each search; the times are their medians (3)",
    )
    parser.add_argument(
        "--random-state", type=int, default=0, help="seed of data and models (0)"
    )
    parser.add_argument(
        "--plot",
        metavar="FILE",
        help="save the search's cross-validated accuracy along l1_weight to "
        "FILE, in the format its extension names (.png, .pdf, .svg); needs "
        'matplotlib: pip install "skreg[plot]"',
    )
    args = parser.parse_args(argv)
    if args.max_iter < 1 or args.repeats < 1:
        parser.error("--max-iter and --repeats must be at least 1")
    if args.plot is not None:
        check_figure_path(parser, args.plot)
    return args


def main(argv=None):
    args = parse_arguments(argv)
    started = time.perf_counter()
    X_train, X_test, y_train, y_test = make_data(args.random_state)
    model = make_model(args.max_iter, args.random_state)
    print(
        f"{N_INFORMATIVE} informative features among {N_FEATURES}, "
        f"{len(y_train)} training and {len(y_test)} test samples; "
        f"StandardScaler + MLPRegularizedClassifier{HIDDEN_LAYER_SIZES}, adam, "
        "l1_method='proximal'.",
        flush=True,
    )
    total = 3
    progress(
        1,
        total,
        f"Searching l1_weight x l2_weight (15 candidates, {CV}-fold), "
        f"GridSearchCV and WarmStartGridSearchCV in turns, {args.repeats} "
        "run(s) each...",
    )
    searches, times = timed_searches(
        {"GridSearchCV": GridSearchCV, "WarmStartGridSearchCV": WarmStartGridSearchCV},
        model,
        X_train,
        y_train,
        args.repeats,
    )
    progress(2, total, "Fitting each penalty alone and the best combination...")
    best = best_lambdas(searches["WarmStartGridSearchCV"])
    rows = []
    for label, lambdas in [*SINGLE_PENALTIES, (f"best: {lambdas_label(best)}", best)]:
        pipeline = make_model(args.max_iter, args.random_state, **lambdas)
        quietly(lambda pipeline=pipeline: pipeline.fit(X_train, y_train))
        rows.append(describe(label, pipeline, X_test, y_test))
    progress(3, total, "Done.")

    print("\n1. Each penalty alone, and the best combination of the search\n")
    print(format_table(rows))
    print(
        "\n   zero weights: share of first-layer weights exactly 0; inputs kept: "
        "features with a nonzero weight;\n   informative kept: of those, the "
        f"first {N_INFORMATIVE} (the informative ones)."
    )

    print(
        f"\n2. The same search ({len(searches['GridSearchCV'].cv_results_['params'])}"
        f" candidates x {CV} folds), median of {args.repeats} run(s)\n"
    )
    search_rows = [
        {
            "search": name,
            "seconds": times[name],
            "best lambdas": lambdas_label(best_lambdas(search)),
            "CV accuracy": search.best_score_,
            "test accuracy": search.score(X_test, y_test),
        }
        for name, search in searches.items()
    ]
    print(format_table(search_rows))
    speedup = times["GridSearchCV"] / times["WarmStartGridSearchCV"]
    print(f"\n   WarmStartGridSearchCV: {speedup:.1f}x faster.")
    if args.plot is not None:
        save_path_figure(searches["WarmStartGridSearchCV"], args.plot)
        print(f"\nCross-validated accuracy along l1_weight saved to {args.plot}.")
    print(f"\nTotal {time.perf_counter() - started:.0f} s.")


if __name__ == "__main__":
    main()
