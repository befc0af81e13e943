"""Reading CSV / TSV / JSONL / Parquet: line numbers, broken rows as rejects, whole-file errors."""

from __future__ import annotations

import gzip

import pytest

from retrieval.ingest.readers import apply_mapping, parse_mapping, read_rows, require_columns
from retrieval.types import InputFileError, Reject

HEADER = "product_id,title,price\n"


def _write(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def _split(source):
    items = list(source)
    rows = [i for i in items if not isinstance(i, Reject)]
    rejects = [i for i in items if isinstance(i, Reject)]
    return rows, rejects


def test_csv_rows_carry_their_physical_line_numbers(tmp_path):
    path = _write(tmp_path, "p.csv", HEADER + "p1,Kettle,3.42\n\np2,Toaster,5\n")
    rows, rejects = _split(read_rows(path))
    assert rejects == []
    assert rows == [
        (2, {"product_id": "p1", "title": "Kettle", "price": "3.42"}),
        (4, {"product_id": "p2", "title": "Toaster", "price": "5"}),
    ]


def test_multiline_quoted_field_lands_and_keeps_later_line_numbers(tmp_path):
    text = HEADER + 'p1,"Kettle\nwith two\nlines",3\np2,Toaster,5\n'
    rows, rejects = _split(read_rows(_write(tmp_path, "p.csv", text)))
    assert rejects == []
    assert rows[0] == (2, {"product_id": "p1", "title": "Kettle\nwith two\nlines", "price": "3"})
    assert rows[1][0] == 5


def test_wrong_field_count_is_rejected_and_later_rows_land(tmp_path):
    text = HEADER + "p1,Kettle,3\np2,Toaster\np3,Lamp,4,extra\np4,Mug,2\n"
    rows, rejects = _split(read_rows(_write(tmp_path, "p.csv", text)))
    assert [(r.line, r.reason) for r in rejects] == [
        (3, "2 fields, header has 3"),
        (4, "4 fields, header has 3"),
    ]
    assert [line for line, _ in rows] == [2, 5]
    assert rejects[0].row["raw"] == "p2,Toaster"


def test_trailing_empty_fields_are_not_an_error(tmp_path):
    rows, rejects = _split(read_rows(_write(tmp_path, "p.csv", HEADER + "p1,Kettle,3,,\n")))
    assert rejects == [] and rows[0][1]["price"] == "3"


def test_unterminated_quote_mid_file_rejects_one_row_and_recovers_the_rest(tmp_path):
    text = HEADER + 'p1,Kettle,3\np2,"Broken title,4\np3,"Lamp, tall",5\np4,Mug,2\np5,Cup,1\n'
    rows, rejects = _split(read_rows(_write(tmp_path, "p.csv", text)))
    assert [r.line for r in rejects] == [3]
    assert "unterminated quote" in rejects[0].reason
    assert [(line, row["product_id"]) for line, row in rows] == [
        (2, "p1"),
        (4, "p3"),
        (5, "p4"),
        (6, "p5"),
    ]
    assert rows[1][1]["title"] == "Lamp, tall"


def test_quote_open_to_end_of_file_is_rejected_not_swallowed(tmp_path):
    text = HEADER + 'p1,Kettle,3\np2,"Toaster,5\np3,Lamp,4\np4,Mug,2'
    rows, rejects = _split(read_rows(_write(tmp_path, "p.csv", text)))
    assert [r.line for r in rejects] == [3]
    assert "end of the file" in rejects[0].reason
    assert [row["product_id"] for _, row in rows] == ["p1", "p3", "p4"]


def test_truncated_last_line_is_rejected(tmp_path):
    rows, rejects = _split(read_rows(_write(tmp_path, "p.csv", HEADER + "p1,Kettle,3\np2,Toa")))
    assert [row["product_id"] for _, row in rows] == ["p1"]
    assert [(r.line, r.reason) for r in rejects] == [(3, "2 fields, header has 3")]


def test_lines_with_invalid_utf8_are_rejected_and_the_rest_land(tmp_path):
    data = (HEADER + "p1,Café kettle,£3\n").encode() + b"p2,Bad \xff\xfe title,4\np3,Mug,2\n"
    source = read_rows(_write(tmp_path, "p.csv", data))
    rows, rejects = _split(source)
    assert [(r.line, r.reason) for r in rejects] == [(3, "invalid UTF-8 bytes")]
    assert [row["title"] for _, row in rows] == ["Café kettle", "Mug"]
    assert any("invalid UTF-8" in w for w in source.warnings)


def test_a_cp1252_file_is_read_as_cp1252_and_says_so(tmp_path):
    data = (HEADER + "p1,Café kettle,£3.42\n").encode("cp1252")
    source = read_rows(_write(tmp_path, "p.csv", data))
    rows, rejects = _split(source)
    assert rejects == []
    assert rows[0][1] == {"product_id": "p1", "title": "Café kettle", "price": "£3.42"}
    assert source.encoding == "cp1252"
    assert any("cp1252" in w for w in source.warnings)


def test_utf8_bom_does_not_leak_into_the_first_column_name(tmp_path):
    source = read_rows(_write(tmp_path, "p.csv", b"\xef\xbb\xbf" + (HEADER + "p1,K,3\n").encode()))
    assert source.columns == ["product_id", "title", "price"]


def test_utf16_file_is_read(tmp_path):
    source = read_rows(_write(tmp_path, "p.csv", (HEADER + "p1,Kettle,3\n").encode("utf-16")))
    rows, _ = _split(source)
    assert rows[0][1]["title"] == "Kettle"


def test_tsv_and_gzip(tmp_path):
    tsv = _write(tmp_path, "p.tsv", "product_id\ttitle\np1\tKettle, steel\n")
    assert _split(read_rows(tsv))[0] == [(2, {"product_id": "p1", "title": "Kettle, steel"})]
    gz = _write(tmp_path, "p.csv.gz", gzip.compress((HEADER + "p1,Kettle,3\n").encode()))
    assert _split(read_rows(gz))[0][0][1]["title"] == "Kettle"


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("p.csv", b"", "p.csv is empty (0 bytes)"),
        ("p.csv", b"\n  \n", "p.csv is empty: no header row"),
        ("p.csv", HEADER.encode(), "p.csv has a header row but no data rows"),
        ("p.csv", b"a,b,a\n1,2,3\n", "column 'a' appears twice"),
        ("p.xlsx", b"x", "cannot tell the format of p.xlsx"),
        ("p.csv", b"PK\x03\x04rest", "zip/Excel file"),
        ("p.jsonl", b"\n\n", "p.jsonl is empty"),
        ("p.jsonl", b'[\n{"a": 1}\n]\n', "JSON array, not JSON Lines"),
        ("p.parquet", b"not parquet", "not a readable Parquet file"),
    ],
)
def test_unreadable_files_raise_one_line_reasons(tmp_path, name, content, expected):
    path = _write(tmp_path, name, content)
    with pytest.raises(InputFileError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        read_rows(path)


def test_missing_file_directory_and_bad_format_name(tmp_path):
    with pytest.raises(InputFileError, match="not found"):
        read_rows(tmp_path / "nope.csv")
    with pytest.raises(InputFileError, match="is a directory"):
        read_rows(tmp_path, fmt="csv")
    with pytest.raises(InputFileError, match="unknown format 'xml'"):
        read_rows(_write(tmp_path, "p.csv", HEADER + "p1,K,3\n"), fmt="xml")


def test_format_option_overrides_the_extension(tmp_path):
    path = _write(tmp_path, "export.txt", '{"product_id": "p1"}\n')
    assert _split(read_rows(path, fmt="jsonl"))[0] == [(1, {"product_id": "p1"})]


def test_jsonl_bad_lines_are_rejected_with_the_json_error(tmp_path):
    text = (
        '{"product_id": "p1"}\n\n{"product_id": "p2", "ti\n[1, 2]\n{"product_id": "p3", "x": 1}\n'
    )
    source = read_rows(_write(tmp_path, "p.jsonl", text))
    rows, rejects = _split(source)
    assert [line for line, _ in rows] == [1, 5]
    assert rejects[0].line == 3 and rejects[0].reason.startswith("invalid JSON: ")
    assert (rejects[1].line, rejects[1].reason) == (4, "expected a JSON object, got an array")
    assert source.columns == ["product_id", "x"]


def test_parquet_rows_are_numbered_from_one(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "p.parquet"
    pq.write_table(pa.table({"product_id": ["a", "b"], "price": [3.42, None]}), path)
    source = read_rows(path)
    assert source.columns == ["product_id", "price"]
    assert list(source) == [
        (1, {"product_id": "a", "price": 3.42}),
        (2, {"product_id": "b", "price": None}),
    ]


def test_empty_parquet_is_an_input_error(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "p.parquet"
    pq.write_table(pa.table({"product_id": pa.array([], pa.string())}), path)
    with pytest.raises(InputFileError, match="has no rows"):
        read_rows(path)


def test_parse_mapping_reads_pairs_and_explains_bad_ones():
    assert parse_mapping(["title=product_name", " brand = maker "]) == {
        "title": "product_name",
        "brand": "maker",
    }
    for bad in ["title", "=name", "title="]:
        with pytest.raises(ValueError, match="write canonical=column"):
            parse_mapping([bad])
    with pytest.raises(ValueError, match="gives 'title' twice"):
        parse_mapping(["title=a", "title=b"])
    with pytest.raises(ValueError, match="unknown field 'titel'"):
        parse_mapping(["titel=a"], fields=["title"])


def test_apply_mapping_renames_and_matches_field_names_loosely():
    row = {"Product ID": "p1", "product_name": "Kettle", "title": "old", "colour": "red"}
    got = apply_mapping(row, {"title": "product_name"}, fields=["product_id", "title"])
    assert got == {"product_id": "p1", "title": "Kettle", "colour": "red"}


def test_require_columns_names_the_missing_column_and_suggests_a_map():
    with pytest.raises(InputFileError) as err:
        require_columns("p.csv", ["uniq_id", "name"], ["product_id"], None, ["product_id"])
    assert "p.csv has no 'product_id' column; columns are: uniq_id, name" in str(err.value)
    assert "--map product_id=" in str(err.value)
    with pytest.raises(InputFileError, match="no column 'nam' \\(from --map title=nam\\)"):
        require_columns("p.csv", ["name"], ["title"], {"title": "nam"})
