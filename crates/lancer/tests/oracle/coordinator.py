"""A pylance coordinator: commits fragments (a JSON list of fragment JSON strings, as
workers write them) to URI.

usage: coordinator.py URI overwrite|append READ_VERSION FRAGMENTS.json

The schema of an overwrite is a: int32, b: string. Prints the new version.
"""
import json
import sys

import lance
import pyarrow as pa
from lance import FragmentMetadata, LanceOperation

SCHEMA = pa.schema([("a", pa.int32()), ("b", pa.string())])


def main(uri, op, read_version, path):
    fragments = [FragmentMetadata.from_json(t) for t in json.load(open(path))]
    operation = LanceOperation.Overwrite(SCHEMA, fragments) if op == "overwrite" else LanceOperation.Append(fragments)
    ds = lance.LanceDataset.commit(uri, operation, read_version=int(read_version))
    print(ds.version)


if __name__ == "__main__":
    main(*sys.argv[1:])
