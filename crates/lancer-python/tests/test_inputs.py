"""Data as users have it, handed to lancer's Python API the way each library hands it out:
pyarrow tables read from Parquet and IPC, Polars DataFrames (view types, large lists) and
DuckDB relations (lists named `l`, `Etc/UTC` time stamps). Every file creates a dataset
pylance reads back as the file's rows; datasets one library created take appends from the
others; the seed's distributed write runs with a vector column read from Parquet."""

import json
import pathlib
import sys

import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest

import lancer
from lancer.fragment import FragmentMetadata, write_fragments

SCRIPTS = pathlib.Path(__file__).resolve().parents[2] / "lancer-testkit" / "scripts"
sys.path.insert(0, str(SCRIPTS))
import inputs  # noqa: E402


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return inputs.make(str(tmp_path_factory.mktemp("inputs")))


def as_user_reads(entry):
    """The file as its own library reads it (what a user passes to write_fragments)."""
    path = entry["path"]
    if entry["writer"] == "polars":
        import polars as pl

        return pl.read_parquet(path) if path.endswith(".parquet") else pl.read_ipc(path)
    if entry["writer"] == "duckdb":
        import duckdb

        return duckdb.read_parquet(path)
    return pq.read_table(path) if path.endswith(".parquet") else feather.read_table(path)


def arrow_schema(data):
    if isinstance(data, pa.Table):
        return data.schema
    return pa.RecordBatchReader.from_stream(data).schema


def has_view(t):
    if pa.types.is_string_view(t) or pa.types.is_binary_view(t):
        return True
    return any(has_view(t.field(i).type) for i in range(t.num_fields))


def check(uri, *entries):
    verdict = inputs.compare(uri, [e["path"] for e in entries])
    assert verdict["ok"], json.dumps(verdict, indent=1, default=str)


def create(uri, entry):
    data = as_user_reads(entry)
    fragments = write_fragments(data, uri)
    # The coordinator names the schema the data had, as the seed's coordinator does.
    operation = lancer.LanceOperation.Overwrite(arrow_schema(as_user_reads(entry)), fragments)
    return lancer.LanceDataset.commit(uri, operation, read_version=0)


def append(uri, entry):
    read_version = lancer.dataset(uri).version
    fragments = write_fragments(as_user_reads(entry), uri)
    # Fragment metadata travels as JSON, as from a worker.
    fragments = [FragmentMetadata.from_json(json.dumps(f.to_json())) for f in fragments]
    return lancer.LanceDataset.commit(uri, lancer.LanceOperation.Append(fragments), read_version=read_version)


def test_every_file_creates_a_dataset_pylance_reads(workdir, files):
    assert {f["writer"] for f in files} == {"pyarrow", "polars", "duckdb"}
    for i, entry in enumerate(files):
        uri = f"./ds{i}"
        ds = create(uri, entry)
        assert not any(has_view(f.type) for f in ds.schema), (entry, ds.schema)
        check(uri, entry)
        assert ds.count_rows() == lancer.dataset(uri).to_table().num_rows


PAIRS = [
    (("pyarrow", "arrow"), ("pyarrow", "parquet")),
    (("pyarrow", "parquet"), ("pyarrow", "arrow")),
    (("pyarrow", "arrow"), ("polars", "arrow")),
    (("pyarrow", "parquet"), ("polars", "parquet")),
    (("polars", "arrow"), ("duckdb", "parquet")),
    (("duckdb", "parquet"), ("polars", "arrow")),
    (("pyarrow", "arrow"), ("duckdb", "parquet")),
]


@pytest.mark.parametrize("first, second", PAIRS)
def test_one_library_creates_another_appends(workdir, files, first, second):
    def pick(writer, fmt):
        return next(f for f in files if f["writer"] == writer and f["path"].endswith(fmt) and f["table"] == "common")

    a, b = pick(*first), pick(*second)
    create("./ds", a)
    schema = lancer.dataset("./ds").schema
    append("./ds", b)
    assert lancer.dataset("./ds").schema == schema
    check("./ds", a, b)


def test_the_seed_flow_with_vectors_from_parquet(workdir, files):
    """The guide's flow, with workers reading their shard from Parquet (pyarrow) and the
    append coming from Polars; then merge_columns whose function answers in view types."""
    import polars as pl

    path = next(f["path"] for f in files if f["writer"] == "pyarrow" and f["path"].endswith("common.parquet"))
    table = pq.read_table(path)
    assert pa.types.is_fixed_size_list(table.schema.field("vec").type)
    data_uri = "./dist_write"
    fragments_1 = write_fragments(table.slice(0, 4), data_uri)
    fragments_2 = write_fragments(table.slice(4), data_uri)
    all_fragments = [FragmentMetadata.from_json(json.dumps(f.to_json())) for f in fragments_1 + fragments_2]
    lancer.LanceDataset.commit(data_uri, lancer.LanceOperation.Overwrite(table.schema, all_fragments), read_version=0)
    frame = pl.read_parquet(path)
    more = write_fragments(frame, data_uri)
    lancer.LanceDataset.commit(data_uri, lancer.LanceOperation.Append(more), read_version=1)

    ds = lancer.dataset(data_uri)
    merged = []
    for fragment in ds.get_fragments():
        def label(batch):
            ids = batch["id"].to_pylist()
            return pa.record_batch(
                [pa.array([f"#{i}" for i in ids], pa.string_view()),
                 pa.array([[i] for i in ids], pa.list_(pa.field("element", pa.int64())))],
                names=["label", "ids"],
            )

        metadata, schema = fragment.merge_columns(label, ["id"])
        merged.append(metadata)
    lancer.LanceDataset.commit(data_uri, lancer.LanceOperation.Merge(merged, schema), read_version=2)

    import lance

    theirs = lance.dataset(data_uri).to_table()
    ours = lancer.dataset(data_uri).to_table()
    assert theirs.num_rows == ours.num_rows == 2 * table.num_rows
    assert theirs.column("label").to_pylist() == [f"#{i}" for i in theirs.column("id").to_pylist()]
    assert theirs.column("vec").to_pylist() == table.column("vec").to_pylist() * 2
    assert ours.column("ids").to_pylist() == theirs.column("ids").to_pylist()


@pytest.mark.parametrize(
    "column, array, needle",
    [
        ("id", pa.array([1], pa.int32()), "column `id`"),
        ("ts", pa.array([0], pa.timestamp("us", tz="Asia/Tokyo")), "time zones differ"),
        ("vec", pa.array([[1.0, 2.0]], pa.list_(pa.float32(), 2)), "vectors have 4 values"),
    ],
)
def test_other_types_are_refused_and_nothing_is_written(workdir, files, column, array, needle):
    import os

    entry = next(f for f in files if f["writer"] == "pyarrow" and f["path"].endswith("common.arrow"))
    create("./ds", entry)
    row = feather.read_table(entry["path"]).slice(0, 1)
    bad = row.set_column(row.schema.get_field_index(column), column, array)
    before = sorted(os.listdir("./ds/data"))
    with pytest.raises(lancer.errors.InvalidInputError, match=needle):
        write_fragments(bad, "./ds")
    assert sorted(os.listdir("./ds/data")) == before


def test_nulls_for_a_non_nullable_column_are_refused(workdir, files):
    """DuckDB's Parquet marks `id` non-nullable; nullable input is taken while it holds no
    nulls, and refused (no file left) once it does."""
    import os

    entry = next(f for f in files if f["writer"] == "duckdb" and f["table"] == "common")
    duck = pq.read_table(entry["path"])  # pyarrow keeps the file's `not null`
    fragments = write_fragments(duck, "./ds")
    lancer.LanceDataset.commit("./ds", lancer.LanceOperation.Overwrite(duck.schema, fragments), read_version=0)
    assert not lancer.dataset("./ds").schema.field("id").nullable
    table = feather.read_table(next(f["path"] for f in files if f["path"].endswith("pyarrow-common.arrow")))
    assert table.schema.field("id").nullable
    write_fragments(table, "./ds")
    before = sorted(os.listdir("./ds/data"))
    with_null = table.set_column(0, "id", pa.array([None] + list(range(1, table.num_rows)), pa.int64()))
    with pytest.raises(lancer.errors.InvalidInputError, match="column `id` holds 1 null"):
        write_fragments(with_null, "./ds")
    assert sorted(os.listdir("./ds/data")) == before
