"""Prints the rows pylance scans from the latest version of a dataset, as JSON.

usage: read_columns.py URI COLUMN...

Prints {"version", "count" (count_rows), "rows" (the columns asked for, in scan order)}.
"""
import json
import sys

import lance


def main(uri, *columns):
    ds = lance.dataset(uri)
    table = ds.to_table(columns=list(columns))
    print(json.dumps({"version": ds.version, "count": ds.count_rows(), "rows": table.to_pylist()}))


if __name__ == "__main__":
    main(*sys.argv[1:])
