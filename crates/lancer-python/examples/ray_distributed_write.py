"""A distributed write with Ray Data and lancer.ray: a Ray dataset written as a lancer
dataset (blocks become fragments on the workers, one commit on the driver), a column added
on Ray tasks, small fragments compacted, and everything read back with Ray and pylance's API.

    pip install ./crates/lancer-python "ray[data]"
    python crates/lancer-python/examples/ray_distributed_write.py ./ray_example

The dataset path must be storage every Ray node sees (a shared file system or an object
store URI, with ``storage_options`` for its credentials).
"""

import sys

import pyarrow as pa
import pyarrow.compute as pc
import ray

import lancer
import lancer.ray


def main(uri: str, rows: int = 100_000) -> None:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        users = ray.data.range(rows, override_num_blocks=8).map_batches(
            lambda b: {"id": b["id"], "name": [f"user-{i}" for i in b["id"]]}, batch_format="numpy"
        )
        lancer.ray.write_lance(users, uri, max_rows_per_file=10_000)
        ds = lancer.dataset(uri)
        print(f"committed version {ds.version}: {ds.count_rows()} rows in {len(ds.get_fragments())} fragments")

        ds = lancer.ray.add_columns(
            uri, lambda batch: pa.record_batch([pc.utf8_length(batch["name"])], ["name_len"]), ["name"]
        )
        print(f"committed version {ds.version}: columns {ds.schema.names}")

        metrics, failed = lancer.ray.compact_files(uri, {"target_rows_per_fragment": 50_000})
        assert not failed, failed
        ds = lancer.dataset(uri)
        print(f"compacted into version {ds.version}: {len(ds.get_fragments())} fragments")

        table = lancer.ray.read_lance(uri).to_arrow_refs()
        table = pa.concat_tables(ray.get(table))
        assert table.num_rows == rows, table.num_rows
        assert sorted(table.column("id").to_pylist()) == list(range(rows))
        assert table.column("name_len").to_pylist() == [len(n) for n in table.column("name").to_pylist()]
        print("read back with Ray: every row, with name_len")
    finally:
        ray.shutdown()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: ray_distributed_write.py DATASET_URI")
    main(sys.argv[1])
