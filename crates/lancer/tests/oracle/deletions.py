"""A 2.0 dataset with deleted rows (one fragment with a bitmap deletion file, one with an
Arrow deletion file), and what pylance reads from it.

usage: deletions.py URI

Prints {"version", "count", "sum", "first", "last"} of the ids pylance scans.
"""
import json
import sys

import lance
import pyarrow as pa


def main(uri):
    table = pa.table({"id": pa.array(range(100_000), pa.int64())})
    lance.write_dataset(table, uri, data_storage_version="2.0", max_rows_per_file=40_000)
    lance.dataset(uri).delete("id % 7 = 0 and id < 40000")   # many rows: a roaring bitmap
    lance.dataset(uri).delete("id = 50000 or id = 50001")    # few rows: an Arrow array
    ds = lance.dataset(uri)
    ids = ds.to_table()["id"].to_pylist()
    print(json.dumps({"version": ds.version, "count": len(ids), "sum": sum(ids), "first": ids[:20], "last": ids[-20:]}))


if __name__ == "__main__":
    main(sys.argv[1])
