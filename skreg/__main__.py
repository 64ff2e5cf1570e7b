"""The main job: ``python -m skreg``.

Fits :class:`~skreg.MLPRegularizedClassifier` on scikit-learn's digits data,
without any penalty and then with each of the four penalties (and all four
together), and prints one row per setting: test accuracy, the final epoch's
data loss and penalty, the share of weights below 1e-3 in magnitude, and the
fit time.
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from . import MLPRegularizedClassifier

#: Weights smaller than this in magnitude count as "near zero" in the table.
NEAR_ZERO = 1e-3

#: (label, penalty parameters) of the rows of the table.
SETTINGS = [
    ("no penalty", {}),
    ("l1_weight=1e-4", {"l1_weight": 1e-4}),
    ("l1_bias=1e-3", {"l1_bias": 1e-3}),
    ("l2_weight=1e-3", {"l2_weight": 1e-3}),
    ("l2_bias=1e-3", {"l2_bias": 1e-3}),
    (
        "all four",
        {"l1_weight": 1e-4, "l1_bias": 1e-3, "l2_weight": 1e-3, "l2_bias": 1e-3},
    ),
]


def near_zero_share(model, threshold=NEAR_ZERO):
    """Share of the model's weights (not biases) below ``threshold`` in magnitude."""
    weights = np.concatenate([coef.ravel() for coef in model.coefs_])
    return float(np.mean(np.abs(weights) < threshold))


def run_table(max_iter, random_state):
    """Fit one model per setting on digits; return the table's rows."""
    X, y = load_digits(return_X_y=True)
    X = X / 16.0  # pixel intensities 0..16 to [0, 1]
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=random_state
    )
    rows = []
    for label, penalties in SETTINGS:
        model = MLPRegularizedClassifier(
            hidden_layer_sizes=(100,),
            max_iter=max_iter,
            random_state=random_state,
            **penalties,
        )
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X_train, y_train)
        seconds = time.perf_counter() - start
        penalty = model.penalty_curve_[-1]
        rows.append(
            {
                "setting": label,
                "test accuracy": model.score(X_test, y_test),
                "data loss": model.loss_ - penalty,
                "penalty": penalty,
                f"|w| < {NEAR_ZERO:g}": near_zero_share(model),
                "fit time (s)": seconds,
            }
        )
    return rows


def format_table(rows):
    """Format rows (a list of dicts with the same keys) as a text table."""
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
        )
    ]
    lines.append("  ".join("-" * width for width in widths))
    lines += [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True))
        for line in cells
    ]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m skreg",
        description="Fit MLPRegularizedClassifier on digits without and with "
        "each penalty and print a table of the results.",
    )
    parser.add_argument("--max-iter", type=int, default=100, help="epochs per fit")
    parser.add_argument("--random-state", type=int, default=0, help="seed")
    args = parser.parse_args(argv)
    print(
        "MLPRegularizedClassifier on digits (1797 images, 8x8), hidden layer of "
        f"100 units, adam, {args.max_iter} epochs; data loss and penalty of the "
        "last epoch.\n"
    )
    print(format_table(run_table(args.max_iter, args.random_state)))


if __name__ == "__main__":
    main()
