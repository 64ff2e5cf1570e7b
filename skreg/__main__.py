r"""The main job: ``python -m skreg``, where the four penalties change the outcome.

The task: a binary classification with 8 informative features hidden among
60 (the other 52 are noise), 300 training and 600 test samples, standardised.
An unpenalized network fits the noise features as readily as the signal and
loses test accuracy to them; an L1 penalty on the weights removes the noise
inputs *exactly* (``l1_method='proximal'``), the group penalty
(``group_l1_weight``) whole inputs and hidden units at once, and the table
shows which inputs each model kept. The data come from
:func:`~sklearn.datasets.make_classification` with ``shuffle=False``, so the
informative features are the first 8 columns and what a model kept can be
checked against the truth.

It prints a progress line before each stage and one per search run, then:

1. one penalty at a time, next to no penalty, to the best combination each
   search found, and to scikit-learn's
   :class:`~sklearn.neural_network.MLPClassifier` on the same pipeline
   (same hidden layer, solver, learning rate, ``max_iter`` and seed) with
   the ``alpha`` its own :class:`~sklearn.model_selection.GridSearchCV`
   chose over ``SKLEARN_ALPHAS`` with the same folds. Each row says how its
   lambdas were chosen: by hand for the L1 and L2 terms alone, by a
   GridSearchCV over ``GROUP_GRID`` (training data only) for the group
   penalty alone, by the searches for the rest. Then the test accuracy,
   the share of first-layer weights exactly zero, the inputs kept (of 60)
   and how many of them are the informative ones (of 8), the hidden units
   kept (an input or unit is kept when the output depends on it through
   nonzero weights: :meth:`~skreg.MLPRegularizedClassifier.sparsity`'s
   removed units are not), and for the biases their mean magnitude and the
   number exactly zero; then lines that compare the best skreg model with
   the MLPClassifier one, what the L1 penalties buy over scikit-learn's
   L2-only ``alpha``, and say what the group penalty kept;
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
import sys
import textwrap
import time
import warnings

import numpy as np
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, ParameterGrid, train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from . import MLPRegularizedClassifier, WarmStartGridSearchCV
from ._callbacks import HAS_CALLBACKS
from ._sparsity import live_units

N_FEATURES = 60
N_INFORMATIVE = 8
N_SAMPLES = 900
N_TRAIN = 300
HIDDEN_LAYER_SIZES = (32,)
LEARNING_RATE = 0.01
#: The pipeline steps' names, as make_pipeline gives them.
STEP = "mlpregularizedclassifier"
SKLEARN_STEP = "mlpclassifier"

#: (label, lambdas) of the one-penalty-at-a-time rows set by hand.
SINGLE_PENALTIES = [
    ("no penalty", {}),
    ("l1_weight=0.02", {"l1_weight": 0.02}),
    ("l2_weight=0.01", {"l2_weight": 0.01}),
    ("l1_bias=0.01", {"l1_bias": 0.01}),
    ("l2_bias=0.01", {"l2_bias": 0.01}),
]

#: The group penalty alone: GridSearchCV chooses its lambdas, (first layer,
#: whose rows are the inputs; output layer, whose rows are the hidden units),
#: in steps of 1-2-5, with the same folds (4 x 3 candidates). GridSearchCV,
#: not WarmStartGridSearchCV: it scores cold fits, the kind of fit its refit
#: is, while a warm start survives strengths at which a cold fit collapses to
#: the constant model (measured on this grid: at (0.1, 0.01), 3-fold accuracy
#: 0.84 warm-started, 0.61 cold), so the warm search's best need not refit as
#: it scored.
GROUP_GRID = {
    f"{STEP}__group_l1_weight": [
        (inputs, units)
        for inputs in (0.01, 0.02, 0.05, 0.1)
        for units in (0.005, 0.01, 0.02)
    ]
}

#: The grid both searches run (5 x 3 candidates, 3 folds).
GRID = {
    f"{STEP}__l1_weight": [0.0, 1e-3, 3e-3, 1e-2, 2e-2],
    f"{STEP}__l2_weight": [0.0, 1e-3, 1e-2],
}
CV = 3
#: scikit-learn's MLPClassifier searches its one penalty, alpha (an L2 penalty
#: on the weights), over these, with the same folds; 1e-4 is its default.
SKLEARN_ALPHAS = [1e-4, 0.1, 1.0, 10.0, 100.0]
#: batch_size='auto' in both libraries: min(200, n_samples).
AUTO_BATCH_SIZE = 200
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


def make_sklearn_model(max_iter, random_state, alpha=1e-4):
    """The same pipeline with scikit-learn's MLPClassifier instead of skreg's."""
    return make_pipeline(
        StandardScaler(),
        MLPClassifier(
            hidden_layer_sizes=HIDDEN_LAYER_SIZES,
            solver="adam",
            learning_rate_init=LEARNING_RATE,
            alpha=alpha,
            max_iter=max_iter,
            random_state=random_state,
        ),
    )


def search_sklearn_alpha(max_iter, random_state, X, y):
    """scikit-learn's MLPClassifier with the alpha its GridSearchCV chooses."""
    search = GridSearchCV(
        make_sklearn_model(max_iter, random_state),
        {f"{SKLEARN_STEP}__alpha": SKLEARN_ALPHAS},
        cv=CV,
    )
    quietly(lambda: search.fit(X, y))
    return search


def search_group(max_iter, random_state, X, y):
    """The group penalty alone, its lambdas chosen by GridSearchCV over GROUP_GRID."""
    search = GridSearchCV(make_model(max_iter, random_state), GROUP_GRID, cv=CV)
    bar = progress_bar()
    if bar is not None:
        search.set_callbacks(bar)
    quietly(lambda: search.fit(X, y))
    return search


def equivalent_l2_weight(alpha, n_samples):
    """skreg's ``l2_weight`` for scikit-learn's ``alpha`` on full batches.

    scikit-learn's MLP adds ``alpha / (2 * n_B) * sum W^2`` to the mean loss
    of each batch of ``n_B`` samples (the user guide's conversion table);
    with ``batch_size='auto'`` a full batch holds ``min(200, n_samples)``.

    >>> equivalent_l2_weight(10.0, 300)
    0.025
    """
    return alpha / (2 * min(AUTO_BATCH_SIZE, n_samples))


def quietly(fit):
    """Run ``fit()``; the small budgets of --max-iter may stop short."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return fit()


#: The first table's "chosen by" for the rows whose lambdas were set by hand.
BY_HAND = "by hand"


def describe(setting, chosen_by, pipeline, X_test, y_test, library="skreg"):
    """A row of the first table, for either library's fitted pipeline.

    ``setting`` names the lambdas, ``chosen_by`` who chose them (``BY_HAND``,
    or the search).
    """
    model = pipeline[-1]
    first = model.coefs_[0]
    # The inputs and hidden units the predictions depend on (for either
    # library: its weights alone decide it).
    units = live_units(model.coefs_)
    kept = np.flatnonzero(units[0])
    hidden = np.concatenate(units[1:-1])
    biases = np.concatenate(model.intercepts_)
    return {
        "model": library,
        "setting": setting,
        "chosen by": chosen_by,
        "test acc": pipeline.score(X_test, y_test),
        "zero W1": float(np.mean(first == 0)),
        "inputs": f"{kept.size}/{N_FEATURES}",
        "informative": f"{np.count_nonzero(kept < N_INFORMATIVE)}/{N_INFORMATIVE}",
        "units": f"{np.count_nonzero(hidden)}/{hidden.size}",
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


def report_run(message):
    """An indented progress line, under the stage's own line."""
    print(f"      {message}", flush=True)


def progress_bar():
    """scikit-learn's ProgressBar in a terminal, if it and rich exist; else None.

    Only when stdout is a terminal: piped or captured output (the tests)
    stays as it was. Needs scikit-learn >= 1.9 and ``skreg[progress]``.
    """
    if not (HAS_CALLBACKS and sys.stdout.isatty()):
        return None
    try:
        from sklearn.callback import ProgressBar

        return ProgressBar()
    except ImportError:  # rich is not installed
        return None


def timed_searches(search_classes, model, X, y, repeats):
    """Fit each search ``repeats`` times, in turns; the last fit and median times.

    A progress line follows each run, so that a long search is not silent;
    in a terminal, a progress bar shows the search's candidates and folds
    (:func:`progress_bar`; both searches alike, so their times compare).
    """
    times = {name: [] for name in search_classes}
    fitted = {}
    for run in range(1, repeats + 1):
        for name, Search in search_classes.items():
            search = Search(model, GRID, cv=CV)
            bar = progress_bar()
            if bar is not None:
                search.set_callbacks(bar)
            start = time.perf_counter()
            quietly(lambda search=search: search.fit(X, y))
            times[name].append(time.perf_counter() - start)
            fitted[name] = search
            report_run(f"run {run}/{repeats}: {name}, {times[name][-1]:.1f} s")
    return fitted, {name: statistics.median(values) for name, values in times.items()}


def best_lambdas(search):
    """The best candidate's lambdas, without the pipeline prefix."""
    return {
        name.removeprefix(f"{STEP}__"): value
        for name, value in search.best_params_.items()
    }


def lambdas_label(lambdas):
    """The lambdas as keyword arguments, a per-layer value as a tuple.

    >>> lambdas_label({"l1_weight": 0.02, "group_l1_weight": (0.05, 0.02)})
    'l1_weight=0.02, group_l1_weight=(0.05, 0.02)'
    """

    def value_label(value):
        if np.ndim(value) == 0:
            return f"{value:g}"
        return f"({', '.join(f'{entry:g}' for entry in value)})"

    return ", ".join(f"{name}={value_label(value)}" for name, value in lambdas.items())


#: The first table's "chosen by" when both searches chose the same lambdas.
BOTH_SEARCHES = "both searches"


def best_rows(searches, X_test, y_test):
    """The rows of the searches' refitted best models, and who chose what.

    One row per distinct choice: WarmStartGridSearchCV's, then GridSearchCV's
    if it differs. Returns the rows and a sentence for the notes.
    """
    warm = searches["WarmStartGridSearchCV"]
    grid = searches["GridSearchCV"]
    if best_lambdas(warm) == best_lambdas(grid):
        rows = [
            describe(
                lambdas_label(best_lambdas(warm)),
                BOTH_SEARCHES,
                warm.best_estimator_,
                X_test,
                y_test,
            )
        ]
        return rows, "GridSearchCV and WarmStartGridSearchCV chose the same lambdas."
    rows = [
        describe(
            lambdas_label(best_lambdas(search)),
            name,
            search.best_estimator_,
            X_test,
            y_test,
        )
        for name, search in (("WarmStartGridSearchCV", warm), ("GridSearchCV", grid))
    ]
    return rows, (
        "GridSearchCV chose other lambdas than WarmStartGridSearchCV, whose "
        "scores are those of models warm-started along a path (most of them "
        "within a budget of epochs, the best continued to convergence), not "
        "of independent fits (table 2)."
    )


def kept_summary(row):
    """What a row's model kept, in words.

    >>> print(kept_summary({"test acc": 0.8, "zero W1": 0.5,
    ...                     "inputs": "30/60", "informative": "8/8"}))
    ... # doctest: +NORMALIZE_WHITESPACE
    test accuracy 0.8000, 50% of first-layer weights exactly 0,
    30/60 inputs kept (8/8 informative)
    """
    return (
        f"test accuracy {row['test acc']:.4f}, "
        f"{row['zero W1']:.0%} of first-layer weights exactly 0, "
        f"{row['inputs']} inputs kept ({row['informative']} informative)"
    )


def table_notes(choice, group_search, alpha, n_train):
    """The notes under the first table: its columns and how each row was chosen."""
    grid = GROUP_GRID[f"{STEP}__group_l1_weight"]
    first = sorted({inputs for inputs, _ in grid})
    second = sorted({units for _, units in grid})
    return [
        "chosen by: who set the row's lambdas (below); test acc: accuracy on "
        "the test samples; zero W1: share of first-layer weights exactly 0; "
        "inputs: features kept, those the output depends on (a nonzero weight "
        f"to a kept unit); informative: of those, the first {N_INFORMATIVE} "
        "(the informative ones); units: hidden units kept, with a nonzero "
        "weight from a kept input or unit and to a kept unit or output; mean "
        "|bias|, zero biases: over the biases of all layers.",
        f"{BY_HAND}: the strengths of the rows of one L1 or L2 term were picked "
        "by hand on this task, to show what each term does; they are not "
        "tuned models.",
        "The group penalty alone, group_l1_weight=(first layer, output layer): "
        f"the best {CV}-fold cross-validated accuracy "
        f"({group_search.best_score_:.4f}) of GridSearchCV over "
        f"{', '.join(f'{value:g}' for value in first)} x "
        f"{', '.join(f'{value:g}' for value in second)} ({len(grid)} "
        f"candidates, the same folds), refitted on the {n_train} training "
        "samples: only the training data chose it. GridSearchCV scores cold "
        "fits, as its refit is one; warm-started fits of this penalty survive "
        "strengths at which cold ones collapse to a constant model.",
        "The rows of l1_weight and l2_weight together: the candidate of the "
        f"search over l1_weight x l2_weight (table 2) with the best {CV}-fold "
        "cross-validated accuracy, by the search that chose it "
        f"('{BOTH_SEARCHES}' when they agree), refitted on the {n_train} "
        f"training samples. {choice}",
        "sklearn, alpha: scikit-learn's MLPClassifier in the same pipeline (hidden "
        "layer, adam, learning rate, max_iter, seed), with the alpha chosen by "
        f"GridSearchCV over {', '.join(f'{a:g}' for a in SKLEARN_ALPHAS)} with "
        f"the same {CV} folds. alpha is an L2 penalty on the weights only, "
        "l2_weight = alpha / (2 * batch size) in skreg's terms (user guide: "
        f"'The lambdas in other libraries' terms'): alpha={alpha:g} is "
        f"l2_weight={equivalent_l2_weight(alpha, n_train):g} on full "
        f"batches of {min(AUTO_BATCH_SIZE, n_train)}. It has no L1 term.",
    ]


def print_notes(*paragraphs):
    """Notes under a table, indented and wrapped."""
    for paragraph in paragraphs:
        print(
            textwrap.fill(
                paragraph,
                width=100,
                initial_indent="   ",
                subsequent_indent="   ",
                break_on_hyphens=False,
            )
        )


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
            "each penalty alone, the best combination, scikit-learn's "
            "MLPClassifier with its best alpha, and the same search by "
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
    total = 5
    n_candidates = len(list(ParameterGrid(GRID)))
    progress(
        1,
        total,
        f"Searching l1_weight x l2_weight ({n_candidates} candidates, {CV}-fold), "
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
    progress(
        2,
        total,
        f"Searching group_l1_weight ({len(ParameterGrid(GROUP_GRID))} candidates, "
        f"{CV}-fold, GridSearchCV)...",
    )
    start = time.perf_counter()
    group_search = search_group(args.max_iter, args.random_state, X_train, y_train)
    report_run(f"{time.perf_counter() - start:.1f} s")
    progress(
        3,
        total,
        f"Searching scikit-learn's MLPClassifier over alpha ({len(SKLEARN_ALPHAS)} "
        f"candidates, {CV}-fold, GridSearchCV)...",
    )
    start = time.perf_counter()
    sklearn_search = search_sklearn_alpha(
        args.max_iter, args.random_state, X_train, y_train
    )
    report_run(f"{time.perf_counter() - start:.1f} s")
    progress(4, total, f"Fitting each of {len(SINGLE_PENALTIES)} settings alone...")
    rows = []
    for label, lambdas in SINGLE_PENALTIES:
        pipeline = make_model(args.max_iter, args.random_state, **lambdas)
        quietly(lambda pipeline=pipeline: pipeline.fit(X_train, y_train))
        chosen_by = BY_HAND if lambdas else "-"
        rows.append(describe(label, chosen_by, pipeline, X_test, y_test))
    group_row = describe(
        lambdas_label(best_lambdas(group_search)),
        "GridSearchCV",
        group_search.best_estimator_,
        X_test,
        y_test,
    )
    rows.append(group_row)
    searched_rows, choice = best_rows(searches, X_test, y_test)
    rows += searched_rows
    alpha = sklearn_search.best_params_[f"{SKLEARN_STEP}__alpha"]
    sklearn_row = describe(
        f"alpha={alpha:g}",
        "GridSearchCV",
        sklearn_search.best_estimator_,
        X_test,
        y_test,
        library="sklearn",
    )
    rows.append(sklearn_row)
    progress(5, total, "Done.")

    print(
        "\n1. Each penalty alone, the best combination, and scikit-learn's "
        "MLPClassifier\n"
    )
    print(format_table(rows))
    print()
    print_notes(*table_notes(choice, group_search, alpha, len(y_train)))
    print()
    print_notes(
        "What the L1 penalties buy. skreg, best of WarmStartGridSearchCV "
        f"({lambdas_label(best_lambdas(searches['WarmStartGridSearchCV']))}): "
        f"{kept_summary(searched_rows[0])}. sklearn, best of GridSearchCV "
        f"(alpha={alpha:g}): {kept_summary(sklearn_row)}.",
        "What the group penalty alone keeps. skreg, best of GridSearchCV "
        f"({group_row['setting']}): {kept_summary(group_row)}, "
        f"{group_row['units']} hidden units kept.",
    )

    print(
        f"\n2. The same search ({n_candidates} candidates x {CV} folds), median of "
        f"{args.repeats} run(s)\n"
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
