"""Hostile worker output through the Python package: each commit is refused with a message
naming the fragment, file or column at fault, and the dataset's versions and transactions
are left byte for byte as they were."""

import copy
import json
import os

import pyarrow as pa
import pytest

import lancer
from lancer.fragment import FragmentMetadata, write_fragments

SCHEMA = pa.schema([("a", pa.int32()), ("b", pa.string())])


def snapshot(uri):
    out = {}
    for folder in ("_versions", "_transactions"):
        path = os.path.join(uri, folder)
        for name in sorted(os.listdir(path)) if os.path.isdir(path) else []:
            with open(os.path.join(path, name), "rb") as f:
                out[f"{folder}/{name}"] = f.read()
    return out


def create(uri):
    fragments = write_fragments({"a": [1, 2, 3], "b": ["x", "y", "z"]}, uri, schema=SCHEMA)
    fragments += write_fragments({"a": [4, 5], "b": ["u", "v"]}, uri, schema=SCHEMA)
    return lancer.LanceDataset.commit(uri, lancer.LanceOperation.Overwrite(SCHEMA, fragments), read_version=0)


def edited(fragment, change):
    raw = copy.deepcopy(fragment.to_json())
    change(raw)
    return FragmentMetadata.from_json(json.dumps(raw))


def refused(uri, operation, read_version, *needles):
    before = snapshot(uri)
    with pytest.raises(lancer.LancerError) as caught:
        lancer.LanceDataset.commit(uri, operation, read_version=read_version)
    message = str(caught.value)
    for needle in needles:
        assert needle in message, message
    assert snapshot(uri) == before, message
    return message


def new_fragment(uri):
    return write_fragments({"a": [7, 8], "b": ["q", "r"]}, uri, schema=SCHEMA)[0]


def test_duplicates_are_refused(workdir):
    ds = create("./ds")
    new = new_fragment("./ds")
    path = new.files[0].path
    Append = lancer.LanceOperation.Append
    refused("./ds", Append([new, new]), 1, "listed by two fragments", path)
    refused("./ds", Append([new] * 20_000), 1, "listed by two fragments")
    existing = edited(ds.get_fragments()[0].metadata, lambda f: f.update(id=0))
    refused("./ds", Append([existing]), 1, "already in fragment 0")
    lancer.LanceDataset.commit("./ds", Append([new]), read_version=1)
    refused("./ds", Append([new]), 2, "already in fragment 2")
    assert lancer.dataset("./ds").count_rows() == 7


@pytest.mark.parametrize("columns", [[1, 0], [0, 0], [5, 6], [-1, -1]])
def test_column_indices_must_be_the_files(workdir, columns):
    create("./ds")
    new = new_fragment("./ds")
    bad = edited(new, lambda f: f["files"][0].update(column_indices=columns))
    refused("./ds", lancer.LanceOperation.Append([bad]), 1, "fragment #0", new.files[0].path, "column")


@pytest.mark.parametrize(
    "change, needle",
    [
        (lambda f: f["files"][0].update(path="sub/x.lance"), "subdirectory"),
        (lambda f: f.update(id=4294967295), "4294967295"),
        (lambda f: f.update(deletion_file={"read_version": 1, "id": 3, "num_deleted_rows": 1, "file_type": "array"}), "deletion_file"),
        (lambda f: f.update(physical_rows=1), "rows"),
    ],
)
def test_fragments_readers_cannot_use_are_refused(workdir, change, needle):
    create("./ds")
    before = snapshot("./ds")
    try:
        bad = edited(new_fragment("./ds"), change)
    except lancer.InvalidInputError as refused_early:
        # Refused as soon as the JSON is read, before any commit.
        assert needle in str(refused_early), refused_early
        assert snapshot("./ds") == before
        return
    refused("./ds", lancer.LanceOperation.Append([bad]), 1, needle)


def test_a_stale_merge_cannot_bring_back_deleted_rows(workdir):
    import lance

    ds = create("./ds")
    merged = []
    for fragment in ds.get_fragments():
        new, schema = fragment.merge_columns(lambda b: pa.record_batch([pa.array([len(s) for s in b["b"].to_pylist()], pa.int32())], ["n"]), ["b"])
        merged.append(new)
    lance.dataset("./ds").delete("a < 3")
    assert lancer.dataset("./ds").count_rows() == 3
    refused("./ds", lancer.LanceOperation.Merge(merged, schema), 2, "fragment 0", "deletion_file")
    with pytest.raises(lancer.errors.CommitRebuildError):
        lancer.LanceDataset.commit("./ds", lancer.LanceOperation.Merge(merged, schema), read_version=1)
    only_new = [edited(merged[0], lambda f: f["files"].pop(0)), merged[1]]
    refused("./ds", lancer.LanceOperation.Merge(only_new, schema), 1, "drops data file")


def test_repeated_and_nameless_columns_are_refused_by_workers(workdir):
    for names in (["a", "a"], ["a", ""]):
        table = pa.table([pa.array([1]), pa.array([2])], names=names)
        with pytest.raises(lancer.LancerError, match="column"):
            write_fragments(table, "./ds")
    assert not os.path.exists("./ds/data") or not os.listdir("./ds/data")


def test_a_link_out_of_the_dataset_is_refused(workdir):
    create("./ds")
    new = new_fragment("./ds")
    outside = workdir / "outside.lance"
    os.rename(os.path.join("ds", "data", new.files[0].path), outside)
    os.symlink(outside, os.path.join("ds", "data", new.files[0].path))
    refused("./ds", lancer.LanceOperation.Append([new]), 1, new.files[0].path, "symbolic link")


@pytest.mark.parametrize("deleted", [1, 17, 18, 400, 2500])
def test_rows_pylance_deleted_stay_deleted(workdir, deleted):
    import lance

    table = pa.table({"id": pa.array(range(5000), pa.int64())})
    lance.write_dataset(table, "./ds", max_rows_per_file=5000)
    lance.dataset("./ds").delete(f"id < {deleted}")
    ours = lancer.dataset("./ds")
    assert ours.count_rows() == 5000 - deleted
    assert ours.to_table()["id"].to_pylist() == lance.dataset("./ds").to_table()["id"].to_pylist()
