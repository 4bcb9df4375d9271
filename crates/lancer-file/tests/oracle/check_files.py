"""Checks that pylance reads Lance files written by lancer exactly.

usage: check_files.py DIR [FOOTER_VERSION]

DIR holds pairs CASE.lance (written by lancer) and CASE.arrow (the table lancer was given,
as an Arrow IPC file). FOOTER_VERSION is the major.minor every footer must carry (0.3, the
2.0 format, by default; 2.1 or 2.2). For every pair pylance's LanceFileReader must report the row count,
return the same schema and values, and agree on projections, a row range and a take.
Dictionary columns are compared by their decoded values. Prints one line per case and exits
non-zero if any case fails.
"""
import os
import struct
import sys
import traceback

import pyarrow as pa
import pyarrow.ipc as ipc
from lance.file import LanceFileReader


def decoded(table):
    columns = []
    for column in table.columns:
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        columns.append(column)
    return pa.table(columns, names=table.column_names)


def same(got, want, what):
    got, want = decoded(got), decoded(want)
    if not got.equals(want):
        for name in want.column_names:
            if not got[name].equals(want[name]):
                raise AssertionError(f"{what}: column {name} differs\n got: {got[name]}\nwant: {want[name]}")
        raise AssertionError(f"{what}: tables differ\n got: {got}\nwant: {want}")


def check(path, expected_path, footer):
    raw = open(path, "rb").read()
    cms, cmo, gbo, n_global, n_columns, major, minor = struct.unpack("<QQQIIHH", raw[-40:-4])
    assert raw[-4:] == b"LANC", "magic"
    assert (major, minor) == footer, f"footer version {(major, minor)}, expected {footer}"
    assert cmo + 16 * n_columns == gbo, "column table must end where the global buffer table starts"
    expected = ipc.open_stream(expected_path).read_all()
    reader = LanceFileReader(path)
    assert reader.num_rows() == expected.num_rows, (reader.num_rows(), expected.num_rows)
    got = reader.read_all().to_table()
    assert got.schema.equals(expected.schema), f"schema\n got: {got.schema}\nwant: {expected.schema}"
    same(got, expected, "read_all")
    for name in expected.column_names:
        one = LanceFileReader(path, columns=[name]).read_all().to_table()
        same(one, expected.select([name]), f"projection {name}")
    n = expected.num_rows
    if n > 2:
        same(reader.read_range(1, n - 2).to_table(), expected.slice(1, n - 2), "read_range")
        rows = sorted({0, n // 3, n // 2, n - 1})
        same(reader.take_rows(rows).to_table(), expected.take(rows), "take_rows")


def main(directory, footer="0.3"):
    footer = tuple(int(part) for part in footer.split("."))
    failures = 0
    cases = sorted(f[:-6] for f in os.listdir(directory) if f.endswith(".lance"))
    if not cases:
        print("no cases found")
        return 1
    for case in cases:
        try:
            check(os.path.join(directory, case + ".lance"), os.path.join(directory, case + ".arrow"), footer)
            print(f"ok   {case}")
        except Exception:
            failures += 1
            print(f"FAIL {case}\n{traceback.format_exc()}")
    print(f"{len(cases) - failures} of {len(cases)} cases read back exactly by pylance")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
