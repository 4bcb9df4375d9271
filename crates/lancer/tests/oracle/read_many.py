"""Prints what pylance reads from the latest version of each dataset given, as JSON.

usage: read_many.py URI...

Prints [{"uri", "count" (count_rows), "rows" (every column, in scan order)} or
{"uri", "error"} for each].
"""
import json
import sys

import lance


def main(*uris):
    out = []
    for uri in uris:
        try:
            ds = lance.dataset(uri)
            out.append({"uri": uri, "count": ds.count_rows(), "rows": ds.to_table().to_pylist()})
        except Exception as e:  # reported, so the test names the dataset pylance cannot read
            out.append({"uri": uri, "error": f"{type(e).__name__}: {e}"})
    print(json.dumps(out))


if __name__ == "__main__":
    main(*sys.argv[1:])
