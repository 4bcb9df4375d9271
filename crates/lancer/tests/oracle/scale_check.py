"""pylance opens a dataset of very many fragments lancer committed and reads one of them.

Usage: scale_check.py URI FRAGMENT_ID
Prints {"version", "fragments", "rows"}: the latest version, how many fragments it lists
and the rows of fragment FRAGMENT_ID as a list of [a, b] pairs.
"""

import json
import sys

import lance

uri, fragment_id = sys.argv[1], int(sys.argv[2])
dataset = lance.dataset(uri)
table = dataset.get_fragment(fragment_id).to_table()
print(
    json.dumps(
        {
            "version": dataset.version,
            "fragments": len(dataset.get_fragments()),
            "rows": [[a, b] for a, b in zip(table.column("a").to_pylist(), table.column("b").to_pylist())],
        }
    )
)
