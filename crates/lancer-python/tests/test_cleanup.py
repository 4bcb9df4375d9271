"""Cleanup and abort through the Python package, with pylance's names and ``CleanupStats``;
pylance reads what is kept and its own cleanup finds nothing more."""

import os
from datetime import timedelta

import pyarrow as pa
import pytest

import lancer
from lancer.fragment import write_fragments

SCHEMA = pa.schema([("a", pa.int64())])


def overwrites(uri, count):
    read = 0
    for v in range(count):
        fragments = write_fragments({"a": list(range(v * 10, v * 10 + 10))}, uri, schema=SCHEMA)
        lancer.LanceDataset.commit(uri, lancer.LanceOperation.Overwrite(SCHEMA, fragments), read_version=read)
        read += 1
    return lancer.dataset(uri)


def test_cleanup_old_versions_as_pylance_names_it(workdir):
    import lance

    ds = overwrites("./ds", 4)
    # Recent versions stay by default (14 days).
    stats = ds.cleanup_old_versions()
    assert (stats.old_versions, stats.bytes_removed) == (0, 0)
    stats = ds.cleanup_old_versions(older_than=timedelta(0))
    assert isinstance(stats, lancer.CleanupStats)
    assert stats.old_versions == 3
    assert stats.data_files_removed == 3
    assert stats.transaction_files_removed == 3
    assert stats.failed_deletes == 0 and stats.bytes_removed > 0
    assert [v["version"] for v in ds.versions()] == [4]
    theirs = lance.dataset("./ds")
    assert theirs.to_table()["a"].to_pylist() == list(range(30, 40))
    again = theirs.cleanup_old_versions(older_than=timedelta(0), delete_unverified=True)
    assert (again.old_versions, again.bytes_removed) == (0, 0)


def test_tagged_versions_stay(workdir):
    import lance

    overwrites("./ds", 3)
    lance.dataset("./ds").tags.create("first", 1)
    ds = lancer.dataset("./ds")
    with pytest.raises(lancer.InvalidInputError, match="tagged"):
        ds.cleanup_old_versions(older_than=timedelta(0))
    assert len(ds.versions()) == 3
    stats = ds.cleanup_old_versions(older_than=timedelta(0), error_if_tagged_old_versions=False)
    assert stats.old_versions == 1
    assert [v["version"] for v in ds.versions()] == [1, 3]
    assert lance.dataset("./ds", version=1).to_table()["a"].to_pylist() == list(range(10))
    with pytest.raises(lancer.UnsupportedError):
        ds.cleanup_old_versions(versions=[2])


def test_abort_a_failed_job(workdir):
    ds = overwrites("./ds", 1)
    failed = write_fragments({"a": [7, 8]}, "./ds", schema=SCHEMA)
    assert len(os.listdir("./ds/data")) == 2
    report = lancer.abort("./ds", failed)
    assert report.removed == [failed[0].files[0].path]
    assert lancer.abort(ds, failed).missing == report.removed
    committed = ds.get_fragments()[0].metadata
    kept = lancer.abort("./ds", [committed])
    assert kept.removed == [] and kept.referenced == [(committed.files[0].path, 1)]
    assert lancer.dataset("./ds").to_table()["a"].to_pylist() == list(range(10))
