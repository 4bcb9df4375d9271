"""Prints what pylance reads from each version of a dataset, as JSON.

usage: read_versions.py URI [VERSION...]

For each version (default: all): {"version", "columns", "rows" (in scan order),
"fragments" (ids), "storage" (data storage version)}.
"""
import json
import sys

import lance


def main(uri, *versions):
    wanted = [int(v) for v in versions] or [v["version"] for v in lance.dataset(uri).versions()]
    out = []
    for v in wanted:
        ds = lance.dataset(uri, version=v)
        out.append({"version": v, "columns": ds.schema.names, "rows": ds.to_table().to_pylist(),
                    "fragments": [f.fragment_id for f in ds.get_fragments()],
                    "storage": ds.data_storage_version})
    print(json.dumps(out))


if __name__ == "__main__":
    main(*sys.argv[1:])
