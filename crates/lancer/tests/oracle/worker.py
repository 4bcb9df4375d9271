"""A pylance worker: writes rows a=START..START+COUNT, b="p<a>" as fragments of URI (file
version 2.0, or VERSION) and writes their metadata, json.dumps(f.to_json()) each, as a JSON
list to OUT.

usage: worker.py URI OUT START COUNT [VERSION]
"""
import json
import sys

import pyarrow as pa
from lance.fragment import write_fragments

SCHEMA = pa.schema([("a", pa.int32()), ("b", pa.string())])


def main(uri, out, start, count, version="2.0"):
    start, count = int(start), int(count)
    data = {"a": list(range(start, start + count)), "b": [f"p{i}" for i in range(start, start + count)]}
    fragments = write_fragments(data, uri, schema=SCHEMA, data_storage_version=version)
    json.dump([json.dumps(f.to_json()) for f in fragments], open(out, "w"))


if __name__ == "__main__":
    main(*sys.argv[1:])
