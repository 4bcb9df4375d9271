"""Every kind of error the facade has, provoked through the Python package: each raises
its class (the table in src/errors.rs), which is also the built-in exception pylance users
catch."""

import os
import shutil

import pyarrow as pa
import pytest

import lancer
from lancer import errors
from lancer.fragment import write_fragments

SCHEMA = pa.schema([("a", pa.int32()), ("b", pa.string())])


def create(uri):
    fragments = write_fragments({"a": [1, 2], "b": ["x", "y"]}, uri, schema=SCHEMA)
    return lancer.LanceDataset.commit(uri, lancer.LanceOperation.Overwrite(SCHEMA, fragments), read_version=0)


def more(uri):
    return write_fragments({"a": [3], "b": ["z"]}, uri, schema=SCHEMA)


def test_bad_uri_and_missing_dataset(workdir):
    with pytest.raises(errors.InvalidInputError, match="unsupported scheme"):
        lancer.dataset("ftp://host/ds")
    with pytest.raises(errors.DatasetNotFoundError) as missing:
        lancer.dataset("./nothing-here")
    assert isinstance(missing.value, FileNotFoundError)


def test_conflict_rebuild_and_retries_exhausted(workdir):
    create("./ds")
    Append, Overwrite = lancer.LanceOperation.Append, lancer.LanceOperation.Overwrite
    stale = more("./ds")
    lancer.LanceDataset.commit("./ds", Overwrite(SCHEMA, more("./ds")), read_version=1)
    with pytest.raises(errors.CommitConflictError):
        lancer.LanceDataset.commit("./ds", Append(stale), read_version=1)

    ds = lancer.dataset("./ds")
    merged, schema = ds.get_fragments()[0].merge_columns(
        lambda b: pa.record_batch([pa.array([1] * b.num_rows, pa.int32())], ["n"]), ["a"]
    )
    lancer.LanceDataset.commit("./ds", Append(more("./ds")), read_version=2)
    with pytest.raises(errors.CommitRebuildError):
        lancer.LanceDataset.commit("./ds", lancer.LanceOperation.Merge([merged], schema), read_version=2)

    # Something holds the next version's manifest name: every attempt loses.
    blocker = os.path.join("ds", "_versions", f"{2**64 - 1 - 4:020d}.manifest")
    os.makedirs(blocker)
    with pytest.raises(errors.CommitRetriesExhaustedError):
        lancer.LanceDataset.commit("./ds", Append(more("./ds")), read_version=3, max_retries=1)
    os.rmdir(blocker)


def test_unsupported_feature_flag(workdir):
    import lance

    lance.write_dataset(pa.table({"a": [1]}), "./stable", enable_stable_row_ids=True)
    with pytest.raises(errors.UnsupportedError, match="stable row ids") as caught:
        lancer.dataset("./stable")
    assert isinstance(caught.value, NotImplementedError)


def test_corrupt_manifest(workdir):
    create("./ds")
    for name in os.listdir("./ds/_versions"):
        if name.endswith(".manifest"):
            with open(os.path.join("./ds/_versions", name), "wb") as f:
                f.write(b"not a manifest at all")
    with pytest.raises(errors.CorruptDatasetError):
        lancer.dataset("./ds")


def test_unreachable_store(workdir):
    options = {
        "aws_endpoint": "http://127.0.0.1:9",
        "aws_allow_http": "true",
        "aws_region": "us-east-1",
        "aws_access_key_id": "test",
        "aws_secret_access_key": "test",
        "client_max_retries": "0",
    }
    with pytest.raises(errors.StorageError) as caught:
        lancer.dataset("s3://bucket/ds", storage_options=options)
    assert isinstance(caught.value, OSError)
