"""A dataset with a struct column and deleted rows, and what pylance reads from it: row
ids and addresses, rows taken by position, a struct field by its dotted path, batch sizes.

usage: row_addresses.py URI

Prints {"rowaddr", "rowid", "take", "take_fragment", "s_y", "batches"}.
"""
import json
import sys

import lance
import pyarrow as pa


def main(uri):
    table = pa.table(
        {
            "a": pa.array(range(10), pa.int64()),
            "s": pa.array(
                [None if i == 3 else {"x": i, "y": str(i)} for i in range(10)],
                pa.struct([("x", pa.int64()), ("y", pa.string())]),
            ),
        }
    )
    lance.write_dataset(table, uri, max_rows_per_file=4)
    lance.dataset(uri).delete("a = 1 or a = 5")
    ds = lance.dataset(uri)
    scanned = ds.scanner(with_row_id=True, with_row_address=True).to_table()
    print(
        json.dumps(
            {
                "rowaddr": scanned["_rowaddr"].to_pylist(),
                "rowid": scanned["_rowid"].to_pylist(),
                "take": ds.take([0, 5, 2, 2, 7], columns=["a"])["a"].to_pylist(),
                "take_fragment": ds.get_fragments()[1].take([0, 2], columns=["a"])["a"].to_pylist(),
                "s_y": ds.to_table(columns=["s.y"])["s.y"].to_pylist(),
                "batches": [b.num_rows for b in ds.to_batches(batch_size=3)],
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1])
