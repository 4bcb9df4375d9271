"""Compacts a dataset with pylance and prints what pylance then reads, as JSON.

usage: compact.py URI COLUMN...

Prints {"version", "fragments" (count after compaction), "rows" (the columns asked for)}.
"""
import json
import sys

import lance


def main(uri, *columns):
    ds = lance.dataset(uri)
    ds.optimize.compact_files(target_rows_per_fragment=1_000_000)
    ds = lance.dataset(uri)
    table = ds.to_table(columns=list(columns))
    print(json.dumps({"version": ds.version, "fragments": len(ds.get_fragments()),
                      "rows": table.to_pylist()}))


if __name__ == "__main__":
    main(*sys.argv[1:])
