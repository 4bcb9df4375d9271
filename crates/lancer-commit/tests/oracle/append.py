"""Appends to a dataset with pylance, COUNT times, ROWS rows each, ids from START.

usage: append.py URI START COUNT ROWS

Each append is a separate commit with pylance's own conflict handling (it reads the
transactions lancer writes). Prints the versions it created as JSON.
"""
import json
import sys

import lance
import pyarrow as pa


def main(uri, start, count, rows):
    start, count, rows = int(start), int(count), int(rows)
    versions = []
    for i in range(count):
        first = start + i * rows
        table = pa.table({"id": pa.array(range(first, first + rows), pa.int64())},
                         schema=pa.schema([pa.field("id", pa.int64(), nullable=False)]))
        versions.append(lance.write_dataset(table, uri, mode="append").version)
    print(json.dumps(versions))


if __name__ == "__main__":
    main(*sys.argv[1:])
