"""The seed's distributed write done by pylance, with data_storage_version="2.0" or the
version given (pylance's default is 2.2).

usage: seed_pylance.py URI [VERSION]

Two workers write fragments, their metadata goes through JSON, one commit creates the
dataset (version 1); a third worker's fragment is appended (version 2); every fragment gets a
column `b_len` through merge_columns and one Merge commits them (version 3). Prints the
table of each version as JSON: [{"version": v, "columns": [...], "rows": [...]}, ...].
"""
import json
import sys

import lance
import pyarrow as pa
import pyarrow.compute as pc
from lance import FragmentMetadata, LanceOperation
from lance.fragment import write_fragments

SCHEMA = pa.schema([("a", pa.int32()), ("b", pa.string())])


def b_len(batch):
    return pa.RecordBatch.from_arrays([pc.utf8_length(batch["b"])], ["b_len"])


def main(uri, version="2.0"):
    f1 = write_fragments({"a": [1, 2, 3], "b": ["x", "y", "z"]}, uri, schema=SCHEMA, data_storage_version=version)
    f2 = write_fragments({"a": [4, 5, 6], "b": ["u", "v", "w"]}, uri, schema=SCHEMA, data_storage_version=version)
    texts = [json.dumps(f.to_json()) for f in f1 + f2]
    fragments = [FragmentMetadata.from_json(t) for t in texts]
    lance.LanceDataset.commit(uri, LanceOperation.Overwrite(SCHEMA, fragments), read_version=0)
    f3 = write_fragments({"a": [7, 8], "b": ["seven", "eight"]}, uri, schema=SCHEMA)
    lance.LanceDataset.commit(uri, LanceOperation.Append(f3), read_version=1)
    ds = lance.dataset(uri)
    merged = [f.merge_columns(b_len, ["b"]) for f in ds.get_fragments()]
    lance.LanceDataset.commit(uri, LanceOperation.Merge([m[0] for m in merged], schema=merged[0][1]), read_version=ds.version)
    out = []
    for v in (1, 2, 3):
        ds = lance.dataset(uri, version=v)
        out.append({"version": v, "columns": ds.schema.names, "rows": ds.to_table().to_pylist(),
                    "storage": ds.data_storage_version})
    print(json.dumps(out))


if __name__ == "__main__":
    main(*sys.argv[1:3])
