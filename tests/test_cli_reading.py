"""The command line's reading of CSV files as people have them, beyond the common cases
of tests/test_cli.py: line endings, spaces around missing-value markers, wide files,
quoted line breaks, duplicate names, and the messages of what goes wrong."""

import numpy as np
import pytest
from cli_helpers import fails, iris_frame, row, run

from sk_softmax._cli import _sniff

pd = pytest.importorskip("pandas")


def test_old_macintosh_line_endings(tmp_path, capsys):
    # Excel for Mac's "CSV (Macintosh)" ends its lines with CR alone: the sample's
    # reader raised "new-line character seen in unquoted field", --sep or not
    frame = iris_frame()
    frame.to_csv(tmp_path / "lf.csv", index=False, sep=";", decimal=",")
    frame.to_csv(tmp_path / "cr.csv", index=False, sep=";", decimal=",", lineterminator="\r")
    assert b"\n" not in (tmp_path / "cr.csv").read_bytes()
    lf = run(["--dataset", str(tmp_path / "lf.csv"), "--target", "species"], capsys)
    for sep in ([], ["--sep", ";"]):
        cr = run(["--dataset", str(tmp_path / "cr.csv"), "--target", "species", *sep], capsys)
        assert "n_samples=150, n_features=7 from 5 columns" in cr and "decimal comma" in cr
        assert (
            row(cr, "SoftmaxClassifier")["objective"] == row(lf, "SoftmaxClassifier")["objective"]
        )


def test_missing_markers_with_spaces_around_them(tmp_path, capsys):
    # '1.5 , NA , a': skipinitialspace leaves 'NA ', which was text, so the column of
    # numbers was one-hot encoded (one feature per number); --na-values NA changed nothing
    rng = np.random.default_rng(5)
    lines = ["x1 , x2 , region , label"]
    for i in range(120):
        a, b = rng.normal(size=2)
        x1 = "NA" if i % 20 == 0 else f"{a:.3f}"
        region = " NA" if i % 30 == 0 else ["east", "west"][i % 2]
        lines.append(f"{x1} , {b:.3f} , {region} , {'p' if a + b > 0 else 'q'}")
    path = tmp_path / "spaces.csv"
    path.write_text("\n".join(lines) + "\n")
    out = run(["--dataset", str(path), "--target", "label"], capsys)
    assert "x1 (6) by the training median" in out and "region (4) as a category 'missing'" in out
    assert "n_features=5 from 3 columns" in out  # x1, x2, and east, west, missing
    # the same with decimal commas: the column is numbers once its markers are missing
    path.write_text("\n".join(lines).replace(",", ";").replace(".", ",") + "\n")
    out = run(["--dataset", str(path), "--target", "label"], capsys)
    assert "decimal comma" in out and "x1 (6) by the training median" in out


def test_na_values_are_stripped_like_drop(tmp_path, capsys):
    # --na-values "unknown, -": ' -' matched no cell (skipinitialspace reads '-')
    frame = iris_frame()
    frame["sepal_width"] = frame["sepal_width"].astype(object)
    frame.loc[[3, 40], "sepal_width"] = "unknown"
    frame.loc[[7], "sepal_width"] = "-"
    path = tmp_path / "marked.csv"
    frame.to_csv(path, index=False)
    out = run(["--dataset", str(path), "--target", "species", "--na-values", "unknown, -"], capsys)
    assert "sepal_width (3) by the training median" in out


def test_pandas_default_markers_are_the_ones_matched_with_spaces(tmp_path):
    from sk_softmax._cli._read import PANDAS_NA

    path = tmp_path / "markers.csv"
    path.write_text("a,b\n" + "".join(f"{marker},1\n" for marker in PANDAS_NA))
    assert pd.read_csv(path)["a"].isna().all()


def _wide(path, names, sep, decimal, n_rows=40):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(n_rows, len(names))).round(2), columns=names)
    frame["label"] = np.repeat(["a", "b"], n_rows // 2)
    frame.to_csv(path, sep=sep, decimal=decimal, index=False)
    assert len(path.read_text().splitlines()[0]) > _sniff.SAMPLE_BYTES


def test_wide_file_with_decimal_commas(tmp_path, capsys):
    # no data line in the first 64 KiB: the decimal comma went unseen, and 1700 numeric
    # columns were one-hot encoded into tens of thousands of features, silently
    path = tmp_path / "wide.csv"
    _wide(path, [f"measurement_{i:05d}_of_the_long_series_x" for i in range(1700)], ";", ",")
    for sep in ([], ["--sep", ";"]):
        out = run(["--dataset", str(path), "--target", "label", "--threads", "1", *sep], capsys)
        assert "n_features=1700," in out and "numbers with a decimal comma" in out


def test_lines_longer_than_the_longest_sample_name_the_flags(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(_sniff, "MAX_SAMPLE_BYTES", _sniff.SAMPLE_BYTES)
    path = tmp_path / "wide.csv"
    _wide(path, [f"measurement_{i:05d}_of_the_long_series_x" for i in range(1700)], ";", ",")
    err = fails(["--dataset", str(path), "--target", "label"], capsys)
    assert "first 0.0625 MiB" in err and "no whole line" in err
    assert "give its separator with --sep (and --decimal , for decimal commas)" in err
    err = fails(["--dataset", str(path), "--target", "label", "--sep", ";"], capsys)
    assert "give its decimal mark with --decimal (. or ,)" in err
    out = run(["--dataset", str(path), "--target", "label", "--sep", ";", "--decimal", ","], capsys)
    assert "n_features=1700," in out


def test_tab_separated_header_longer_than_64_kib(tmp_path, capsys):
    # it was read with commas as one column, and the error listed every name (82,107
    # characters) without naming --sep
    path = tmp_path / "genes.tsv"
    _wide(path, [f"ENSG{i:011d}_some_gene_description_x" for i in range(1700)], "\t", ".")
    out = run(["--dataset", str(path), "--target", "label", "--threads", "1"], capsys)
    assert "separated by tabs" in out and "n_features=1700," in out
    err = fails(["--dataset", str(path), "--target", "label", "--sep", ";"], capsys)
    assert len(err) < 300 and "read as one column" in err and "--sep" in err


def test_long_column_names_and_lists_are_cut_in_messages(tmp_path, capsys):
    path = tmp_path / "long.csv"
    names = [f"{'very_' * 30}long_{i}" for i in range(30)]
    pd.DataFrame(np.ones((4, 30)), columns=names).to_csv(path, index=False)
    err = fails(["--dataset", str(path), "--target", "label"], capsys)
    assert "and 22 more" in err and len(err) < 800


def test_quoted_cells_with_line_breaks(tmp_path, capsys):
    # the sample was 50 physical lines, cut inside a quoted cell: no separator split
    # every line alike, and the file was read with commas as one column
    rng = np.random.default_rng(0)
    x1, x2 = rng.normal(size=(2, 200)).round(3)
    comment = ["first line\nsecond line" * int(k) for k in rng.integers(0, 3, 200)]
    frame = pd.DataFrame({"x1": x1, "x2": x2, "comment": comment})
    frame["label"] = np.where(x1 + x2 > 0, "p", "q")
    path = tmp_path / "comments.csv"
    frame.to_csv(path, sep=";", index=False)
    out = run(["--dataset", str(path), "--target", "label"], capsys)
    assert "separated by semicolons" in out and "n_samples=200" in out
    assert "comment (2)" in out  # and empty cells, missing


def test_sample_records_leave_out_a_cut_quoted_cell(tmp_path):
    text = 'a;b\n1;"x"\n2;"first\nsecond'  # the sample ends inside the quoted cell
    assert _sniff.records(text, complete=False, sep=";") == [["a", "b"], ["1", "x"]]
    assert _sniff.detect_separator(text, complete=False) == ";"
    path = tmp_path / "mixed.csv"  # every line ending, read as '\n'
    path.write_bytes(b"a;b\r1,5;2\r\n3,5;4\n")
    sample = _sniff.read_sample(path, "utf-8")
    assert sample.text == "a;b\n1,5;2\n3,5;4\n" and sample.complete
    assert _sniff.detect_separator(sample.text) == ";"


def test_duplicate_column_names_are_refused(tmp_path, capsys):
    # pandas renames a second 'x' to 'x.1': it was kept, and --drop x left the copy in
    for header in ("x,x,z,label", "x ,x,z,label"):
        path = tmp_path / "dup.csv"
        path.write_text(
            header + "\n" + "".join(f"{i % 2},{i % 2},{i},{'ab'[i % 2]}\n" for i in range(40))
        )
        err = fails(["--dataset", str(path), "--target", "label", "--drop", "x"], capsys)
        assert "has several columns named 'x': rename them" in err
    # nameless columns are named by pandas, not duplicates: empty ones are dropped
    path.write_text("z,label,,\n" + "".join(f"{i},{'ab'[i % 2]},,\n" for i in range(40)))
    out = run(["--dataset", str(path), "--target", "label"], capsys)
    assert "dropped 2 empty column(s)" in out


def test_encoding_error_names_utf_8(tmp_path, capsys):
    path = tmp_path / "latin.csv"
    rows = "".join(f"{i},{'Orléans' if i % 2 else 'Lyon'},{'xy'[i % 2]}\n" for i in range(20))
    path.write_bytes(("a,ville,y\n" + rows).encode("cp1252"))
    err = fails(["--dataset", str(path), "--target", "y"], capsys)
    assert "is not utf-8 text" in err and "utf-8-sig" not in err


def test_unknown_column_message_has_its_semicolon(tmp_path, capsys):
    path = tmp_path / "flowers.csv"
    iris_frame().to_csv(path, index=False)
    err = fails(["--dataset", str(path), "--target", "zzz"], capsys)
    assert f"no column 'zzz' in '{path}'; its columns: 'sepal_length'" in err


def test_decimal_equal_to_the_detected_separator_is_refused(tmp_path, capsys):
    # refused with --sep only: with the separator detected, every column became text
    path = tmp_path / "flowers.csv"
    iris_frame().to_csv(path, index=False)
    err = fails(["--dataset", str(path), "--target", "species", "--decimal", ","], capsys)
    assert "--decimal ',' is the separator found in" in err and "(commas)" in err
