"""pylance's write-side surface, run twice: once with lancer, once with pylance 14.0.2 (the
oracle venv has both). Each test asserts the same result (or the same exception class) from
both, and reads what one wrote with the other. Where lancer deliberately differs, the test
says so and checks both sides of the difference."""

import os

import pyarrow as pa
import pyarrow.compute
import pyarrow.dataset as pds
import pytest

import lance
import lancer

TABLE = pa.table({"a": pa.array([1, 2, 3, 4, 5, 6], pa.int64()), "b": list("uvwxyz")})


@pytest.fixture(params=["lancer", "lance"])
def lib(request):
    return lancer if request.param == "lancer" else lance


def other(lib):
    return lance if lib is lancer else lancer


def rows(ds):
    return ds.to_table().sort_by("a").to_pydict()


# --- write_dataset ---------------------------------------------------------------------


def test_write_dataset_modes(lib, workdir):
    ds = lib.write_dataset(TABLE, "ds")
    assert ds.version == 1 and ds.count_rows() == 6
    with pytest.raises(OSError):
        lib.write_dataset(TABLE, "ds")
    assert lib.write_dataset(TABLE.slice(0, 2), "ds", mode="append").version == 2
    assert lib.write_dataset(TABLE, "new", mode="append").version == 1
    assert lib.write_dataset(TABLE, "new2", mode="overwrite").version == 1
    replaced = lib.write_dataset(pa.table({"z": ["only"]}), "ds", mode="overwrite")
    assert replaced.version == 3 and replaced.to_table().to_pydict() == {"z": ["only"]}
    with pytest.raises(ValueError):
        lib.write_dataset(TABLE, "bad", mode="nope")
    with pytest.raises(OSError):
        lib.write_dataset(pa.table({"q": [1]}), "new", mode="append")
    # Each side reads what the other wrote.
    assert other(lib).dataset("ds").to_table().to_pydict() == {"z": ["only"]}
    assert other(lib).dataset("new").count_rows() == 6


def test_write_dataset_splits_files_and_reads_back(lib, workdir):
    ds = lib.write_dataset(TABLE, "ds", max_rows_per_file=4)
    assert [f.count_rows() for f in ds.get_fragments()] == [4, 2]
    assert rows(other(lib).dataset("ds")) == TABLE.to_pydict()


def test_failed_append_leaves_no_files(workdir):
    lancer.write_dataset(TABLE, "ds")
    before = sorted(os.listdir("ds/data"))
    with pytest.raises(OSError):
        lancer.write_dataset(pa.table({"a": [1]}), "ds", mode="append")
    assert sorted(os.listdir("ds/data")) == before


def test_write_dataset_refuses_options_it_would_drop(workdir):
    with pytest.raises(lancer.UnsupportedError, match="stable row ids"):
        lancer.write_dataset(TABLE, "ds", enable_stable_row_ids=True)
    with pytest.raises(TypeError, match="no_such_option"):
        lancer.write_dataset(TABLE, "ds", no_such_option=1)
    assert not os.path.exists("ds")


# --- inputs ----------------------------------------------------------------------------


def inputs():
    import pandas as pd
    import polars as pl

    batches = TABLE.to_batches(max_chunksize=4)
    return {
        "list of batches": (batches, TABLE.schema),
        "generator": ((b for b in batches), TABLE.schema),
        "pyarrow dataset": (pds.dataset(TABLE), None),
        "pyarrow scanner": (pds.dataset(TABLE).scanner(), None),
        "pandas": (pd.DataFrame(TABLE.to_pydict()), None),
        "polars (C stream)": (pl.from_arrow(TABLE), None),
        "reader": (TABLE.to_reader(), None),
    }


@pytest.mark.parametrize("kind", list(inputs()))
def test_every_input_kind(lib, workdir, kind):
    data, schema = inputs()[kind]
    ds = lib.write_dataset(data, "ds", schema=schema)
    table = ds.to_table()
    assert table.column("a").to_pylist() == TABLE.column("a").to_pylist()
    assert table.column("b").to_pylist() == TABLE.column("b").to_pylist()


def test_iterables_need_a_schema(lib, workdir):
    for data in (TABLE.to_batches(), (b for b in TABLE.to_batches()), []):
        with pytest.raises(ValueError):
            lib.write_dataset(data, "ds")
    assert lib.write_dataset([], "empty", schema=TABLE.schema).count_rows() == 0


def test_a_generator_is_read_lazily(workdir):
    # An endless generator is cut by an exception after a few files: files are written one
    # by one, never the whole input held first, and the failed write leaves nothing.
    def endless():
        n = 0
        while True:
            n += 1
            if n > 50:
                raise RuntimeError("producer failed")
            yield pa.record_batch({"a": pa.array(range(1000), pa.int64())})

    with pytest.raises(RuntimeError, match="producer failed"):
        lancer.fragment.write_fragments(endless(), "ds", schema=pa.schema([("a", pa.int64())]), max_rows_per_file=5000)
    assert not os.path.exists("ds/data") or os.listdir("ds/data") == []


# --- LanceFragment.create ----------------------------------------------------------------


def test_fragment_create(lib, workdir):
    big = pa.table({"a": pa.array(range(1_500_000), pa.int64())})
    fragment = lib.fragment.LanceFragment.create("ds", big)
    assert fragment.id == 0 and fragment.physical_rows == 1_500_000 and len(fragment.files) == 1
    numbered = lib.fragment.LanceFragment.create("ds", big.slice(0, 3), fragment_id=7)
    assert numbered.id == 7
    with pytest.raises(OSError):
        lib.fragment.LanceFragment.create("ds", big.slice(0, 0))
    op = lib.LanceOperation.Overwrite(big.schema, [fragment])
    lib.LanceDataset.commit("ds", op, read_version=0)
    assert other(lib).dataset("ds").count_rows() == 1_500_000


# --- things that differed silently -------------------------------------------------------


class Recorder:
    def __init__(self):
        self.begun, self.completed = [], []

    def begin(self, fragment, **kwargs):
        self.begun.append(fragment)

    def complete(self, fragment, **kwargs):
        self.completed.append(fragment)


def test_progress_hooks_hear_of_every_file(lib, workdir):
    recorder = Recorder()
    if lib is lance:
        from lance.progress import FragmentWriteProgress
    else:
        from lancer.progress import FragmentWriteProgress

    class Hook(Recorder, FragmentWriteProgress):
        pass

    hook = Hook()
    fragments = lib.fragment.write_fragments(TABLE, "ds", max_rows_per_file=4, progress=hook)
    assert len(fragments) == 2
    assert len(hook.begun) == 2
    assert all(f.files == [] and f.physical_rows is None for f in hook.begun)
    # pylance 14.0.2 does not call complete() for the last file; lancer does.
    expected = fragments if lib is lancer else fragments[:-1]
    assert [f.files[0].path for f in hook.completed] == [f.files[0].path for f in expected]
    del recorder


def test_a_failing_progress_hook_stops_the_write(workdir):
    class Boom(lancer.progress.NoopFragmentWriteProgress):
        def complete(self, fragment, **kwargs):
            raise KeyError("hook says no")

    with pytest.raises(KeyError, match="hook says no"):
        lancer.fragment.write_fragments(TABLE, "ds", max_rows_per_file=2, progress=Boom())
    assert not os.path.exists("ds/data") or os.listdir("ds/data") == []


def test_merge_columns_batch_size(lib, workdir):
    ds = lib.write_dataset(pa.table({"a": pa.array(range(10_000), pa.int64())}), "ds")
    fragment = ds.get_fragments()[0]
    for batch_size, largest in ((10, 10), (3000, 3000), (None, 1024)):
        sizes = []

        def double(batch):
            sizes.append(batch.num_rows)
            return pa.record_batch({"d": pa.compute.multiply(batch.column("a"), 2)})

        fragment.merge_columns(double, columns=["a"], batch_size=batch_size)
        # pylance first calls with one row to learn the new schema.
        assert max(sizes) == largest
        assert sum(sizes[-(10_000 // largest + (1 if 10_000 % largest else 0)):]) == 10_000
    with pytest.raises(ValueError):
        fragment.merge_columns(double, columns=["a"], batch_size=0)


def test_home_directory_is_expanded(lib, workdir, monkeypatch):
    monkeypatch.setenv("HOME", str(workdir / "home"))
    lib.write_dataset(TABLE, "~/t.lance")
    assert os.path.isdir(workdir / "home" / "t.lance" / "_versions")
    assert not os.path.exists(workdir / "~")
    assert lib.dataset("~/t.lance").count_rows() == 6


def test_computed_columns(lib, workdir):
    ds = lib.write_dataset(TABLE, "ds")
    if lib is lance:
        assert ds.to_table(columns={"c": "a * 2"}).column("c").to_pylist() == [2, 4, 6, 8, 10, 12]
    else:
        # Until lancer evaluates SQL, a dict is refused rather than ignored.
        with pytest.raises(lancer.UnsupportedError, match="computed columns"):
            ds.to_table(columns={"c": "a * 2"})
        with pytest.raises(lancer.UnsupportedError):
            ds.get_fragments()[0].to_table(columns={"c": "a * 2"})


def test_a_frame_without_columns(lib, workdir):
    import pandas as pd

    if lib is lance:
        # pylance writes a fragment with no fields, then refuses to commit it.
        fragments = lance.fragment.write_fragments(pd.DataFrame([{}]), "ds")
        assert len(fragments) == 1
        with pytest.raises(OSError):
            lance.LanceDataset.commit("ds", lance.LanceOperation.Overwrite(pa.schema([]), fragments), read_version=0)
    else:
        with pytest.raises(lancer.InvalidInputError, match="no columns"):
            lancer.fragment.write_fragments(pd.DataFrame([{}]), "ds")


# --- commits -----------------------------------------------------------------------------


def test_append_needs_a_read_version(lib, workdir):
    lib.write_dataset(TABLE, "ds")
    fragments = lib.fragment.write_fragments(TABLE, "ds")
    with pytest.raises(ValueError):
        lib.LanceDataset.commit("ds", lib.LanceOperation.Append(fragments))
    ds = lib.LanceDataset.commit("ds", lib.LanceOperation.Append(fragments), read_version=1)
    assert ds.count_rows() == 12


def test_max_retries_zero_still_rebases_a_compatible_append(lib, workdir):
    # pylance's max_retries counts attempts lost to a racing writer; an Append built on an
    # old version is rebased in the first attempt, with or without retries.
    lib.write_dataset(TABLE, "ds")
    first = lib.fragment.write_fragments(TABLE, "ds")
    second = lib.fragment.write_fragments(TABLE, "ds")
    lib.LanceDataset.commit("ds", lib.LanceOperation.Append(first), read_version=1)
    ds = lib.LanceDataset.commit("ds", lib.LanceOperation.Append(second), read_version=1, max_retries=0)
    assert ds.version == 3 and ds.count_rows() == 18


def test_conflicts_are_pylances_commit_conflict_shape(workdir):
    lancer.write_dataset(TABLE, "ds")
    appended = lancer.fragment.write_fragments(TABLE, "ds")
    lancer.write_dataset(TABLE, "ds", mode="overwrite")
    with pytest.raises(lancer.commit.CommitConflictError) as raised:
        lancer.LanceDataset.commit("ds", lancer.LanceOperation.Append(appended), read_version=1)
    assert isinstance(raised.value, OSError)
    assert raised.value.retryable is False
    assert issubclass(lancer.CommitRebuildError, lancer.commit.CommitConflictError)
    assert lancer.CommitRebuildError("x").retryable is True


def test_missing_dataset_raises_what_pylance_raises(lib, workdir):
    with pytest.raises(ValueError):
        lib.dataset("nope")
    lib.write_dataset(TABLE, "ds")
    with pytest.raises((ValueError, OSError)):
        lib.dataset("ds", version=99)


# --- reads -------------------------------------------------------------------------------

NESTED = pa.table(
    {
        "a": pa.array(range(10), pa.int64()),
        "s": pa.array(
            [None if i == 3 else {"x": i, "y": str(i)} for i in range(10)],
            pa.struct([("x", pa.int64()), ("y", pa.string())]),
        ),
    }
)


def with_deletes(lib):
    """10 rows in files of 4, rows a=1 and a=5 deleted (by pylance: lancer has no deletes
    yet), reopened with ``lib``."""
    lance.write_dataset(NESTED, "ds", max_rows_per_file=4).delete("a = 1 or a = 5")
    return lib.dataset("ds")


def test_row_ids_and_addresses(lib, workdir):
    ds = with_deletes(lib)
    table = ds.scanner(with_row_id=True, with_row_address=True).to_table()
    assert table.column_names == ["a", "s", "_rowid", "_rowaddr"]
    expected = [0, 2, 3, 1 << 32, (1 << 32) + 2, (1 << 32) + 3, 2 << 32, (2 << 32) + 1]
    assert table.column("_rowaddr").to_pylist() == expected
    assert table.column("_rowid").to_pylist() == expected
    assert table.schema.field("_rowaddr").type == pa.uint64()
    assert ds.to_table(columns=["a", "_rowid"]).column_names == ["a", "_rowid"]
    assert ds.scanner(columns=["a"], with_row_address=True).to_table().column_names == ["a", "_rowaddr"]
    fragment = ds.get_fragments()[1]
    assert fragment.to_table(with_row_id=True).column("_rowid").to_pylist() == expected[3:6]


def test_take(lib, workdir):
    ds = with_deletes(lib)
    assert ds.take([0, 5, 2, 2], columns=["a"]).to_pydict() == {"a": [0, 7, 3, 3]}
    assert ds.take(pa.array([7, 0])).column("a").to_pylist() == [9, 0]
    assert ds.take([1], columns=["s"]).column("s").to_pylist() == [{"x": 2, "y": "2"}]
    assert ds.get_fragments()[0].take([0, 1], columns=["a"]).to_pydict() == {"a": [0, 2]}
    with pytest.raises(OSError):
        ds.take([100])


def test_nested_projection(lib, workdir):
    ds = with_deletes(lib)
    table = ds.to_table(columns=["s.y", "a"])
    assert table.column_names == ["s.y", "a"]
    assert table.column("s.y").to_pylist() == ["0", "2", None, "4", "6", "7", "8", "9"]
    assert table.schema.field("s.y").type == pa.string()
    with pytest.raises((ValueError, OSError)):
        ds.to_table(columns=["s.nope"])


def test_counts_heads_and_batches(lib, workdir):
    ds = with_deletes(lib)
    assert ds.count_rows() == 8 and ds.get_fragments()[0].count_rows() == 3
    assert ds.head(3).column("a").to_pylist() == [0, 2, 3]
    assert [b.num_rows for b in ds.to_batches(batch_size=3)] == [3, 3, 2]
    assert ds.to_table(offset=2, limit=3).column("a").to_pylist() == [3, 4, 6]


# --- schema evolution --------------------------------------------------------------------


def test_drop_columns(lib, workdir):
    ds = lib.write_dataset(pa.table({"a": [1, 2], "b": [3, 4], "c": ["x", "y"]}), "ds")
    ds.drop_columns(["b"])
    assert ds.version == 2 and ds.schema.names == ["a", "c"]
    assert other(lib).dataset("ds").to_table().to_pydict() == {"a": [1, 2], "c": ["x", "y"]}
    with pytest.raises(ValueError):
        ds.drop_columns(["a", "c"])
    with pytest.raises(ValueError):
        ds.drop_columns(["zz"])
    assert ds.version == 2


def test_add_columns(lib, workdir):
    ds = lib.write_dataset(pa.table({"a": pa.array([1, 2, 3], pa.int64())}), "ds", max_rows_per_file=2)
    ds.add_columns(pa.field("n", pa.int32()))
    assert ds.version == 2 and ds.to_table().column("n").to_pylist() == [None] * 3
    ds.add_columns(lambda b: pa.record_batch({"d": pa.compute.multiply(b.column("a"), 10)}), read_columns=["a"])
    assert ds.version == 3
    assert other(lib).dataset("ds").to_table().to_pydict() == {"a": [1, 2, 3], "n": [None] * 3, "d": [10, 20, 30]}
    with pytest.raises(OSError):
        ds.add_columns(pa.field("a", pa.int32()))
    with pytest.raises(OSError):
        ds.add_columns(pa.field("nn", pa.int32(), nullable=False))


def test_a_failed_add_columns_leaves_no_files(workdir):
    ds = lancer.write_dataset(pa.table({"a": pa.array(range(10), pa.int64())}), "ds", max_rows_per_file=3)
    before = sorted(os.listdir("ds/data"))
    calls = []

    def fails_late(batch):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("udf failed")
        return pa.record_batch({"d": batch.column("a")})

    with pytest.raises(RuntimeError, match="udf failed"):
        ds.add_columns(fails_late)
    assert sorted(os.listdir("ds/data")) == before and ds.version == 1


def test_project_operation(workdir):
    # pylance 14.0.2 renumbers a pyarrow schema given to Project from 0, which makes the
    # dataset unreadable; lancer takes the ids from the dataset. pylance reads the result.
    lancer.write_dataset(pa.table({"a": [1], "b": ["x"]}), "ds")
    done = lancer.LanceDataset.commit(
        "ds", lancer.LanceOperation.Project(pa.schema([("b", pa.string())])), read_version=1
    )
    assert done.schema.names == ["b"] and done.to_table().to_pydict() == {"b": ["x"]}
    assert lance.dataset("ds").to_table().to_pydict() == {"b": ["x"]}
    with pytest.raises(ValueError):
        lancer.LanceDataset.commit(
            "ds", lancer.LanceOperation.Project(pa.schema([("b", pa.int64())])), read_version=2
        )


# --- versions and tags -------------------------------------------------------------------


def test_restore_and_versions(lib, workdir):
    lib.write_dataset(TABLE, "ds")
    lib.write_dataset(TABLE, "ds", mode="append")
    old = lib.dataset("ds", version=1)
    old.restore()
    assert old.version == 3 and old.count_rows() == 6
    latest = other(lib).dataset("ds")
    assert latest.version == 3 and latest.count_rows() == 6 and latest.latest_version == 3
    assert lib.dataset("ds").checkout_version(2).count_rows() == 12


def test_tags(lib, workdir):
    lib.write_dataset(TABLE, "ds")
    ds = lib.write_dataset(TABLE, "ds", mode="append")
    ds.tags.create("first", 1)
    with pytest.raises(ValueError):
        ds.tags.create("first", 2)
    with pytest.raises((ValueError, OSError)):
        ds.tags.create("bad/name", 2)
    with pytest.raises(ValueError):
        ds.tags.create("nowhere", 99)
    listed = ds.tags.list()
    assert list(listed) == ["first"] and listed["first"]["version"] == 1
    assert ds.checkout_version("first").count_rows() == 6
    # Tags made by one are read by the other.
    seen = other(lib).dataset("ds")
    assert seen.tags.list()["first"]["version"] == 1
    assert seen.checkout_version("first").version == 1
    ds.tags.update("first", 2)
    assert other(lib).dataset("ds").tags.get_version("first") == 2
    ds.tags.delete("first")
    assert ds.tags.list() == {}
    with pytest.raises(ValueError):
        ds.tags.delete("first")


# --- schemas, pickling, memory -----------------------------------------------------------


def test_lance_schema(lib):
    schema_module = lib.schema
    arrow = pa.schema([("a", pa.int64()), ("s", pa.struct([("x", pa.int32())]))])
    schema = schema_module.LanceSchema.from_pyarrow(arrow)
    assert [(f.name(), f.id()) for f in schema.fields()] == [("a", 0), ("s", 1)]
    assert [(c.name(), c.id()) for c in schema.fields()[1].children()] == [("x", 2)]
    assert schema.to_pyarrow() == arrow


def test_pickling_datasets_and_fragments(lib, workdir):
    import pickle

    ds = lib.write_dataset(TABLE, "ds", max_rows_per_file=4)
    again = pickle.loads(pickle.dumps(ds))
    assert again.version == ds.version and again.to_table() == ds.to_table()
    fragment = pickle.loads(pickle.dumps(ds.get_fragments()[1]))
    assert fragment.fragment_id == 1 and fragment.to_table() == ds.get_fragments()[1].to_table()


def test_memory_uris(workdir):
    ds = lancer.write_dataset(TABLE, "memory://surface/ds")
    assert lancer.dataset("memory://surface/ds").to_table() == ds.to_table()
    more = lancer.fragment.write_fragments(TABLE, "memory://surface/ds")
    lancer.LanceDataset.commit("memory://surface/ds", lancer.LanceOperation.Append(more), read_version=1)
    assert lancer.dataset("memory://surface/ds").count_rows() == 12
    assert not os.listdir(workdir)


def test_alter_columns(lib, workdir):
    table = pa.table({"a": [1, 2], "b": [None, "y"], "s": [{"x": 1}, {"x": 2}]})
    ds = lib.write_dataset(table, "ds")
    ds.alter_columns({"path": "a", "name": "x"}, {"path": "s.x", "name": "z"})
    assert ds.version == 2
    expected = {"x": [1, 2], "b": [None, "y"], "s": [{"z": 1}, {"z": 2}]}
    assert ds.to_table().to_pydict() == expected
    assert other(lib).dataset("ds").to_table().to_pydict() == expected
    for bad in ({"path": "x", "name": "b"}, {"path": "nope", "name": "q"}, {"path": "b", "nullable": False}, {"path": "x", "name": "p.q"}):
        with pytest.raises(OSError):
            ds.alter_columns(bad)
    ds.alter_columns({"path": "x", "nullable": False})
    assert ds.schema.field("x").nullable is False
    assert other(lib).dataset("ds").schema.field("x").nullable is False
    ds.alter_columns({"path": "x", "nullable": True})
    assert ds.schema.field("x").nullable is True
    if lib is lancer:
        with pytest.raises(lancer.UnsupportedError):
            ds.alter_columns({"path": "x", "data_type": pa.int32()})


def test_add_columns_from_a_reader(lib, workdir):
    lance.write_dataset(pa.table({"a": pa.array(range(6), pa.int64())}), "ds", max_rows_per_file=3)
    ds = lib.dataset("ds")
    ds.add_columns(pa.table({"b": pa.array([10 * i for i in range(6)], pa.int64())}).to_reader())
    assert ds.to_table().column("b").to_pylist() == [0, 10, 20, 30, 40, 50]
    lance.dataset("ds").delete("a = 1")
    ds = lib.dataset("ds")
    # One value per visible row; a reader of another length is refused.
    for n in (4, 6):
        with pytest.raises(OSError):
            ds.add_columns(pa.table({f"c{n}": pa.array(range(n), pa.int64())}).to_reader())
    ds.add_columns(pa.table({"c": pa.array(range(5), pa.int64())}).to_reader())
    expected = {"a": [0, 2, 3, 4, 5], "b": [0, 20, 30, 40, 50], "c": [0, 1, 2, 3, 4]}
    assert ds.to_table().to_pydict() == expected
    assert other(lib).dataset("ds").to_table().to_pydict() == expected


def test_a_failed_reader_leaves_no_files(workdir):
    lancer.write_dataset(pa.table({"a": pa.array(range(6), pa.int64())}), "ds", max_rows_per_file=3)
    before = sorted(os.listdir("ds/data"))
    ds = lancer.dataset("ds")
    with pytest.raises(lancer.InvalidInputError, match="more rows"):
        ds.add_columns(pa.table({"z": pa.array(range(7), pa.int64())}).to_reader())
    assert sorted(os.listdir("ds/data")) == before and ds.version == 1


def test_open_by_tag(lib, workdir):
    lib.write_dataset(TABLE, "ds")
    ds = lib.write_dataset(TABLE, "ds", mode="append")
    ds.tags.create("v1", 1)
    assert lib.dataset("ds", version="v1").version == 1
    with pytest.raises(ValueError):
        lib.dataset("ds", version="nope")


def test_predicates_say_they_are_missing(workdir):
    ds = lancer.write_dataset(TABLE, "ds")
    for call in (
        lambda: ds.delete("a = 1"),
        lambda: ds.update({"a": "a + 1"}),
        lambda: ds.merge_insert("a"),
        lambda: ds.create_scalar_index("a", "BTREE"),
        lambda: ds.count_rows("a > 1"),
        lambda: ds.get_fragments()[0].delete("a = 1"),
        lambda: ds.get_fragments()[0].count_rows("a > 1"),
        lambda: ds.to_table(filter="a > 1"),
    ):
        with pytest.raises(NotImplementedError):
            call()


def test_hostile_reads_and_changes(workdir):
    ds = lancer.write_dataset(pa.table({"a": pa.array(range(5), pa.int64()), "s": [{"x": i} for i in range(5)]}), "ds")
    with pytest.raises(TypeError):
        ds.take([1.5])
    with pytest.raises(ValueError):
        ds.take([-1])
    for columns in (["s."], [".x"], ["s.x.y"], [""]):
        with pytest.raises(ValueError):
            ds.to_table(columns=columns)
    with pytest.raises(NotImplementedError):
        ds.drop_columns(["s.x"])
    with pytest.raises(ValueError):
        ds.drop_columns(["a", "a"])
    for name in ("../up", "a/b", "", "x" * 300):
        with pytest.raises(ValueError):
            ds.tags.create(name, 1)
    assert ds.version == 1 and not os.path.exists("up.json")
    # A tag file edited by hand to nonsense is an error, never a guess.
    ds.tags.create("ok", 1)
    with open("ds/_refs/tags/ok.json", "w") as broken:
        broken.write('{"version": "one"}')
    with pytest.raises(OSError):
        ds.checkout_version("ok")
