"""Checks that pylance reads a dataset as the rows of an Arrow IPC stream, exactly
(dictionary columns compared by value).

usage: read_equals.py URI EXPECTED.arrow

Prints {"version", "fragments"} of the dataset when they are equal; fails otherwise.
"""
import json
import sys

import lance
import pyarrow as pa
import pyarrow.ipc as ipc


def decoded(table):
    columns = []
    for column in table.columns:
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        columns.append(column)
    return pa.table(columns, names=table.column_names)


def main(uri, expected_path):
    expected = ipc.open_stream(expected_path).read_all()
    ds = lance.dataset(uri)
    got = ds.to_table()
    assert decoded(got).equals(decoded(expected)), f"tables differ\n got: {got}\nwant: {expected}"
    print(json.dumps({"version": ds.version, "fragments": len(ds.get_fragments())}))


if __name__ == "__main__":
    main(*sys.argv[1:])
