"""pylance doing one thing to a dataset, for tests that check lancer against it.

usage: ops.py delete URI PREDICATE      deletes rows (prints the new version)
       ops.py append URI START END      appends rows id START..END (name "p<id>")
       ops.py read URI                  prints {"version", "count", "fragments", "ids"}
       ops.py compact URI TARGET_ROWS   compacts with pylance (prints the new version)

Every command prints one JSON line.
"""
import json
import sys

import lance
import pyarrow as pa


def main(command, uri, *args):
    if command == "delete":
        ds = lance.dataset(uri)
        ds.delete(args[0])
        print(json.dumps({"version": lance.dataset(uri).version}))
    elif command == "append":
        start, end = int(args[0]), int(args[1])
        schema = lance.dataset(uri).schema
        ids = list(range(start, end))
        table = pa.table({"id": pa.array(ids, pa.int64()), "name": pa.array([f"p{i}" for i in ids])})
        table = table.cast(pa.schema([schema.field("id"), schema.field("name")]))
        lance.write_dataset(table, uri, mode="append")
        print(json.dumps({"version": lance.dataset(uri).version}))
    elif command == "read":
        ds = lance.dataset(uri)
        ids = ds.to_table(columns=["id"])["id"].to_pylist()
        print(json.dumps({"version": ds.version, "count": ds.count_rows(),
                          "fragments": len(ds.get_fragments()), "ids": ids}))
    elif command == "compact":
        ds = lance.dataset(uri)
        metrics = ds.optimize.compact_files(target_rows_per_fragment=int(args[0]))
        print(json.dumps({"version": lance.dataset(uri).version,
                          "fragments_removed": metrics.fragments_removed,
                          "fragments_added": metrics.fragments_added}))
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main(*sys.argv[1:])
