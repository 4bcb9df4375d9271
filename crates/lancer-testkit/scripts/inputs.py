"""Input files as users have them, written by pyarrow, Polars and DuckDB.

`python inputs.py DIR` writes them into DIR and prints, as its last line, a JSON list of
{"writer", "format", "table", "path"}: `table` is "common" (the same rows and columns from
every writer: the cross-writer appends use them) or "full" (as many types as that writer
has). `python inputs.py compare DATASET INPUT...` reads DATASET with pylance and the inputs
with pyarrow, and prints whether the dataset's rows are the inputs' rows, in order.

The Rust tests (lancer, lancer-cli) and the Python package's tests share this script, so
every entry point is tried on the same files.
"""

import datetime
import decimal
import json
import os
import sys

import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

ROWS = 7
UTC = datetime.timezone.utc


def common_values():
    """The rows of the common table, as Python values."""
    names = ["ann", None, "bo", "cy", "", "dee", "e" * 40]
    return {
        "id": list(range(ROWS)),
        "name": names,
        "vec": [[float(i + k) / 4 for k in range(4)] for i in range(ROWS)],
        "tags": [["a", "b"], [], None, ["c"], ["d", None], ["e"] * 3, ["f"]],
        "point": [{"x": float(i), "y": -float(i)} if i != 2 else None for i in range(ROWS)],
        "items": [[{"k": "p", "v": i}, {"k": "q", "v": None}] if i % 3 else [] for i in range(ROWS)],
        "props": [{"label": f"l{i}", "vals": list(range(i % 4))} for i in range(ROWS)],
        "ts": [datetime.datetime(2024, 1, 1 + i, 12, 30, tzinfo=UTC) for i in range(ROWS)],
    }


def common_pyarrow():
    values = common_values()
    schema = pa.schema(
        [
            ("id", pa.int64()),
            ("name", pa.string()),
            ("vec", pa.list_(pa.float32(), 4)),
            ("tags", pa.list_(pa.string())),
            ("point", pa.struct([("x", pa.float64()), ("y", pa.float64())])),
            ("items", pa.list_(pa.struct([("k", pa.string()), ("v", pa.int64())]))),
            ("props", pa.struct([("label", pa.string()), ("vals", pa.list_(pa.int64()))])),
            ("ts", pa.timestamp("us", tz="UTC")),
        ]
    )
    return pa.Table.from_pydict(values, schema=schema)


def full_pyarrow():
    rows = range(ROWS)
    point = pa.struct([("x", pa.int32()), ("y", pa.string())])
    columns = {
        "int8": pa.array([i - 3 for i in rows], pa.int8()),
        "int16": pa.array([i * 300 for i in rows], pa.int16()),
        "int32": pa.array([None if i == 3 else i * 70000 for i in rows], pa.int32()),
        "uint8": pa.array(list(rows), pa.uint8()),
        "uint16": pa.array(list(rows), pa.uint16()),
        "uint32": pa.array(list(rows), pa.uint32()),
        "uint64": pa.array([2**63 + i for i in rows], pa.uint64()),
        "float32": pa.array([i / 2 for i in rows], pa.float32()),
        "float64": pa.array([None if i == 1 else i / 3 for i in rows], pa.float64()),
        "bool": pa.array([i % 2 == 0 for i in rows], pa.bool_()),
        "utf8": pa.array(["x" * i for i in rows], pa.string()),
        "large_utf8": pa.array([f"big{i}" for i in rows], pa.large_string()),
        "utf8_view": pa.array([None if i == 4 else f"view-{i}" * (i + 1) for i in rows], pa.string_view()),
        "binary": pa.array([bytes([i]) * i for i in rows], pa.binary()),
        "large_binary": pa.array([bytes([i, i]) for i in rows], pa.large_binary()),
        "binary_view": pa.array([bytes([65 + i]) * 20 for i in rows], pa.binary_view()),
        "fixed_size_binary": pa.array([bytes([i] * 5) for i in rows], pa.binary(5)),
        "vector": pa.array([[float(i)] * 16 for i in rows], pa.list_(pa.float32(), 16)),
        "list_int32": pa.array([list(range(i)) for i in rows], pa.list_(pa.int32())),
        "large_list_utf8": pa.array([["s"] * i for i in rows], pa.large_list(pa.string())),
        "list_of_structs": pa.array([[{"x": i, "y": "a"}] for i in rows], pa.list_(point)),
        "list_of_lists": pa.array([[[i], []] for i in rows], pa.list_(pa.list_(pa.int64()))),
        "struct_with_list": pa.array(
            [{"a": i, "l": ["p"] * (i % 3)} for i in rows],
            pa.struct([("a", pa.int32()), ("l", pa.list_(pa.string()))]),
        ),
        "map": pa.array([[("k", i), ("j", None)] for i in rows], pa.map_(pa.string(), pa.int64())),
        "date32": pa.array([datetime.date(2020, 1, 1 + i) for i in rows], pa.date32()),
        "time64_us": pa.array([datetime.time(1, i) for i in rows], pa.time64("us")),
        "ts_ns": pa.array([1_700_000_000_000_000_000 + i for i in rows], pa.timestamp("ns")),
        "ts_us_utc": pa.array([datetime.datetime(2024, 5, 1, i, tzinfo=UTC) for i in rows], pa.timestamp("us", tz="UTC")),
        "duration_us": pa.array([i * 1000 for i in rows], pa.duration("us")),
        "decimal128": pa.array([decimal.Decimal(f"{i}.25") for i in rows], pa.decimal128(10, 2)),
        "dict_utf8": pa.array(["red", "green", "red", None, "blue", "red", "green"]).dictionary_encode(),
        "dict_int8_keys": pa.DictionaryArray.from_arrays(
            pa.array([0, 1, 0, 1, 0, None, 1], pa.int8()), pa.array(["u", "v"], pa.large_string())
        ),
        "float16": pa.array([float(i) / 2 for i in rows], pa.float16()),
        "vector_f16": pa.array([[float(i)] * 8 for i in rows], pa.list_(pa.float16(), 8)),
        "vector_of_vectors": pa.array([[[i, -i]] * 3 for i in rows], pa.list_(pa.list_(pa.int8(), 2), 3)),
        "nested_struct": pa.array(
            [{"inner": {"b": i}, "d": [i] * (i % 2), "v": [float(i), 1.0]} for i in rows],
            pa.struct(
                [
                    ("inner", pa.struct([("b", pa.int64())])),
                    ("d", pa.list_(pa.int16())),
                    ("v", pa.list_(pa.float32(), 2)),
                ]
            ),
        ),
        "date64": pa.array([datetime.date(2019, 1, 1 + i) for i in rows], pa.date64()),
        "time32_s": pa.array([datetime.time(0, 0, i) for i in rows], pa.time32("s")),
        "ts_ns_ny": pa.array([1_600_000_000_000_000_000 + i for i in rows], pa.timestamp("ns", tz="America/New_York")),
        "decimal256": pa.array([decimal.Decimal(f"{i}.125") for i in rows], pa.decimal256(50, 10)),
        "required": pa.array(list(rows), pa.int64()),
    }
    table = pa.table(columns)
    # A non-nullable column, as a schema with `nullable=False` gives.
    index = table.schema.get_field_index("required")
    return table.cast(table.schema.set(index, table.schema.field(index).with_nullable(False)))


def full_polars():
    import polars as pl

    rows = range(ROWS)
    return pl.DataFrame(
        {
            "int8": pl.Series([i - 3 for i in rows], dtype=pl.Int8),
            "uint32": pl.Series(list(rows), dtype=pl.UInt32),
            "int64": pl.Series([None if i == 2 else i * 10**12 for i in rows], dtype=pl.Int64),
            "float32": pl.Series([i / 8 for i in rows], dtype=pl.Float32),
            "float64": pl.Series([i / 3 for i in rows], dtype=pl.Float64),
            "bool": pl.Series([i % 3 == 0 for i in rows], dtype=pl.Boolean),
            "text": pl.Series([None if i == 5 else f"polars text {i}" * (i + 1) for i in rows], dtype=pl.String),
            "blob": pl.Series([bytes([i]) * 30 for i in rows], dtype=pl.Binary),
            "vector": pl.Series([[float(i)] * 8 for i in rows], dtype=pl.Array(pl.Float32, 8)),
            "list_int": pl.Series([list(range(i)) for i in rows], dtype=pl.List(pl.Int64)),
            "list_text": pl.Series([["w"] * (i % 3) for i in rows], dtype=pl.List(pl.String)),
            "list_of_structs": pl.Series(
                [[{"k": "a", "v": i}] for i in rows],
                dtype=pl.List(pl.Struct({"k": pl.String, "v": pl.Int64})),
            ),
            "struct_with_list": pl.Series(
                [{"a": i, "l": ["x"] * (i % 2)} for i in rows],
                dtype=pl.Struct({"a": pl.Int32, "l": pl.List(pl.String)}),
            ),
            "date": pl.Series([datetime.date(2021, 2, 1 + i) for i in rows], dtype=pl.Date),
            "ts_utc": pl.Series(
                [datetime.datetime(2022, 3, 1, i, tzinfo=UTC) for i in rows],
                dtype=pl.Datetime("us", "UTC"),
            ),
            "duration": pl.Series([datetime.timedelta(seconds=i) for i in rows], dtype=pl.Duration("us")),
            "decimal": pl.Series([decimal.Decimal(f"{i}.5") for i in rows], dtype=pl.Decimal(12, 2)),
        }
    )


def common_polars():
    import polars as pl

    values = common_values()
    return pl.DataFrame(
        {
            "id": pl.Series(values["id"], dtype=pl.Int64),
            "name": pl.Series(values["name"], dtype=pl.String),
            "vec": pl.Series(values["vec"], dtype=pl.Array(pl.Float32, 4)),
            "tags": pl.Series(values["tags"], dtype=pl.List(pl.String)),
            "point": pl.Series(values["point"], dtype=pl.Struct({"x": pl.Float64, "y": pl.Float64})),
            "items": pl.Series(values["items"], dtype=pl.List(pl.Struct({"k": pl.String, "v": pl.Int64}))),
            "props": pl.Series(values["props"], dtype=pl.Struct({"label": pl.String, "vals": pl.List(pl.Int64)})),
            "ts": pl.Series(values["ts"], dtype=pl.Datetime("us", "UTC")),
        }
    )


def duckdb_files(folder):
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    # The common rows, typed as DuckDB types them (FLOAT[4] arrays, lists, structs).
    con.register("common", common_pyarrow())
    con.execute(
        """
        CREATE TABLE c AS SELECT
            id::BIGINT AS id, name::VARCHAR AS name, vec::FLOAT[4] AS vec,
            tags::VARCHAR[] AS tags,
            point::STRUCT(x DOUBLE, y DOUBLE) AS point,
            items::STRUCT(k VARCHAR, v BIGINT)[] AS items,
            props::STRUCT(label VARCHAR, vals BIGINT[]) AS props,
            ts::TIMESTAMPTZ AS ts
        FROM common ORDER BY id
        """
    )
    common = os.path.join(folder, "duckdb-common.parquet")
    con.execute(f"COPY c TO '{common}' (FORMAT parquet)")
    full = os.path.join(folder, "duckdb-full.parquet")
    con.execute(
        f"""
        COPY (
            SELECT
                i::TINYINT AS tiny, i::INTEGER AS int, (i * 1000000000000)::BIGINT AS big,
                (i / 4)::DOUBLE AS dbl, (i / 8)::FLOAT AS flt, i % 2 = 0 AS flag,
                CASE WHEN i = 3 THEN NULL ELSE 'duck ' || repeat('x', i) END AS text,
                ('\\x0' || i::VARCHAR)::BLOB AS blob,
                [i::FLOAT, i + 1, i + 2]::FLOAT[3] AS vec,
                range(i)::BIGINT[] AS list_int,
                [{{'k': 'a', 'v': i}}] AS list_of_structs,
                {{'a': i, 'l': ['x', 'y'][1:i % 3]}} AS struct_with_list,
                MAP {{'k': i, 'j': i * 2}} AS map,
                DATE '2023-01-01' + i::INTEGER AS day,
                TIMESTAMPTZ '2023-06-01 00:00:00+00' + INTERVAL (i) HOUR AS ts,
                (i || '.75')::DECIMAL(9, 2) AS dec
            FROM range({ROWS}) t(i) ORDER BY i
        ) TO '{full}' (FORMAT parquet)
        """
    )
    return [
        {"writer": "duckdb", "format": "parquet", "table": "common", "path": common},
        {"writer": "duckdb", "format": "parquet", "table": "full", "path": full},
    ]


def make(folder):
    os.makedirs(folder, exist_ok=True)
    files = []

    def add(writer, fmt, table, path):
        files.append({"writer": writer, "format": fmt, "table": table, "path": path})

    for table_name, table in (("common", common_pyarrow()), ("full", full_pyarrow())):
        path = os.path.join(folder, f"pyarrow-{table_name}.parquet")
        pq.write_table(table, path)
        add("pyarrow", "parquet", table_name, path)
        path = os.path.join(folder, f"pyarrow-{table_name}.arrow")
        with ipc.new_file(path, table.schema) as writer:
            writer.write_table(table)
        add("pyarrow", "arrow", table_name, path)
    # Feather v2 as pyarrow writes it by default: LZ4-compressed IPC.
    path = os.path.join(folder, "pyarrow-common.feather")
    feather.write_feather(common_pyarrow(), path)
    add("pyarrow", "arrow", "common", path)

    for table_name, frame in (("common", common_polars()), ("full", full_polars())):
        path = os.path.join(folder, f"polars-{table_name}.parquet")
        frame.write_parquet(path)
        add("polars", "parquet", table_name, path)
        path = os.path.join(folder, f"polars-{table_name}.arrow")
        frame.write_ipc(path)
        add("polars", "arrow", table_name, path)

    files.extend(duckdb_files(folder))
    return files


def read_input(path):
    if path.endswith(".parquet"):
        return pq.read_table(path)
    return feather.read_table(path)


def normalized(value):
    """Python values compared across writers: maps as lists of pairs, whatever the reader
    makes of them."""
    if isinstance(value, dict):
        return {k: normalized(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [normalized(v) for v in value]
    return value


def compare(dataset, inputs):
    import lance

    got = lance.dataset(dataset).to_table()
    expected = [read_input(path) for path in inputs]
    problems = []
    rows = sum(t.num_rows for t in expected)
    if got.num_rows != rows:
        problems.append(f"{got.num_rows} rows, expected {rows}")
    for name in got.column_names:
        want = []
        for table in expected:
            if name not in table.column_names:
                problems.append(f"column {name} is not in every input")
                break
            want.extend(table.column(name).to_pylist())
        else:
            have = got.column(name).to_pylist()
            if normalized(have) != normalized(want):
                problems.append(f"column {name}: pylance reads {have!r}, the inputs hold {want!r}")
    for table in expected:
        missing = set(table.column_names) - set(got.column_names)
        if missing:
            problems.append(f"columns {sorted(missing)} are missing")
    return {
        "ok": not problems,
        "problems": problems,
        "rows": got.num_rows,
        "schema": str(got.schema),
    }


if __name__ == "__main__":
    if sys.argv[1] == "compare":
        print(json.dumps(compare(sys.argv[2], sys.argv[3:]), default=str))
    else:
        print(json.dumps(make(sys.argv[1])))
