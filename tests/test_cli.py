"""The main job, `python -m sk_softmax`: CSVs as people have them, a fair comparison.

Each CSV case of the command line's issue has its test, on a file written in
``tmp_path``: it either fits, with a note saying what was done to the data, or
stops with one line naming the problem and the fix (exit status 2).
"""

from importlib.util import find_spec

import joblib
import numpy as np
import pytest
from cli_helpers import fails, iris_frame, row, run
from sklearn.datasets import load_wine

from sk_softmax.__main__ import main
from sk_softmax._cli import _compare, _read

pd = pytest.importorskip("pandas")
NEEDS_MATPLOTLIB = pytest.mark.skipif(find_spec("matplotlib") is None, reason="no matplotlib")


# --- the CSV cases ---------------------------------------------------------------------


def test_text_feature_column_is_one_hot_encoded(tmp_path, capsys):
    path = tmp_path / "flowers.csv"
    iris_frame().to_csv(path, index=False)
    out = run(["--dataset", str(path), "--target", "species"], capsys)
    # 4 numeric columns and 3 regions: 7 features from 5 columns
    assert "n_features=7 from 5 columns" in out
    assert "one-hot encoded 1 text column(s)" in out and "region (3)" in out
    assert float(row(out, "SoftmaxClassifier")["test acc"]) > 0.8


@pytest.mark.parametrize("marker", ["", "NA", "?"])
def test_missing_values_are_imputed(tmp_path, capsys, marker):
    frame = iris_frame()
    frame["sepal_width"] = frame["sepal_width"].astype(object)
    frame.loc[[3, 40, 77], "sepal_width"] = marker
    frame.loc[[5, 90], "region"] = marker
    path = tmp_path / "gaps.csv"
    frame.to_csv(path, index=False)
    out = run(["--dataset", str(path), "--target", "species"], capsys)
    # the numbers stay numbers; the text column gets one more category, 'missing'
    assert "n_features=8 from 5 columns" in out
    assert "sepal_width (3) by the training median" in out
    assert "region (2) as a category 'missing'" in out


def test_semicolons_and_decimal_commas_are_detected(tmp_path, capsys):
    frame = iris_frame()
    frame.to_csv(tmp_path / "comma.csv", index=False)
    frame.to_csv(tmp_path / "semi.csv", index=False, sep=";", decimal=",")
    semi = run(["--dataset", str(tmp_path / "semi.csv"), "--target", "species"], capsys)
    assert "separated by semicolons" in semi and "decimal comma" in semi
    comma = run(["--dataset", str(tmp_path / "comma.csv"), "--target", "species"], capsys)
    # the same numbers: the same fit, to the digit
    assert (
        row(semi, "SoftmaxClassifier")["objective"] == row(comma, "SoftmaxClassifier")["objective"]
    )
    tab = tmp_path / "tab.txt"
    frame.to_csv(tab, index=False, sep="\t")
    assert "separated by tabs" in run(["--dataset", str(tab), "--target", "species"], capsys)


def test_words_among_numbers_and_explicit_format_flags(tmp_path, capsys):
    frame = iris_frame()
    frame["sepal_width"] = frame["sepal_width"].astype(object)
    frame.loc[[3, 40], "sepal_width"] = "unknown"
    path = tmp_path / "pipes.txt"
    frame.to_csv(path, index=False, sep="|")
    out = run(["--dataset", str(path), "--target", "species"], capsys)
    # one word makes the column text: said, with the flag that fixes it
    assert "column 'sepal_width' is read as text because of values such as 'unknown'" in out
    assert "--na-values unknown" in out
    argv = ["--dataset", str(path), "--target", "species", "--sep", "pipe"]
    out = run([*argv, "--na-values", "unknown"], capsys)
    assert "sepal_width (2) by the training median" in out
    assert "n_features=7 from 5 columns" in out and "separated by" not in out


def test_excel_byte_order_mark_and_spaces_after_commas(tmp_path, capsys):
    path = tmp_path / "excel.csv"
    text = iris_frame().to_csv(index=False).replace(",", ", ")
    path.write_text(text, encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    out = run(["--dataset", str(path), "--target", "species"], capsys)
    assert "n_features=7 from 5 columns" in out
    assert "setosa 50, versicolor 50, virginica 50" in out  # labels stripped too


def test_saved_index_column_is_dropped_with_a_note(tmp_path, capsys):
    frame = iris_frame()  # sorted by class: the row number alone gives the class
    frame.to_csv(tmp_path / "indexed.csv")
    frame.to_csv(tmp_path / "plain.csv", index=False)
    indexed = run(["--dataset", str(tmp_path / "indexed.csv"), "--target", "species"], capsys)
    assert "dropped the nameless first column (it counts the rows" in indexed
    plain = run(["--dataset", str(tmp_path / "plain.csv"), "--target", "species"], capsys)
    for name in ("SoftmaxClassifier", "LogisticRegression"):
        assert row(indexed, name)["objective"] == row(plain, name)["objective"]


def test_row_counter_column_gets_a_note(tmp_path, capsys):
    frame = iris_frame()
    frame.insert(0, "id", np.arange(1, 151))
    path = tmp_path / "ids.csv"
    frame.to_csv(path, index=False)
    out = run(["--dataset", str(path), "--target", "species"], capsys)
    assert "column 'id' counts the rows (1, 2, 3, ...)" in out and "--drop id" in out
    out = run(["--dataset", str(path), "--target", "species", "--drop", "id"], capsys)
    assert "left out: id (--drop)" in out and "n_features=7 from 5 columns" in out


def test_continuous_target_is_one_short_line(tmp_path, capsys):
    path = tmp_path / "flowers.csv"
    iris_frame().to_csv(path, index=False)
    err = fails(["--dataset", str(path), "--target", "petal_length"], capsys)
    assert "the target 'petal_length' is continuous" in err and "--target" in err
    assert len(err) < 250


def test_header_only_file(tmp_path, capsys):
    path = tmp_path / "empty.csv"
    path.write_text("a,b,species\n")
    err = fails(["--dataset", str(path), "--target", "species"], capsys)
    assert "has a header but no data rows" in err


def test_empty_file(tmp_path, capsys):
    path = tmp_path / "nothing.csv"
    path.write_text("")
    assert "is empty" in fails(["--dataset", str(path), "--target", "species"], capsys)


def test_target_with_one_class(tmp_path, capsys):
    path = tmp_path / "setosa.csv"
    iris_frame().head(50).to_csv(path, index=False)
    err = fails(["--dataset", str(path), "--target", "species"], capsys)
    assert "has a single class ('setosa')" in err and "--target" in err


def test_identifier_as_target(tmp_path, capsys):
    frame = iris_frame()
    frame["name"] = [f"flower {i}" for i in range(150)]
    path = tmp_path / "named.csv"
    frame.to_csv(path, index=False)
    err = fails(["--dataset", str(path), "--target", "name"], capsys)
    assert "has 150 classes in 150 rows" in err


def test_class_with_a_single_row(tmp_path, capsys):
    frame = iris_frame()
    frame.loc[0, "species"] = "rare"
    path = tmp_path / "rare.csv"
    frame.to_csv(path, index=False)
    err = fails(["--dataset", str(path), "--target", "species"], capsys)
    assert "have a single row ('rare')" in err


def test_rows_without_a_label_are_dropped(tmp_path, capsys):
    frame = iris_frame()
    frame.loc[[0, 60], "species"] = np.nan
    path = tmp_path / "unlabelled.csv"
    frame.to_csv(path, index=False)
    out = run(["--dataset", str(path), "--target", "species"], capsys)
    assert "dropped 2 rows with no value in the target" in out and "n_samples=148" in out


def test_integer_labels_with_gaps_stay_integers(tmp_path, capsys):
    X, y = load_wine(return_X_y=True)
    frame = pd.DataFrame(X[:, :4], columns=list("abcd")).assign(cls=y.astype(float))
    frame.loc[[0, 100], "cls"] = np.nan
    path = tmp_path / "wine.csv"
    frame.to_csv(path, index=False)
    out = run(["--dataset", str(path), "--target", "cls"], capsys)
    assert "classes (rows): 0 58, 1 70, 2 48" in out


def test_whole_number_labels_beyond_int64_stay_distinct(tmp_path, capsys):
    # read as floats; a cast to int64 merged 1e19 and 2e19 into one wrong label before
    X, _ = load_wine(return_X_y=True)
    labels = np.array([0.0, 1e19, 2e19])[np.arange(len(X)) % 3]
    path = tmp_path / "big.csv"
    pd.DataFrame(X[:, :4], columns=list("abcd")).assign(cls=labels).to_csv(path, index=False)
    out = run(["--dataset", str(path), "--target", "cls", "--repeat", "1"], capsys)
    assert "classes (rows): 0 60, 10000000000000000000 59, 20000000000000000000 59" in out


def test_an_infinite_label_is_one_short_line(tmp_path, capsys):
    # it was called a continuous target ("such as 0, 1, inf")
    X, y = load_wine(return_X_y=True)
    labels = y.astype(float)
    labels[5] = np.inf
    path = tmp_path / "wine.csv"
    pd.DataFrame(X[:, :4], columns=list("abcd")).assign(cls=labels).to_csv(path, index=False)
    err = fails(["--dataset", str(path), "--target", "cls"], capsys)
    assert "the target 'cls' has 1 infinite value(s): class labels must be finite" in err


@pytest.mark.parametrize("encode", [[], ["--no-encode"]])
def test_infinite_values_are_one_short_line(tmp_path, capsys, encode):
    frame = iris_frame().drop(columns="region")
    frame["sepal_width"] = frame["sepal_width"].astype(object)
    frame.loc[0, "species"] = np.nan  # a dropped row does not shift the row named
    frame.loc[7, "sepal_width"] = "-inf"  # (pandas 3 reads -1e999 so too, pandas 2.0 as text)
    path = tmp_path / "inf.csv"
    frame.to_csv(path, index=False)
    err = fails(["--dataset", str(path), "--target", "species", *encode], capsys)
    assert "column 'sepal_width' has 1 infinite value(s) (e.g. -inf in data row 8)" in err
    assert "--drop sepal_width" in err and len(err) < 250


def test_unknown_target_suggests_the_close_name(tmp_path, capsys):
    path = tmp_path / "flowers.csv"
    iris_frame().to_csv(path, index=False)
    err = fails(["--dataset", str(path), "--target", "Species"], capsys)
    assert "no column 'Species'" in err and "did you mean 'species'?" in err


def test_ragged_rows_and_wrong_encoding(tmp_path, capsys):
    path = tmp_path / "ragged.csv"
    path.write_text("a,b,y\n1,2,x\n3,4,y,5\n5,6,x\n")
    err = fails(["--dataset", str(path), "--target", "y"], capsys)
    assert "cannot parse" in err and "--sep" in err
    path = tmp_path / "latin.csv"
    rows = "".join(f"{i},{'Orléans' if i % 2 else 'Lyon'},{'xy'[i % 2]}\n" for i in range(20))
    path.write_bytes(("a,ville,y\n" + rows).encode("cp1252"))
    assert "--encoding cp1252" in fails(["--dataset", str(path), "--target", "y"], capsys)
    out = run(["--dataset", str(path), "--target", "y", "--encoding", "cp1252"], capsys)
    assert "ville (2)" in out


def test_no_encode_is_strict(tmp_path, capsys):
    path = tmp_path / "flowers.csv"
    iris_frame().to_csv(path, index=False)
    err = fails(["--dataset", str(path), "--target", "species", "--no-encode"], capsys)
    assert "column 'region' is not numeric (e.g." in err
    frame = iris_frame().drop(columns="region")
    frame.loc[3, "sepal_width"] = np.nan
    frame.to_csv(path, index=False)
    err = fails(["--dataset", str(path), "--target", "species", "--no-encode"], capsys)
    assert "column 'sepal_width' has 1 missing value(s)" in err


def test_large_csv_shows_reading_progress(tmp_path, capsys):
    path = tmp_path / "flowers.csv"
    iris_frame().to_csv(path, index=False)
    # forced with --progress (by default: on a terminal, for files of 32 MB or more)
    assert main(["--dataset", str(path), "--target", "species", "--progress", "--repeat", "1"]) == 0
    err = capsys.readouterr().err
    assert "reading flowers.csv: 100%" in err and "read flowers.csv:" in err


def test_long_fits_show_scikit_learns_progress_bar(capsys):
    pytest.importorskip("rich")
    # forced with --progress (by default: on a terminal, when rows x features x classes
    # reach 1e8); the first fit of each estimator carries a ProgressBar callback
    assert main(["--dataset", "iris", "--progress", "--repeat", "2"]) == 0
    out = capsys.readouterr().out
    assert "SoftmaxClassifier - fit" in out and "LogisticRegression - fit" in out
    assert out.count("SoftmaxClassifier - fit") == 1  # the first fit only


# --- the comparison --------------------------------------------------------------------


def test_report_on_a_bundled_data_set(capsys):
    assert main(["--dataset", "wine"]) == 0
    out = capsys.readouterr().out
    ours = row(out, "SoftmaxClassifier")
    for column in ("solver", "C", "fit (s)", "predict (s)", "iters", "converged", "train acc",
                   "test acc", "test log-loss", "objective"):  # fmt: skip
        assert column in ours
    assert "classes (rows): class_0 59, class_1 71, class_2 48" in out
    assert "medians of 3 fits" in out and "threads:" in out
    assert "precision" in out and "recall" in out  # scikit-learn's classification_report
    assert "confusion matrix of SoftmaxClassifier" in out
    # raw wine: LogisticRegression's lbfgs stops at max_iter, and the hint names the flags
    assert row(out, "LogisticRegression")["converged"] == "NO"
    assert (
        "hint: LogisticRegression (lbfgs) did not converge in 100 iterations: raise --max-iter"
        in out
    )


def test_two_classes_state_logistic_regressions_C(capsys):
    out = run(["--dataset", "breast_cancer", "--scale", "--C", "0.5"], capsys)
    assert row(out, "SoftmaxClassifier")["C"] == "0.5"
    assert row(out, "LogisticRegression")["C"] == "1"
    assert "LogisticRegression is fitted at C=1, twice --C" in out
    # the same objective: both at its optimum agree to the solvers' tolerance
    ours = float(row(out, "SoftmaxClassifier")["objective"])
    theirs = float(row(out, "LogisticRegression")["objective"])
    assert abs(theirs - ours) <= 1e-3 * ours


def test_max_iter_and_tol_reach_both_estimators(capsys):
    out = run(["--dataset", "iris", "--max-iter", "2", "--tol", "1e-3"], capsys)
    for name in ("SoftmaxClassifier", "LogisticRegression"):
        assert row(out, name)["iters"] == "2" and row(out, name)["converged"] == "NO"
    assert "tol: SoftmaxClassifier 0.001, LogisticRegression 0.001 (--tol)" in out
    assert "hint: SoftmaxClassifier (newton-cholesky) did not converge in 2 iterations" in out


def test_repeats_interleaved_under_one_thread_limit(monkeypatch, capsys):
    from threadpoolctl import threadpool_info

    seen = []
    original = _compare.estimators

    def spying(args, n_classes):
        out = []
        for name, est, C in original(args, n_classes):
            fit = type(est).fit

            def recording_fit(self, X, y, _fit=fit, _name=name, **kw):
                blas = {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}
                seen.append((_name, blas))
                return _fit(self, X, y, **kw)

            cls = type(type(est).__name__, (type(est),), {"fit": recording_fit})
            out.append((name, cls(**est.get_params()), C))
        return out

    monkeypatch.setattr(_compare, "estimators", spying)
    assert main(["--dataset", "iris", "--repeat", "3", "--threads", "1"]) == 0
    names = [name for name, _ in seen]
    assert names == ["SoftmaxClassifier", "LogisticRegression"] * 3
    assert all(blas == {1} for _, blas in seen)
    assert "threads: 1 for both" in capsys.readouterr().out


def test_save_writes_a_pipeline_that_predicts_raw_rows(tmp_path, capsys):
    frame = iris_frame()
    frame.loc[[4, 9], "sepal_width"] = np.nan
    path, model = tmp_path / "flowers.csv", tmp_path / "model.joblib"
    frame.to_csv(path, index=False)
    out = run(["--dataset", str(path), "--target", "species", "--save", str(model)], capsys)
    assert f"model saved to {model}" in out
    pipeline = joblib.load(model)
    raw = pd.read_csv(path).drop(columns="species")
    accuracy = np.mean(pipeline.predict(raw) == frame["species"])
    assert accuracy > 0.9 and pipeline.predict_proba(raw).shape == (150, 3)


@NEEDS_MATPLOTLIB
def test_plot_writes_exactly_the_path_given(tmp_path, capsys):
    out = tmp_path / "cmp.pdf"
    run(["--dataset", "wine", "--plot", str(out)], capsys)
    assert out.read_bytes().startswith(b"%PDF") and [p.name for p in tmp_path.iterdir()] == [
        "cmp.pdf"
    ]


def test_separator_detection_unit():
    assert _read.detect_separator("a;b;c\n1,5;2,5;x\n") == ";"
    assert _read.detect_separator("a,b\n1,2\n") == ","
    assert _read.detect_separator("a\tb\n1\t2\n") == "\t"
    assert _read.detect_separator("only\n1\n") == ","
    # quoted separators do not count
    assert _read.detect_separator('name,v\n"Smith; J",1\n"Doe; A",2\n') == ","
    assert _read.detect_decimal([["1,5", "2,25", "x"]], ";") == ","
    assert _read.detect_decimal([["1,5", "2.25", "x"]], ";") == "."


def test_bench_read_runs_on_a_small_file(tmp_path):
    import importlib.util
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_read.py"
    spec = importlib.util.spec_from_file_location("bench_read", script)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    path = tmp_path / "small.csv"
    bench.write_csv(path, 300)
    assert pd.read_csv(path).shape == (300, 21)
    for case in bench.CASES:  # timings are never asserted: only that each case runs
        result = bench.run(str(path), case)
        assert result["seconds"] > 0 and result["rss_after"] >= result["rss_before"]
