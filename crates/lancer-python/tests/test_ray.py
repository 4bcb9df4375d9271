"""lancer.ray on a local Ray (two CPUs, one cluster for the whole session): writes in every
mode read by pylance, reads back into Ray, failed jobs leave no files, a retried driver
commits once, add_columns and compact_files end to end."""

import os

import pyarrow as pa
import pytest

import lance
import lancer

import ray

import lancer.ray as lancer_ray


@pytest.fixture(scope="session")
def cluster():
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
    yield
    ray.shutdown()


def numbers(n, blocks=4):
    return ray.data.range(n, override_num_blocks=blocks).map_batches(
        lambda b: {"id": b["id"], "twice": b["id"] * 2}, batch_format="numpy"
    )


def data_files(uri):
    folder = os.path.join(uri, "data")
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def test_write_modes_read_by_pylance_and_by_ray(cluster, tmp_path):
    uri = str(tmp_path / "ds")
    lancer_ray.write_lance(numbers(100), uri, max_rows_per_file=30)
    assert sorted(lance.dataset(uri).to_table()["id"].to_pylist()) == list(range(100))
    with pytest.raises(Exception):
        lancer_ray.write_lance(numbers(10), uri)
    lancer_ray.write_lance(numbers(10), uri, mode="append")
    ds = lance.dataset(uri)
    assert ds.version == 2 and ds.count_rows() == 110
    back = lancer_ray.read_lance(uri, columns=["twice"]).take_all()
    assert sorted(r["twice"] for r in back) == sorted([2 * i for i in range(100)] + [2 * i for i in range(10)])
    assert lancer_ray.read_lance(uri, version=1).count() == 100
    lancer_ray.write_lance(numbers(5), uri, mode="overwrite")
    assert lance.dataset(uri).count_rows() == 5
    assert lancer_ray.read_lance(uri).count() == 5


def test_a_failed_job_leaves_nothing(cluster, tmp_path):
    uri = str(tmp_path / "ds")
    lancer_ray.write_lance(numbers(40), uri)
    before = data_files(uri)

    def fails_in_one_block(batch):
        if 30 in batch["id"]:
            raise RuntimeError("block failed")
        return batch

    job = ray.data.range(40, override_num_blocks=4).map_batches(fails_in_one_block, batch_format="numpy")
    job = job.map_batches(lambda b: {"id": b["id"], "twice": b["id"] * 2}, batch_format="numpy")
    with pytest.raises(Exception):
        lancer_ray.write_lance(job, uri, mode="append")
    assert lancer.dataset(uri).version == 1
    assert data_files(uri) == before


def test_a_retried_driver_commits_once(cluster, tmp_path):
    uri = str(tmp_path / "ds")
    sink = lancer_ray.LanceDatasink(uri)
    sink.on_write_start()
    result = type("Result", (), {})()
    result.write_returns = [sink.write([pa.table({"id": [1, 2], "twice": [2, 4]})], None)]
    first = sink.on_write_complete(result)
    again = sink.on_write_complete(result)  # the reply was lost: the driver runs it again
    assert first.version == again.version == 1
    assert lance.dataset(uri).count_rows() == 2


def test_add_columns_and_compaction_on_ray(cluster, tmp_path):
    uri = str(tmp_path / "ds")
    lancer_ray.write_lance(numbers(60, blocks=6), uri, max_rows_per_file=10)
    done = lancer_ray.add_columns(
        uri, lambda b: pa.record_batch({"thrice": pa.compute.multiply(b.column("id"), 3)}), ["id"]
    )
    assert done.version == 2
    table = lance.dataset(uri).to_table()
    assert sorted(zip(table["id"].to_pylist(), table["thrice"].to_pylist())) == [(i, 3 * i) for i in range(60)]
    metrics, failures = lancer_ray.compact_files(uri, {"target_rows_per_fragment": 1000})
    assert failures == [] and metrics.fragments_removed >= 2
    ds = lance.dataset(uri)
    assert ds.version == 3 and len(ds.get_fragments()) == 1
    assert sorted(ds.to_table()["thrice"].to_pylist()) == [3 * i for i in range(60)]


def test_failed_add_columns_tasks_leave_nothing(cluster, tmp_path):
    uri = str(tmp_path / "ds")
    lancer_ray.write_lance(numbers(40, blocks=4), uri, max_rows_per_file=10)
    before = data_files(uri)

    def fails_on_one_fragment(batch):
        if 35 in batch.column("id").to_pylist():
            raise ValueError("udf failed")
        return pa.record_batch({"x": batch.column("id")})

    with pytest.raises(ValueError, match="udf failed"):
        lancer_ray.add_columns(uri, fails_on_one_fragment, ["id"])
    assert data_files(uri) == before and lancer.dataset(uri).version == 1


def test_lancer_imports_without_ray():
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['ray'] = None\n"
        "import lancer\n"
        "try:\n"
        "    import lancer.ray\n"
        "except ImportError as e:\n"
        "    print('refused:', e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "refused: lancer.ray needs Ray" in out.stdout, out.stdout + out.stderr


def test_abort_job_removes_only_the_jobs_unreferenced_files(tmp_path):
    uri = str(tmp_path / "ds")
    kept = lancer.fragment.write_fragments({"a": [1]}, uri, _job="kept1")
    lancer.LanceDataset.commit(uri, lancer.LanceOperation.Overwrite(pa.schema([("a", pa.int64())]), kept), read_version=0)
    lancer.fragment.write_fragments({"a": [2, 3]}, uri, _job="failed1", max_rows_per_file=1)
    lancer.fragment.write_fragments({"a": [4]}, uri, _job="other1")
    assert len(data_files(uri)) == 4
    report = lancer.abort_job(uri, "failed1")
    assert len(report.removed) == 2 and report.referenced == []
    assert len(data_files(uri)) == 2
    # The committed job's files are referenced: never removed.
    report = lancer.abort_job(uri, "kept1")
    assert report.removed == [] and len(report.referenced) == 1
    assert lancer.abort_job(uri, "failed1").removed == []
    with pytest.raises(ValueError):
        lancer.abort_job(uri, "../x")


def test_append_after_a_schema_change_uses_the_datasets_ids(cluster, tmp_path):
    # After a dropped column the dataset's field ids are no longer 0..n: workers must write
    # appended files with the dataset's ids, whatever the driver had found before.
    uri = str(tmp_path / "ds")
    lancer_ray.write_lance(numbers(10), uri)
    ds = lancer.dataset(uri)
    ds.add_columns(pa.field("note", pa.string()))
    ds.drop_columns(["id"])
    more = ray.data.range(5).map_batches(
        lambda b: {"twice": b["id"] * 2, "note": ["new"] * len(b["id"])}, batch_format="numpy"
    )
    lancer_ray.write_lance(more, uri, mode="append")
    table = lance.dataset(uri).to_table()
    assert table.num_rows == 15
    assert sorted(table["twice"].to_pylist()) == sorted([2 * i for i in range(10)] + [2 * i for i in range(5)])
    assert table["note"].to_pylist().count("new") == 5
