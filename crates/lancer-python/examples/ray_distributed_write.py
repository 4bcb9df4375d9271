"""A distributed write with Ray: tasks write fragments and return their JSON, the driver
commits them as one version, then adds a column the same way and reads the result back.

    pip install ./crates/lancer-python "ray[default]"
    python crates/lancer-python/examples/ray_distributed_write.py ./ray_example

Only strings cross between tasks and the driver, as they would between hosts; the dataset
path must be storage every Ray node sees (a shared file system or an object store URI, with
``storage_options`` for its credentials).
"""

import json
import sys

import pyarrow as pa
import pyarrow.compute as pc
import ray

import lancer as lance
from lancer.fragment import write_fragments

SCHEMA = pa.schema([("id", pa.int64()), ("name", pa.string())])


@ray.remote
def write_part(uri: str, start: int, rows: int) -> list:
    """A worker: writes its rows as data files and returns the fragments as JSON."""
    data = {
        "id": list(range(start, start + rows)),
        "name": [f"user-{i}" for i in range(start, start + rows)],
    }
    fragments = write_fragments(data, uri, schema=SCHEMA)
    return [json.dumps(fragment.to_json()) for fragment in fragments]


@ray.remote
def add_name_length(uri: str, version: int, fragment_id: int) -> tuple:
    """A worker: adds `name_len` to one fragment of `version` without rewriting it."""
    fragment = lance.dataset(uri, version=version).get_fragment(fragment_id)
    new_fragment, new_schema = fragment.merge_columns(
        lambda batch: pa.record_batch([pc.utf8_length(batch["name"])], ["name_len"]), ["name"]
    )
    # The schema carries the new column's field id; it pickles like the fragment does.
    return json.dumps(new_fragment.to_json()), new_schema


def main(uri: str, workers: int = 4, rows_per_worker: int = 25_000) -> None:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        parts = ray.get([write_part.remote(uri, i * rows_per_worker, rows_per_worker) for i in range(workers)])
        fragments = [lance.FragmentMetadata.from_json(text) for part in parts for text in part]
        ds = lance.LanceDataset.commit(uri, lance.LanceOperation.Overwrite(SCHEMA, fragments), read_version=0)
        print(f"committed version {ds.version}: {ds.count_rows()} rows in {len(ds.get_fragments())} fragments")

        merged = ray.get([add_name_length.remote(uri, ds.version, f.fragment_id) for f in ds.get_fragments()])
        new_fragments = [lance.FragmentMetadata.from_json(text) for text, _ in merged]
        new_schema = merged[0][1]
        ds = lance.LanceDataset.commit(
            uri, lance.LanceOperation.Merge(new_fragments, schema=new_schema), read_version=ds.version
        )
        table = ds.to_table()
        print(f"committed version {ds.version}: columns {table.column_names}")

        expected_rows = workers * rows_per_worker
        assert table.num_rows == expected_rows, table.num_rows
        assert sorted(table.column("id").to_pylist()) == list(range(expected_rows))
        assert table.column("name_len").to_pylist() == [len(n) for n in table.column("name").to_pylist()]
        print("read back: every row, with name_len")
    finally:
        ray.shutdown()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: ray_distributed_write.py DATASET_URI")
    main(sys.argv[1])
