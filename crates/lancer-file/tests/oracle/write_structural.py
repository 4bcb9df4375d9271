"""Writes Lance 2.1 and 2.2 files with pylance that exercise every page layout and
compression pylance 14 uses, for flat columns and under structs, nested lists and maps.

usage: write_structural.py DIR

For each case: DIR/CASE.arrow (the expected table, Arrow IPC stream) and
DIR/CASE.v2_1.lance, DIR/CASE.v2_2.lance written by pylance's LanceFileWriter. The data is
deterministic; sizes are chosen to cross pylance's thresholds (FSST above 32 KiB of strings,
full-zip for values of 256 bytes or more, several chunks and pages). Maps exist only in
2.2, so map cases have no 2.1 file.
"""
import os
import random
import sys

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc
from lance.file import LanceFileWriter


def cases():
    rng = np.random.default_rng(7)
    rnd = random.Random(7)
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta"]
    n = 20000

    def with_meta(table, column, key, value):
        fields = [f.with_metadata({key: value}) if f.name == column else f for f in table.schema]
        return table.cast(pa.schema(fields))

    yield "ints_bitpacked", pa.table({"a": pa.array(np.arange(n, dtype=np.int64) % 1000)})
    yield "ints_negative", pa.table({"a": pa.array(rng.integers(-(2**40), 2**40, n))})
    yield "ints_nullable", pa.table({"a": pa.array([None if i % 7 == 0 else i * 3 for i in range(n)], pa.int32())})
    yield "ints_runs", pa.table({"a": pa.array(np.repeat(np.arange(40, dtype=np.int16), 500))})
    yield "ints_constant", pa.table({"a": pa.array([7] * n, pa.int32())})
    yield "ints_constant_nulls", pa.table({"a": pa.array([None if i % 5 == 0 else 9 for i in range(n)], pa.int64())})
    yield "all_null", pa.table({"a": pa.array([None] * 1000, pa.float64())})
    yield "floats", pa.table({"a": pa.array(rng.random(n)), "b": pa.array(rng.random(n).astype(np.float32))})
    yield "floats_nullable", pa.table({"a": pa.array([None if i % 10 == 0 else float(i) / 3 for i in range(n)], pa.float32())})
    yield "bools", pa.table({"a": pa.array([None if i % 4 == 0 else i % 3 == 0 for i in range(n)])})
    yield "strings_short", pa.table({"a": pa.array([None if i % 6 == 0 else f"value-{i}" for i in range(n)])})
    yield "strings_fsst", pa.table({"a": pa.array([" ".join(rnd.choice(words) for _ in range(6)) + str(i) for i in range(n)])})
    yield "strings_lowcard", pa.table({"a": pa.array([words[i % 6] if i % 11 else None for i in range(n)])})
    yield "strings_constant", pa.table({"a": pa.array(["same"] * 1000)})
    yield "strings_long", pa.table({"a": pa.array([None if i % 9 == 0 else ("x%d" % i) * (60 + i % 50) for i in range(2000)])})
    yield "large_strings", pa.table({"a": pa.array([f"large-{i}" * (i % 4) for i in range(n)], pa.large_utf8())})
    yield "binary_lowcard", pa.table({"a": pa.array([b"y" * (i % 4) for i in range(n)], pa.large_binary())})
    yield "vectors_wide", pa.table({"v": pa.FixedSizeListArray.from_arrays(pa.array(rng.random(2000 * 128).astype(np.float32)), 128)})
    yield "vectors_wide_nulls", pa.table({"v": pa.array([None if i % 13 == 0 else [float(i)] * 128 for i in range(500)], pa.list_(pa.float32(), 128))})
    yield "vectors_narrow_nulls", pa.table({"v": pa.array([None if i % 5 == 0 else [float(i)] * 4 for i in range(n)], pa.list_(pa.float32(), 4))})
    yield "temporal", pa.table({
        "d": pa.array(np.arange(n, dtype=np.int32), pa.date32()),
        "ts": pa.array(np.arange(n, dtype=np.int64) * 1_000_003, pa.timestamp("us", tz="UTC")),
        "dec": pa.array([i * 7 for i in range(n)], pa.decimal128(12, 2)),
        "fsb": pa.array([i.to_bytes(16, "little") for i in range(n)], pa.binary(16)),
    })
    yield "dictionary", pa.table({"d": pa.array([words[i % 6] for i in range(n)]).dictionary_encode()})
    base = pa.table({"a": pa.array(np.arange(n, dtype=np.int64) * 7919 % 1000003)})
    yield "zstd", with_meta(base, "a", "lance-encoding:compression", "zstd")
    yield "lz4", with_meta(base, "a", "lance-encoding:compression", "lz4")
    strings = pa.table({"a": pa.array([f"text {i % 97} {i}" for i in range(n)])})
    yield "strings_zstd", with_meta(strings, "a", "lance-encoding:compression", "zstd")
    yield "many_pages", pa.table({"a": pa.array(np.arange(300_000, dtype=np.int64)), "s": pa.array([f"s{i}" for i in range(300_000)])})
    def lists(i):
        if i % 11 == 0:
            return None
        if i % 7 == 0:
            return []
        return [None if (i + j) % 5 == 0 else i * 10 + j for j in range(i % 4 + 1)]

    yield "list_ints", pa.table({"l": pa.array([lists(i) for i in range(n)], pa.list_(pa.int32()))})
    yield "list_ints_valid", pa.table({"l": pa.array([list(range(i % 5 + 1)) for i in range(n)], pa.large_list(pa.int64()))})
    yield "list_strings", pa.table({"l": pa.array([None if i % 13 == 0 else [f"s{i}-{j}" for j in range(i % 3)] for i in range(n)], pa.large_list(pa.utf8()))})
    yield "list_long_strings", pa.table({"l": pa.array([None if i % 9 == 0 else [("w%d" % i) * 80] * (i % 3) for i in range(600)], pa.list_(pa.utf8()))})
    yield "list_constant", pa.table({"l": pa.array([[5, 5]] * 1000, pa.list_(pa.int32()))})
    yield "list_null_items", pa.table({"l": pa.array([[None, None] if i % 3 else ([] if i % 2 else None) for i in range(900)], pa.list_(pa.int32()))})
    yield "list_vectors", pa.table({"l": pa.array([[[float(i)] * 4] * (i % 3) for i in range(3000)], pa.list_(pa.list_(pa.float32(), 4)))})
    yield "zero_rows", pa.table({"a": pa.array([], pa.int32()), "b": pa.array([], pa.utf8())})

    # Structs, nested lists and maps: several leaves per field, more than one list layer.
    xy = pa.struct([("x", pa.int32()), ("y", pa.utf8())])
    yield "struct_valid", pa.table({"s": pa.array([{"x": i, "y": f"y{i}"} for i in range(n)], xy)})
    yield "struct_nulls", pa.table({"s": pa.array([
        None if i % 7 == 0 else {"x": None if i % 3 == 0 else i, "y": None if i % 5 == 0 else f"y{i % 50}"}
        for i in range(n)], xy)})
    nested = pa.struct([("a", pa.struct([("b", pa.int64())])), ("d", pa.list_(pa.int16()))])
    yield "struct_nested", pa.table({"s": pa.array([
        None if i % 17 == 0 else {
            "a": None if i % 5 == 0 else {"b": None if i % 4 == 0 else i * 1000},
            "d": None if i % 6 == 0 else [j for j in range(i % 4)]}
        for i in range(n)], nested)})
    yield "struct_all_null", pa.table({"s": pa.array([None] * 1000, xy)})
    yield "struct_vectors", pa.table({"s": pa.array([
        {"v": None if i % 9 == 0 else [float(i), 1.0, 2.0, 3.0], "id": i} for i in range(n)],
        pa.struct([("v", pa.list_(pa.float32(), 4)), ("id", pa.int32())]))})
    yield "struct_long_strings", pa.table({"s": pa.array([
        None if i % 10 == 0 else {"t": None if i % 7 == 0 else ("z%d" % i) * 70}
        for i in range(1500)], pa.struct([("t", pa.utf8())]))})
    qr = pa.struct([("q", pa.int64()), ("r", pa.utf8())])
    def struct_list(i):
        if i % 13 == 0:
            return None
        return [None if (i + j) % 6 == 0 else {"q": None if j == 1 else i + j, "r": f"r{j}"}
                for j in range(i % 4)]
    yield "list_struct", pa.table({"l": pa.array([struct_list(i) for i in range(n)], pa.list_(qr))})
    def list_list(i):
        if i % 11 == 0:
            return None
        return [None if (i + j) % 7 == 0 else [i + j + k for k in range(j % 3)] for j in range(i % 4)]
    yield "list_list", pa.table({"l": pa.array([list_list(i) for i in range(n)], pa.list_(pa.list_(pa.int32())))})
    yield "list_list_strings", pa.table({"l": pa.array([
        [[f"w{i}-{k}" for k in range(j)] for j in range(i % 3)] for i in range(n)],
        pa.large_list(pa.list_(pa.utf8())))})
    yield "list_list_small", pa.table({"l": pa.array([[[1, 2], [], None], None, [], [[3]]], pa.list_(pa.list_(pa.int32())))})
    yield "map_ints", pa.table({"m": pa.array([
        None if i % 19 == 0 else [(f"k{j}", None if j == 2 else i * j) for j in range(i % 4)]
        for i in range(n)], pa.map_(pa.utf8(), pa.int32()))})
    yield "map_nested", pa.table({"m": pa.array([
        [(j, {"x": j, "y": f"v{i}"}) for j in range(i % 3)] for i in range(3000)],
        pa.map_(pa.int64(), xy))})


WHOLE_BATCH = {"struct_nested"}


def main(directory):
    os.makedirs(directory, exist_ok=True)
    for name, table in cases():
        with ipc.new_stream(os.path.join(directory, name + ".arrow"), table.schema) as out:
            out.write_table(table)
        for version in ("2.1", "2.2"):
            if name.startswith("map") and version == "2.1":
                continue
            path = os.path.join(directory, f"{name}.v{version.replace('.', '_')}.lance")
            options = {"data_cache_bytes": 64 * 1024} if name == "many_pages" else {}
            writer = LanceFileWriter(path, table.schema, version=version, **options)
            # pylance 14.0.2 panics on sliced batches of a struct holding a list
            # ("assertion failed: end <= self.len()"): such a table goes in as one batch.
            chunk = None if name in WHOLE_BATCH else 8192
            for batch in table.combine_chunks().to_batches(max_chunksize=chunk):
                writer.write_batch(batch)
            writer.close()
    print("wrote", directory)


if __name__ == "__main__":
    main(sys.argv[1])
