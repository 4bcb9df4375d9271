"""Compaction through the Python package, with pylance's names: plan once, tasks executed
in other processes (pickled there and back), one commit; ``ds.optimize.compact_files``;
pylance reads every result."""

import multiprocessing
import pickle

import pyarrow as pa
import pytest

import lancer
from lancer.fragment import write_fragments
from lancer.optimize import Compaction, CompactionPlan, CompactionTask, RewriteResult

SCHEMA = pa.schema([("id", pa.int64()), ("name", pa.string())])


def small_fragments(uri, count, rows=10):
    fragments = []
    for f in range(count):
        ids = list(range(f * rows, (f + 1) * rows))
        fragments += write_fragments({"id": ids, "name": [f"p{i}" for i in ids]}, uri, schema=SCHEMA)
    return lancer.LanceDataset.commit(uri, lancer.LanceOperation.Overwrite(SCHEMA, fragments), read_version=0)


def execute_elsewhere(pickled_task):
    task = pickle.loads(pickled_task)
    return pickle.dumps(task.execute(lancer.dataset("./ds")))


def test_plan_execute_in_processes_commit(workdir):
    import lance

    small_fragments("./ds", 40)
    lance.dataset("./ds").delete("id % 5 = 0")
    expected = sorted(lance.dataset("./ds").to_table()["id"].to_pylist())
    ds = lancer.dataset("./ds")
    plan = Compaction.plan(ds, {"target_rows_per_fragment": 100})
    assert isinstance(plan, CompactionPlan)
    assert plan.num_tasks() >= 3 and plan.read_version == 2
    assert CompactionPlan.from_json(plan.to_json()) == plan
    tasks = plan.tasks
    assert all(isinstance(t, CompactionTask) for t in tasks)
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        results = [pickle.loads(r) for r in pool.map(execute_elsewhere, [pickle.dumps(t) for t in tasks])]
    assert all(isinstance(r, RewriteResult) for r in results)
    assert RewriteResult.from_json(results[0].to_json()) == results[0]
    metrics = Compaction.commit(ds, results)
    assert metrics.fragments_removed == 40
    assert metrics.fragments_added == sum(len(r.new_fragments) for r in results)

    theirs = lance.dataset("./ds")
    assert theirs.version == 3
    assert len(theirs.get_fragments()) == metrics.fragments_added
    assert sorted(theirs.to_table()["id"].to_pylist()) == expected
    assert sorted(lancer.dataset("./ds").to_table()["id"].to_pylist()) == expected
    # Committing the same results again changes nothing.
    Compaction.commit(ds, results)
    assert lance.dataset("./ds").version == 3


def test_compact_files_in_place(workdir):
    import lance

    ds = small_fragments("./ds", 30)
    metrics = ds.optimize.compact_files(target_rows_per_fragment=1000, num_threads=2)
    assert (metrics.fragments_removed, metrics.fragments_added) == (30, 1)
    assert ds.version == 2
    assert len(ds.get_fragments()) == 1
    assert lance.dataset("./ds").to_table()["id"].to_pylist() == list(range(300))
    # Nothing left to do.
    assert ds.optimize.compact_files(target_rows_per_fragment=1000).fragments_removed == 0
    with pytest.raises(lancer.UnsupportedError, match="defer_index_remap"):
        ds.optimize.compact_files(defer_index_remap=True)
    with pytest.raises(lancer.UnsupportedError, match="max_source_fragments"):
        ds.optimize.compact_files(max_source_fragments=3)


def test_pylance_compacts_what_lancer_wrote_and_the_reverse(workdir):
    import lance

    small_fragments("./ours", 12)
    lance.dataset("./ours").optimize.compact_files(target_rows_per_fragment=1000)
    assert lancer.dataset("./ours").to_table()["id"].to_pylist() == list(range(120))
    table = pa.table({"id": pa.array(range(120), pa.int64()), "name": [f"p{i}" for i in range(120)]})
    lance.write_dataset(table, "./theirs", max_rows_per_file=10)
    lance.dataset("./theirs").delete("id < 15")
    ds = lancer.dataset("./theirs")
    ds.optimize.compact_files(target_rows_per_fragment=1000)
    assert lance.dataset("./theirs").to_table()["id"].to_pylist() == list(range(15, 120))


def test_pylance_writers_built_before_lancers_rewrite(workdir):
    """The conflict matrix both ways through the real protocol: pylance's Append built on
    the version before lancer's Rewrite is rebased over it; pylance's Delete of rewritten
    rows built on that version is refused (or lands on the new fragments), and in every case
    both read the same rows, none lost, none twice."""
    import lance

    small_fragments("./ds", 20)
    stale = lance.dataset("./ds")
    before = stale.version
    ours = lancer.dataset("./ds")
    ours.optimize.compact_files(target_rows_per_fragment=1000)
    assert ours.version == before + 1

    extra = lance.fragment.write_fragments(
        pa.table({"id": pa.array([500, 501], pa.int64()), "name": ["x", "y"]}), "./ds"
    )
    lance.LanceDataset.commit("./ds", lance.LanceOperation.Append(extra), read_version=before)
    expected = list(range(200)) + [500, 501]
    assert sorted(lance.dataset("./ds").to_table()["id"].to_pylist()) == expected

    try:
        stale.delete("id = 3")
        expected.remove(3)
    except Exception:  # pylance refuses a delete of fragments rewritten since
        pass
    theirs = sorted(lance.dataset("./ds").to_table()["id"].to_pylist())
    mine = sorted(lancer.dataset("./ds").to_table()["id"].to_pylist())
    assert theirs == mine == expected
