"""The main job, ``python -m skreg``, on a tiny budget."""

import contextlib
import doctest
import io
import re
import subprocess
import sys
import warnings
from types import SimpleNamespace

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skreg.__main__ as main_job
from skreg._sparsity import live_units


def test_docstring_examples():
    # pytest's --doctest-modules skips __main__.py files, so run them here.
    failures, tried = doctest.testmod(main_job)
    assert tried > 0
    assert failures == 0


TINY = ["--max-iter", "3", "--repeats", "1"]
TINY_MAX_ITER = 3


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """One run of the job on the tiny budget, with --plot: (report, figure)."""
    figure = tmp_path_factory.mktemp("main") / "path.png"
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        main_job.main([*TINY, "--plot", str(figure)])
    return output.getvalue(), figure


FIRST_TABLE_COLUMNS = [
    "model",
    "setting",
    "chosen by",
    "test acc",
    "zero W1",
    "inputs",
    "informative",
    "units",
    "mean |bias|",
    "zero biases",
]


def first_table(report):
    """The first table's rows, as dicts of their cells, in order."""
    lines = report.splitlines()
    header = next(
        index
        for index, line in enumerate(lines)
        if re.split(r"\s{2,}", line.strip()) == FIRST_TABLE_COLUMNS
    )
    rows = []
    for line in lines[header + 2 :]:
        if not line.strip():
            break
        cells = re.split(r"\s{2,}", line.strip())
        rows.append(dict(zip(FIRST_TABLE_COLUMNS, cells, strict=True)))
    return rows


def table_row(report, model, setting_start, chosen_by=None):
    """The first table's row for ``model`` whose setting starts so (and chosen so)."""
    for row in first_table(report):
        if (
            row["model"] == model
            and row["setting"].startswith(setting_start)
            and chosen_by in (None, row["chosen by"])
        ):
            return row
    raise AssertionError(f"no row {model} {setting_start!r} {chosen_by} in\n{report}")


def search_table(report):
    """Table 2 as {search name: cells}."""
    rows = {}
    for line in report.splitlines():
        cells = re.split(r"\s{2,}", line.strip())
        if cells[0] in ("GridSearchCV", "WarmStartGridSearchCV") and len(cells) == 5:
            rows[cells[0]] = cells
    return rows


def test_report_has_both_tables_and_a_progress_line_per_stage(tiny_run):
    report, _ = tiny_run
    rows = first_table(report)
    # Who chose each row's lambdas: the hand-set rows, then the group
    # penalty's search, the l1_weight x l2_weight searches, scikit-learn's.
    hand_set = [
        (label, main_job.BY_HAND if lambdas else "-")
        for label, lambdas in main_job.SINGLE_PENALTIES
    ]
    assert [(row["setting"], row["chosen by"]) for row in rows[: len(hand_set)]] == (
        hand_set
    )
    group = rows[len(hand_set)]
    assert group["setting"].startswith("group_l1_weight=(")
    assert group["chosen by"] == "GridSearchCV"
    searched = rows[len(hand_set) + 1 : -1]
    assert {row["chosen by"] for row in searched} <= {
        main_job.BOTH_SEARCHES,
        "WarmStartGridSearchCV",
        "GridSearchCV",
    }
    assert all(row["setting"].startswith("l1_weight=") for row in searched)
    assert rows[-1]["model"] == "sklearn"
    assert rows[-1]["setting"].startswith("alpha=")
    assert all(row["model"] == "skreg" for row in rows[:-1])
    assert "1. Each penalty alone, the best combination, and scikit-learn's" in report
    assert "2. The same search (15 candidates x 3 folds), median of 1 run" in report
    assert set(search_table(report)) == {"GridSearchCV", "WarmStartGridSearchCV"}
    progress = [line for line in report.splitlines() if line.startswith("[")]
    assert [line[:5] for line in progress] == [f"[{i}/5]" for i in range(1, 6)]


def test_a_progress_line_follows_each_search_run(capsys):
    # The two searches take seconds each: a line after every run, in turns.
    class InstantSearch:
        def __init__(self, model, grid, cv):
            pass

        def fit(self, X, y):
            return self

    main_job.timed_searches({"A": InstantSearch, "B": InstantSearch}, None, 0, 0, 2)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(",")[0].strip() for line in lines] == [
        "run 1/2: A",
        "run 1/2: B",
        "run 2/2: A",
        "run 2/2: B",
    ]


def test_no_progress_bar_when_stdout_is_not_a_terminal(monkeypatch):
    monkeypatch.setattr(sys.stdout, "isatty", lambda: False, raising=False)
    assert main_job.progress_bar() is None


def test_a_progress_bar_when_stdout_is_a_terminal(monkeypatch):
    pytest.importorskip("rich")
    if not main_job.HAS_CALLBACKS:
        pytest.skip("sklearn.callback needs scikit-learn >= 1.9")
    from sklearn.callback import ProgressBar

    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    assert isinstance(main_job.progress_bar(), ProgressBar)


def test_progress_lines_are_flushed_as_they_happen():
    # Through a pipe, stdout is block-buffered: without flush the first line
    # would arrive only when the job ends.
    job = subprocess.Popen(
        [sys.executable, "-m", "skreg", *TINY],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        while not (line := job.stdout.readline()).startswith("[1/5]"):
            assert line, "the job ended before its first progress line"
        assert job.poll() is None, "the first progress line came only at the end"
        second = job.stdout.readline()
        assert second.strip().startswith("run 1/1: GridSearchCV")
    finally:
        job.stdout.read()
        job.wait()
    assert job.returncode == 0


def sklearn_search_like_the_job(X, y, max_iter, random_state):
    """An independent GridSearchCV over alpha for scikit-learn's MLPClassifier.

    Every setting the two MLPs share is copied from skreg's model in the job.
    """
    skreg_model = main_job.make_model(max_iter, random_state)[-1]
    shared = MLPClassifier().get_params().keys() & skreg_model.get_params().keys()
    mlp = MLPClassifier(**{name: skreg_model.get_params()[name] for name in shared})
    search = GridSearchCV(
        make_pipeline(StandardScaler(), mlp),
        {"mlpclassifier__alpha": main_job.SKLEARN_ALPHAS},
        cv=main_job.CV,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return search.fit(X, y)


def test_sklearn_row_is_mlpclassifier_with_its_best_alpha(tiny_run):
    report, _ = tiny_run
    X_train, X_test, y_train, y_test = main_job.make_data(0)
    search = sklearn_search_like_the_job(X_train, y_train, TINY_MAX_ITER, 0)
    alpha = search.best_params_["mlpclassifier__alpha"]
    model = search.best_estimator_[-1]
    first = model.coefs_[0]
    biases = np.concatenate(model.intercepts_)
    row = table_row(report, "sklearn", "alpha=", chosen_by="GridSearchCV")
    assert row["setting"] == f"alpha={alpha:g}"
    assert row["test acc"] == f"{search.best_estimator_.score(X_test, y_test):.4f}"
    assert float(row["zero W1"]) == np.mean(first == 0)
    kept = np.flatnonzero(live_units(model.coefs_)[0])
    assert row["inputs"] == f"{kept.size}/{main_job.N_FEATURES}"
    assert row["zero biases"] == f"{np.count_nonzero(biases == 0)}/{biases.size}"
    # The footnote states alpha's l2_weight: alpha / (2 * batch size), the
    # batch being scikit-learn's 'auto' size, min(200, n_samples).
    notes = " ".join(report.split())
    l2_weight = alpha / (2 * min(200, len(y_train)))
    assert f"alpha={alpha:g} is l2_weight={l2_weight:g} on full batches" in notes
    alphas = ", ".join(f"{value:g}" for value in main_job.SKLEARN_ALPHAS)
    assert f"GridSearchCV over {alphas} with the same 3 folds" in notes


def test_group_row_is_gridsearchcv_best_over_the_group_grid(tiny_run):
    # The group penalty's lambdas are chosen on the training data only: the
    # row is an independent GridSearchCV's best over the grid, refitted, and
    # its counts are those of that fitted model.
    report, _ = tiny_run
    X_train, X_test, y_train, y_test = main_job.make_data(0)
    search = GridSearchCV(
        main_job.make_model(TINY_MAX_ITER, 0), main_job.GROUP_GRID, cv=main_job.CV
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X_train, y_train)
    inputs, units = search.best_params_[f"{main_job.STEP}__group_l1_weight"]
    model = search.best_estimator_[-1]
    # The group penalty alone: every other lambda is zero.
    assert all(
        model.get_params()[name] == 0
        for name in ("l1_weight", "l1_bias", "l2_weight", "l2_bias")
    )
    row = table_row(report, "skreg", "group_l1_weight=", chosen_by="GridSearchCV")
    assert row["setting"] == f"group_l1_weight=({inputs:g}, {units:g})"
    assert row["test acc"] == f"{search.best_estimator_.score(X_test, y_test):.4f}"
    assert row["zero W1"] == f"{np.mean(model.coefs_[0] == 0):.4f}"
    kept_units = live_units(model.coefs_)
    kept_inputs = np.flatnonzero(kept_units[0])
    assert row["inputs"] == f"{kept_inputs.size}/{main_job.N_FEATURES}"
    informative = np.count_nonzero(kept_inputs < main_job.N_INFORMATIVE)
    assert row["informative"] == f"{informative}/{main_job.N_INFORMATIVE}"
    assert row["units"] == f"{kept_units[1].sum()}/{kept_units[1].size}"
    # The notes say how it was chosen, with its cross-validated accuracy.
    notes = " ".join(report.split())
    grid = main_job.GROUP_GRID[f"{main_job.STEP}__group_l1_weight"]
    firsts = ", ".join(f"{value:g}" for value in sorted({a for a, _ in grid}))
    seconds = ", ".join(f"{value:g}" for value in sorted({b for _, b in grid}))
    assert (
        f"the best 3-fold cross-validated accuracy ({search.best_score_:.4f}) of "
        f"GridSearchCV over {firsts} x {seconds} ({len(grid)} candidates"
    ) in notes
    assert (
        f"What the group penalty alone keeps. skreg, best of GridSearchCV "
        f"({row['setting']}): {kept(row)}, {row['units']} hidden units kept."
    ) in notes


def test_the_footnote_mapping_of_alpha_gives_the_same_fit():
    # On one full batch, scikit-learn's alpha and the l2_weight the job
    # prints for it train the same network, weight for weight.
    X_train, _, y_train, _ = main_job.make_data(0)
    X, y = X_train[:200], y_train[:200]
    alpha = 10.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sklearn_fit = main_job.make_sklearn_model(5, 0, alpha=alpha).fit(X, y)
        skreg_fit = main_job.make_model(
            5, 0, l2_weight=main_job.equivalent_l2_weight(alpha, len(y))
        ).fit(X, y)
    for ours, theirs in zip(skreg_fit[-1].coefs_, sklearn_fit[-1].coefs_, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


def kept(row):
    """A row's kept_summary, from its printed cells."""
    return (
        f"test accuracy {row['test acc']}, "
        f"{float(row['zero W1']):.0%} of first-layer weights exactly 0, "
        f"{row['inputs']} inputs kept ({row['informative']} informative)"
    )


def test_best_rows_agree_with_the_search_table(tiny_run):
    report, _ = tiny_run
    searches = search_table(report)
    warm = searches["WarmStartGridSearchCV"]
    notes = " ".join(report.split())
    if searches["GridSearchCV"][2] == warm[2]:
        best = table_row(report, "skreg", "l1_weight=", main_job.BOTH_SEARCHES)
        assert best["setting"] == warm[2]
        assert best["test acc"] == warm[4]
        assert "GridSearchCV and WarmStartGridSearchCV chose the same lambdas" in notes
    else:
        assert "GridSearchCV chose other lambdas than WarmStartGridSearchCV" in notes
        for name, cells in searches.items():
            row = table_row(report, "skreg", "l1_weight=", name)
            assert row["setting"] == cells[2]
            assert row["test acc"] == cells[4]
        best = table_row(report, "skreg", "l1_weight=", "WarmStartGridSearchCV")
    # The comparison line quotes WarmStartGridSearchCV's best and sklearn's.
    sklearn = table_row(report, "sklearn", "alpha=")
    alpha = sklearn["setting"]

    assert (
        f"What the L1 penalties buy. skreg, best of WarmStartGridSearchCV ({warm[2]}): "
        f"{kept(best)}. sklearn, best of GridSearchCV ({alpha}): {kept(sklearn)}."
    ) in notes


@pytest.mark.parametrize("same", [True, False])
def test_best_rows_name_the_search_that_chose(same):
    X_train, X_test, y_train, y_test = main_job.make_data(0)
    pipeline = main_job.make_model(TINY_MAX_ITER, 0)
    main_job.quietly(lambda: pipeline.fit(X_train, y_train))
    step = main_job.STEP
    warm = SimpleNamespace(
        best_params_={f"{step}__l1_weight": 0.01, f"{step}__l2_weight": 0.0},
        best_estimator_=pipeline,
    )
    grid = SimpleNamespace(
        best_params_={
            f"{step}__l1_weight": 0.01 if same else 0.02,
            f"{step}__l2_weight": 0.0,
        },
        best_estimator_=pipeline,
    )
    rows, sentence = main_job.best_rows(
        {"GridSearchCV": grid, "WarmStartGridSearchCV": warm}, X_test, y_test
    )
    if same:
        assert [(row["setting"], row["chosen by"]) for row in rows] == [
            ("l1_weight=0.01, l2_weight=0", main_job.BOTH_SEARCHES)
        ]
        assert "chose the same" in sentence
    else:
        assert [(row["setting"], row["chosen by"]) for row in rows] == [
            ("l1_weight=0.01, l2_weight=0", "WarmStartGridSearchCV"),
            ("l1_weight=0.02, l2_weight=0", "GridSearchCV"),
        ]
        assert "chose other lambdas" in sentence
    assert all(row["model"] == "skreg" for row in rows)


def test_rows_report_what_the_models_kept():
    X_train, X_test, y_train, y_test = main_job.make_data(0)
    assert X_train.shape == (main_job.N_TRAIN, main_job.N_FEATURES)
    pipeline = main_job.make_model(5, 0, l1_bias=0.01)
    main_job.quietly(lambda: pipeline.fit(X_train, y_train))
    row = main_job.describe("l1_bias", main_job.BY_HAND, pipeline, X_test, y_test)
    assert (row["setting"], row["chosen by"]) == ("l1_bias", main_job.BY_HAND)
    biases = np.concatenate(pipeline[-1].intercepts_)
    # The proximal L1 bias penalty zeroes biases exactly; the row counts them.
    assert row["zero biases"] == f"{np.count_nonzero(biases == 0)}/{biases.size}"
    units = live_units(pipeline[-1].coefs_)
    kept = np.flatnonzero(units[0])
    assert row["inputs"] == f"{kept.size}/{main_job.N_FEATURES}"
    assert np.all(pipeline[-1].feature_importances_[kept] > 0)
    assert row["units"] == f"{units[1].sum()}/{units[1].size}"
    assert row["test acc"] == pipeline.score(X_test, y_test)


def test_plot_saves_the_search_figure(tiny_run):
    report, figure = tiny_run
    assert figure.stat().st_size > 0
    assert f"saved to {figure}" in report


def test_help_explains_the_options():
    result = subprocess.run(
        [sys.executable, "-m", "skreg", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    for option in ("--max-iter", "--repeats", "--random-state", "--plot"):
        assert option in result.stdout


@pytest.mark.parametrize("arguments", [["--repeats", "0"], ["--max-iter", "0"]])
def test_bad_arguments_exit_with_a_message(arguments, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main_job.main(arguments)
    assert exit_info.value.code == 2
    assert "--max-iter and --repeats must be at least 1" in capsys.readouterr().err


@pytest.mark.parametrize(
    "filename, message",
    [
        ("no-such-folder/path.png", "does not exist"),
        ("path.unknown-format", "must name an image format"),
        ("path", "must name an image format"),
    ],
)
def test_bad_plot_path_fails_before_any_fit(tmp_path, filename, message):
    result = subprocess.run(
        [sys.executable, "-m", "skreg", "--plot", str(tmp_path / filename)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert message in result.stderr
    # One line of error after the usage line: no traceback.
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
