"""pylance adds a column `b_len` (length of `b`) to every fragment of the latest version of
URI with merge_columns and commits one Merge. Prints the new version.

usage: merge_pylance.py URI
"""
import sys

import lance
import pyarrow as pa
import pyarrow.compute as pc
from lance import LanceOperation


def b_len(batch):
    return pa.RecordBatch.from_arrays([pc.utf8_length(batch["b"])], ["b_len"])


def main(uri):
    ds = lance.dataset(uri)
    merged = [f.merge_columns(b_len, ["b"]) for f in ds.get_fragments()]
    new = lance.LanceDataset.commit(uri, LanceOperation.Merge([m[0] for m in merged], schema=merged[0][1]),
                                    read_version=ds.version)
    print(new.version)


if __name__ == "__main__":
    main(*sys.argv[1:])
