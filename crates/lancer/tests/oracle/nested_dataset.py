"""Checks that pylance reads a dataset lancer wrote exactly, then appends the same rows
with pylance.

usage: nested_dataset.py URI EXPECTED.arrow

EXPECTED.arrow is an Arrow IPC stream of the rows lancer committed. pylance must read them
back equal (dictionary columns compared by value), from the whole dataset and from a
projection of each column; then it appends them again (its own writer, the dataset's
version) and prints {"version": ..., "storage": ...}.
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
    for name in expected.column_names:
        one = ds.to_table(columns=[name])
        assert decoded(one).equals(decoded(expected.select([name]))), f"column {name} differs"
    ds = lance.write_dataset(expected, uri, mode="append")
    print(json.dumps({"version": ds.version, "storage": ds.data_storage_version}))


if __name__ == "__main__":
    main(*sys.argv[1:])
