"""Datasets with rows deleted by pylance in every way it stores them: for each data file
version, fragments losing 1, 17, 18 (where pylance starts compressing the Arrow file),
300 and 1,500 rows, and one losing most of its rows (a roaring bitmap).

usage: deletion_sizes.py DIR

Creates DIR/2.0, DIR/2.1 and DIR/2.2 and prints, as JSON, for each: {"version",
"deletion_types" (per fragment), "ids" (what pylance scans, in order)}.
"""
import json
import sys

import lance
import pyarrow as pa

ROWS_PER_FRAGMENT = 10_000
DELETES = [
    "id = 5",
    "id >= 10000 and id < 10017",
    "id >= 20000 and id < 20018",
    "id >= 30000 and id < 30300",
    "id >= 40000 and id < 41500",
    "id >= 50000 and id < 60000 and id % 10 != 3",
]


def main(root):
    out = []
    for version in ["2.0", "2.1", "2.2"]:
        uri = f"{root}/{version}"
        rows = ROWS_PER_FRAGMENT * len(DELETES)
        table = pa.table({
            "id": pa.array(range(rows), pa.int64()),
            "s": pa.array([f"row {i}" for i in range(rows)]),
        })
        lance.write_dataset(table, uri, data_storage_version=version,
                            max_rows_per_file=ROWS_PER_FRAGMENT)
        for predicate in DELETES:
            lance.dataset(uri).delete(predicate)
        ds = lance.dataset(uri)
        out.append({
            "version": ds.version,
            "deletion_types": [f.metadata.deletion_file.file_type for f in ds.get_fragments()],
            "ids": ds.to_table(columns=["id"])["id"].to_pylist(),
        })
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])
