"""pylance doing one thing to a dataset, for tests that check lancer against it.

usage: ops.py delete URI PREDICATE      deletes rows (prints the new version)
       ops.py append URI START END      appends rows id START..END (name "p<id>")
       ops.py read URI                  prints {"version", "count", "fragments", "ids"}
       ops.py compact URI TARGET_ROWS   compacts with pylance (prints the new version)
       ops.py index URI                 builds a scalar (btree) index on `id`
       ops.py tag URI NAME VERSION      tags a version
       ops.py kept URI VERSION...       reads each version, queries `id` through the index,
                                        then runs pylance's own cleanup (which must find
                                        nothing more) and prints what it saw

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
    elif command == "index":
        ds = lance.dataset(uri)
        ds.create_scalar_index("id", "BTREE")
        print(json.dumps({"version": lance.dataset(uri).version}))
    elif command == "tag":
        lance.dataset(uri).tags.create(args[0], int(args[1]))
        print(json.dumps({"tags": sorted(lance.dataset(uri).tags.list())}))
    elif command == "kept":
        import datetime

        seen = {}
        for version in args:
            ds = lance.dataset(uri, version=int(version))
            seen[version] = sorted(ds.to_table(columns=["id"])["id"].to_pylist())
        ds = lance.dataset(uri)
        plan = ds.scanner(filter="id = 1007", columns=["id"]).explain_plan()
        found = ds.to_table(filter="id = 1007", columns=["id"])["id"].to_pylist()
        stats = ds.cleanup_old_versions(older_than=datetime.timedelta(0), delete_unverified=True,
                                        error_if_tagged_old_versions=False)
        print(json.dumps({"rows": seen, "indexed": "ScalarIndexQuery" in plan, "plan": plan, "found": found,
                          "indices": len(ds.list_indices()),
                          "pylance_cleanup": {"old_versions": stats.old_versions,
                                              "bytes_removed": stats.bytes_removed}}))
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main(*sys.argv[1:])
