"""The package's own behaviour: inputs, errors, hostile worker output, pickling, threads,
object stores."""

import json
import os
import pickle
import threading

import pyarrow as pa
import pyarrow.compute as pc
import pytest

import lancer
from lancer.fragment import write_fragments

SCHEMA = pa.schema([("a", pa.int32()), ("b", pa.string())])


def create(uri, parts=((1, 2, 3), (4, 5, 6))):
    fragments = []
    for values in parts:
        data = {"a": list(values), "b": [str(v) for v in values]}
        fragments += write_fragments(data, uri, schema=SCHEMA)
    return lancer.LanceDataset.commit(uri, lancer.LanceOperation.Overwrite(SCHEMA, fragments), read_version=0)


def test_every_input_kind_writes_the_same_rows(workdir):
    import pandas as pd

    table = pa.Table.from_pydict({"a": [1, 2, 3], "b": ["x", "y", None]}, schema=SCHEMA)
    inputs = {
        "dict": {"a": [1, 2, 3], "b": ["x", "y", None]},
        "rows": [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}, {"a": 3, "b": None}],
        "table": table,
        "batch": table.to_batches()[0],
        "reader": table.to_reader(),
        "pandas": pd.DataFrame({"a": pd.array([1, 2, 3], dtype="int32"), "b": ["x", "y", None]}),
    }
    for name, data in inputs.items():
        uri = str(workdir / name)
        fragments = write_fragments(data, uri, schema=SCHEMA)
        ds = lancer.LanceDataset.commit(uri, lancer.LanceOperation.Overwrite(SCHEMA, fragments), read_version=0)
        assert ds.to_table().select(["a", "b"]) == table, name


def test_unknown_input_is_a_type_error(workdir):
    with pytest.raises(TypeError, match="dict of lists"):
        write_fragments(42, "./ds")


def test_max_rows_per_file_splits_fragments(workdir):
    fragments = write_fragments({"a": list(range(10)), "b": ["v"] * 10}, "./ds", schema=SCHEMA, max_rows_per_file=4)
    assert [f.physical_rows for f in fragments] == [4, 4, 2]
    ds = lancer.LanceDataset.commit("./ds", lancer.LanceOperation.Overwrite(SCHEMA, fragments), read_version=0)
    assert ds.count_rows() == 10
    assert [f.fragment_id for f in ds.get_fragments()] == [0, 1, 2]


def test_reading(workdir):
    ds = create("./ds")
    assert ds.schema == SCHEMA
    assert len(ds) == 6
    assert ds.to_table(columns=["b"]).column_names == ["b"]
    assert ds.to_table(limit=4).num_rows == 4
    assert sum(b.num_rows for b in ds.to_batches(batch_size=2)) == 6
    assert ds.scanner(fragments=[1]).to_table().column("a").to_pylist() == [4, 5, 6]
    assert ds.get_fragment(1).to_table().column("a").to_pylist() == [4, 5, 6]
    assert ds.get_fragment(7) is None
    assert ds.get_fragment(0).count_rows() == 3
    assert ds.data_storage_version == "2.2"
    with pytest.raises(lancer.InvalidInputError, match="nope"):
        ds.to_table(columns=["nope"])


def test_versions_and_checkout(workdir):
    create("./ds")
    more = write_fragments({"a": [7], "b": ["7"]}, "./ds")
    lancer.LanceDataset.commit("./ds", lancer.LanceOperation.Append(more), read_version=1)
    ds = lancer.dataset("./ds")
    assert [v["version"] for v in ds.versions()] == [1, 2]
    assert ds.latest_version == 2
    assert ds.checkout_version(1).count_rows() == 6
    assert lancer.dataset("./ds", version=1).count_rows() == 6
    with pytest.raises(lancer.DatasetNotFoundError):
        lancer.dataset("./ds", version=9)


def test_missing_dataset_is_file_not_found(workdir):
    with pytest.raises(FileNotFoundError):
        lancer.dataset("./missing")


@pytest.mark.parametrize(
    "path",
    ["../escape.lance", "/etc/passwd", "s3://bucket/x.lance", "a/../../b.lance"],
)
def test_unsafe_paths_in_worker_json_are_refused(workdir, path):
    fragment = write_fragments({"a": [1], "b": ["x"]}, "./ds", schema=SCHEMA)[0].to_json()
    fragment["files"][0]["path"] = path
    with pytest.raises(ValueError) as caught:
        lancer.FragmentMetadata.from_json(json.dumps(fragment))
    assert isinstance(caught.value, lancer.InvalidInputError)


@pytest.mark.parametrize("text", ["", "{", "[]", '{"id": -1}', '{"id": 0, "files": 3}', "null"])
def test_malformed_worker_json_is_refused(text):
    with pytest.raises(lancer.InvalidInputError):
        lancer.FragmentMetadata.from_json(text)


def test_from_json_takes_a_string():
    with pytest.raises(TypeError, match="JSON string"):
        lancer.FragmentMetadata.from_json({"id": 0})


def test_a_file_a_worker_never_wrote_is_caught_at_commit(workdir):
    fragment = write_fragments({"a": [1], "b": ["x"]}, "./ds", schema=SCHEMA)[0]
    os.remove(os.path.join("ds", "data", fragment.files[0].path))
    with pytest.raises(lancer.InvalidInputError):
        lancer.LanceDataset.commit("./ds", lancer.LanceOperation.Overwrite(SCHEMA, [fragment]), read_version=0)
    with pytest.raises(FileNotFoundError):
        lancer.dataset("./ds")


def test_pickling_for_ray_and_multiprocessing(workdir):
    ds = create("./ds")
    fragment = ds.get_fragments()[0].metadata
    assert pickle.loads(pickle.dumps(fragment)) == fragment
    new_fragment, new_schema = ds.get_fragment(0).merge_columns(
        lambda batch: pa.record_batch([pc.utf8_length(batch["b"])], ["b_len"]), ["b"]
    )
    assert pickle.loads(pickle.dumps(new_schema)) == new_schema
    assert new_schema.names == ["a", "b", "b_len"]
    assert new_schema.field_ids == [0, 1, 2]
    with pytest.raises(ValueError, match="Lance schema"):
        lancer.LanceSchema.from_bytes(b"\xff\xff garbage")


def test_an_exception_in_the_merge_function_propagates(workdir):
    ds = create("./ds")

    class Boom(Exception):
        pass

    def fail(batch):
        raise Boom("from the user's function")

    with pytest.raises(Boom, match="user's function"):
        ds.get_fragment(0).merge_columns(fail, ["a"])

    with pytest.raises(lancer.InvalidInputError, match="rows"):
        ds.get_fragment(0).merge_columns(lambda b: pa.record_batch([pa.array([1])], ["one"]), ["a"])

    with pytest.raises(TypeError, match="RecordBatch"):
        ds.get_fragment(0).merge_columns(lambda b: 5, ["a"])
    # Nothing was committed by the failures.
    assert lancer.dataset("./ds").version == 1


def test_merge_function_may_return_a_table_dict_or_dataframe(workdir):
    import pandas as pd

    returns = [
        lambda b: pa.table({"x": pc.add(b["a"], 1)}),
        lambda b: {"x": pc.add(b["a"], 1)},
        lambda b: pd.DataFrame({"x": b["a"].to_numpy() + 1}).astype("int32"),
    ]
    for n, make in enumerate(returns):
        ds = create(f"./ds{n}")
        merged = [f.merge_columns(make, ["a"]) for f in ds.get_fragments()]
        schema = merged[0][1]
        assert schema.names == ["a", "b", "x"]
        new = lancer.LanceDataset.commit(
            f"./ds{n}", lancer.LanceOperation.Merge([m for m, _ in merged], schema), read_version=1
        )
        assert new.to_table().column("x").to_pylist() == [2, 3, 4, 5, 6, 7]


def test_merge_columns_refuses_sql_expressions(workdir):
    ds = create("./ds")
    with pytest.raises(NotImplementedError, match="SQL"):
        ds.get_fragment(0).merge_columns({"c": "a * 2"})


def test_merge_with_a_pyarrow_schema(workdir):
    ds = create("./ds")
    merged = [f.merge_columns(lambda b: pa.record_batch([pc.negate(b["a"])], ["neg"]), ["a"]) for f in ds.get_fragments()]
    schema = ds.schema.append(pa.field("neg", pa.int32()))
    new = lancer.LanceDataset.commit("./ds", lancer.LanceOperation.Merge([m for m, _ in merged], schema), read_version=1)
    assert new.to_table().column("neg").to_pylist() == [-1, -2, -3, -4, -5, -6]
    with pytest.raises(lancer.InvalidInputError, match="read_version is required"):
        lancer.LanceDataset.commit("./ds", lancer.LanceOperation.Merge([m for m, _ in merged], ds.schema), read_version=None)
    # Same names, other types or order: refused, not silently replaced.
    for wrong in (
        ds.schema.append(pa.field("neg", pa.string())),
        pa.schema([("neg", pa.int32()), ("a", pa.int32()), ("b", pa.string())]),
    ):
        with pytest.raises(lancer.InvalidInputError, match="Merge schema"):
            lancer.LanceDataset.commit("./ds", lancer.LanceOperation.Merge([m for m, _ in merged], wrong), read_version=2)


def test_conflicts_are_commit_errors(workdir):
    ds = create("./ds")
    replacement = write_fragments({"a": [9], "b": ["9"]}, "./ds")
    lancer.LanceDataset.commit("./ds", lancer.LanceOperation.Overwrite(SCHEMA, replacement), read_version=1)
    late = write_fragments({"a": [10], "b": ["10"]}, "./ds")
    with pytest.raises(lancer.CommitConflictError, match="version 2"):
        lancer.LanceDataset.commit("./ds", lancer.LanceOperation.Append(late), read_version=ds.version)
    assert lancer.dataset("./ds").to_table().column("a").to_pylist() == [9]


def test_operations_check_their_arguments(workdir):
    with pytest.raises(TypeError, match="FragmentMetadata"):
        lancer.LanceOperation.Append([{"id": 0}])
    with pytest.raises(TypeError, match="Schema"):
        lancer.LanceOperation.Overwrite("a: int", [])
    with pytest.raises(TypeError):
        lancer.LanceOperation.Append()
    with pytest.raises(NotImplementedError):
        write_fragments({"a": [1]}, "./never", data_storage_version="next")
    with pytest.raises(NotImplementedError):
        write_fragments({"a": [1]}, "./never", data_storage_version="legacy")
    with pytest.raises(ValueError, match="2.9"):
        write_fragments({"a": [1]}, "./never", data_storage_version="2.9")


def test_threads_write_and_commit_concurrently(workdir):
    create("./ds")
    errors = []

    def worker(n):
        try:
            fragments = write_fragments({"a": [n] * 100, "b": [str(n)] * 100}, "./ds")
            read = lancer.dataset("./ds").version
            lancer.LanceDataset.commit("./ds", lancer.LanceOperation.Append(fragments), read_version=read)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    ds = lancer.dataset("./ds")
    assert ds.version == 9
    counts = {c["values"]: c["counts"] for c in pc.value_counts(ds.to_table().column("a")).to_pylist()}
    # Each thread's 100 rows, plus the six rows (1..6) the dataset started with.
    assert counts == {n: 100 + (1 <= n <= 6) for n in range(8)}


def s3_options():
    endpoint = os.environ.get("LANCER_S3_ENDPOINT")
    if endpoint is None:
        if os.environ.get("LANCER_FULL_TEST"):
            pytest.fail("LANCER_FULL_TEST is set but no S3 server is (cargo xtask test starts moto)")
        pytest.skip("no S3 test server; cargo xtask test starts one")
    bucket = os.environ["LANCER_S3_BUCKET"]
    options = {
        "aws_endpoint": endpoint,
        "allow_http": "true",
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing-secret",
        "aws_region": "us-east-1",
    }
    return f"s3://{bucket}", options


def test_seed_flow_on_s3():
    prefix, options = s3_options()
    uri = f"{prefix}/python-{os.getpid()}-{threading.get_ident()}"
    fragments = []
    for values in ([1, 2], [3]):
        fragments += write_fragments({"a": values, "b": ["s3"] * len(values)}, uri, schema=SCHEMA, storage_options=options)
    wire = [json.dumps(f.to_json()) for f in fragments]
    lancer.LanceDataset.commit(
        uri,
        lancer.LanceOperation.Overwrite(SCHEMA, [lancer.FragmentMetadata.from_json(w) for w in wire]),
        read_version=0,
        storage_options=options,
    )
    ds = lancer.dataset(uri, storage_options=options)
    assert ds.to_table().column("a").to_pylist() == [1, 2, 3]
    with pytest.raises(lancer.DatasetNotFoundError):
        lancer.dataset(f"{prefix}/absent-{os.getpid()}", storage_options=options)


def test_pylance_default_datasets_are_read_and_written(workdir):
    import lance as pylance

    table = pa.table({"a": [1, 2, 3], "s": ["x", None, "z"]})
    pylance.write_dataset(table, "./v22")  # pylance's default: 2.2 files
    ds = lancer.dataset("./v22")
    assert ds.data_storage_version == "2.2"
    assert ds.to_table() == table
    assert ds.to_table(columns=["s"], offset=1).column("s").to_pylist() == [None, "z"]
    # lancer workers append 2.2 files to it; pylance reads them.
    fragments = write_fragments({"a": [4], "s": ["w"]}, "./v22")
    assert [f.data_files()[0].file_minor_version for f in fragments] == [2]
    lancer.LanceDataset.commit("./v22", lancer.LanceOperation.Append(fragments), read_version=1)
    assert pylance.dataset("./v22").to_table().column("s").to_pylist() == ["x", None, "z", "w"]
    # New datasets in the version asked for.
    made = write_fragments(table, "./made22", data_storage_version="stable")
    lancer.LanceDataset.commit("./made22", lancer.LanceOperation.Overwrite(table.schema, made), read_version=0)
    assert pylance.dataset("./made22").data_storage_version == "2.2"
    assert pylance.dataset("./made22").to_table() == table
    lists = pa.table({"l": [[1], None, [], [2, 3]]})
    pylance.write_dataset(lists, "./lists")
    assert lancer.dataset("./lists").to_table() == lists
    nested = pa.table({"s": [{"x": 1, "l": [[1], []]}, None, {"x": None, "l": None}]})
    pylance.write_dataset(nested, "./nested")
    assert lancer.dataset("./nested").to_table() == nested


def test_scans_stream(workdir):
    ds = create("./ds", parts=[range(i * 100, i * 100 + 100) for i in range(5)])
    reader = ds.scanner(columns=["a"], batch_size=64).to_reader()
    assert isinstance(reader, pa.RecordBatchReader)
    assert reader.schema == pa.schema([("a", pa.int32())])
    sizes = [batch.num_rows for batch in reader]
    assert sum(sizes) == 500 and max(sizes) <= 64
    assert ds.scanner().count_rows() == 500
    assert ds.scanner(columns=["b"]).projected_schema.names == ["b"]


def test_lancer_calls_nest(workdir):
    ds = create("./ds")
    create("./other")

    def uses_lancer(batch):
        # A function that itself reads a dataset (on the thread lancer is blocking on).
        rows = lancer.dataset("./other").count_rows()
        return pa.record_batch([pa.array([rows] * batch.num_rows)], ["other_rows"])

    fragment, schema = ds.get_fragment(0).merge_columns(uses_lancer, ["a"])
    assert schema.names == ["a", "b", "other_rows"]
    # A lancer scan streamed straight into write_fragments.
    copied = write_fragments(ds.scanner().to_reader(), "./copy")
    copy = lancer.LanceDataset.commit("./copy", lancer.LanceOperation.Overwrite(SCHEMA, copied), read_version=0)
    assert copy.to_table() == ds.to_table()


def _write_in_child(uri):
    fragments = write_fragments({"a": [os.getpid() % 1000], "b": ["child"]}, uri)
    return [json.dumps(f.to_json()) for f in fragments]


@pytest.mark.parametrize("start_method", ["fork", "spawn"])
def test_worker_processes(workdir, start_method):
    import multiprocessing

    uri = str(workdir / "ds")
    create(uri)  # the parent has used lancer (and its runtime) before forking
    context = multiprocessing.get_context(start_method)
    with context.Pool(2) as pool:
        results = pool.map_async(_write_in_child, [uri] * 4).get(timeout=120)
    fragments = [lancer.FragmentMetadata.from_json(text) for result in results for text in result]
    # FragmentMetadata also crosses processes by pickling.
    with context.Pool(1) as pool:
        assert pool.map_async(pickle.loads, [pickle.dumps(fragments)]).get(timeout=120)[0] == fragments
    ds = lancer.LanceDataset.commit(uri, lancer.LanceOperation.Append(fragments), read_version=1)
    assert ds.count_rows() == 10
    assert ds.to_table().column("b").to_pylist()[6:] == ["child"] * 4


def test_python_values_are_typed_and_checked_by_the_dataset(workdir):
    create("./ds")
    fragments = write_fragments({"a": [7], "b": ["x"]}, "./ds")  # ints guessed int64, stored int32
    ds = lancer.LanceDataset.commit("./ds", lancer.LanceOperation.Append(fragments), read_version=1)
    assert ds.schema == SCHEMA
    with pytest.raises(lancer.InvalidInputError, match="unexpected \\['c'\\]"):
        write_fragments({"a": [1], "b": ["x"], "c": [2]}, "./ds")
    with pytest.raises(lancer.InvalidInputError, match="missing \\['b'\\]"):
        write_fragments({"a": [1]}, "./ds")
    with pytest.raises(lancer.InvalidInputError, match="types"):
        write_fragments({"a": ["not a number"], "b": ["x"]}, "./ds")


def test_overwrite_mode_writes_a_new_schema(workdir):
    create("./ds")
    new_schema = pa.schema([("x", pa.float64())])
    fragments = write_fragments({"x": [1.5, 2.5]}, "./ds", mode="overwrite")
    ds = lancer.LanceDataset.commit("./ds", lancer.LanceOperation.Overwrite(new_schema, fragments), read_version=1)
    assert ds.to_table() == pa.table({"x": [1.5, 2.5]})
    with pytest.raises(lancer.InvalidInputError, match="exists"):
        write_fragments({"x": [1.0]}, "./ds", mode="create")
    with pytest.raises(ValueError, match="mode"):
        write_fragments({"x": [1.0]}, "./ds", mode="replace")


def test_overwrite_at_version_0_of_an_existing_dataset_is_refused(workdir):
    # lancer's safety rule (pylance would overwrite): version 0 means "create".
    create("./ds")
    fragments = write_fragments({"a": [1], "b": ["x"]}, "./ds")
    with pytest.raises(lancer.InvalidCommitError, match="read_version 0"):
        lancer.LanceDataset.commit("./ds", lancer.LanceOperation.Overwrite(SCHEMA, fragments), read_version=0)


def test_scan_arguments_follow_pylance(workdir):
    ds = create("./ds")
    assert ds.to_table(["a"], None, 2).column("a").to_pylist() == [1, 2]  # limit is third
    assert ds.to_table(columns=["a"], offset=4).column("a").to_pylist() == [5, 6]
    assert ds.to_table(limit=2, offset=3).column("a").to_pylist() == [4, 5]
    assert sum(b.num_rows for b in ds.to_batches(offset=1, batch_size=2)) == 5
    with pytest.raises(NotImplementedError, match="filter"):
        ds.to_table(filter="a > 1")


def test_unsupported_datasets_raise_not_implemented(workdir):
    import lance as pylance

    pylance.write_dataset(pa.table({"a": [1]}), "./stable", enable_stable_row_ids=True, data_storage_version="2.0")
    with pytest.raises(NotImplementedError, match="stable row ids"):
        lancer.dataset("./stable").to_table()


def test_pylance_spellings(workdir):
    ds = create("./ds")
    data_file = ds.get_fragment(0).data_files()[0]
    assert data_file.path() == data_file.path  # pylance's path is callable
    assert write_fragments({"a": [9], "b": ["9"]}, ds)  # a dataset where a URI goes
    assert repr(lancer.LanceOperation.Append([])).startswith("LanceOperation.Append(")
