"""pylance makes a dataset of COUNT fragments in one commit: one real data file as the
template, the others synthetic copies naming files of their own (never read).

Usage: pylance_scale.py URI COUNT
Prints {"version": ...}.
"""

import json
import sys

import lance
import pyarrow as pa
from lance import FragmentMetadata, LanceOperation
from lance.fragment import write_fragments

uri, count = sys.argv[1], int(sys.argv[2])
table = pa.table({"a": pa.array([1, 2, 3], pa.int32()), "b": pa.array(["x", "y", "z"])})
[template] = write_fragments(table, uri)
data = template.to_json()
fragments = []
for i in range(count):
    copy = dict(data)
    copy["files"] = [dict(data["files"][0], path=f"{i:08}-pylance-synthetic.lance")]
    fragments.append(FragmentMetadata.from_json(json.dumps(copy)))
dataset = lance.LanceDataset.commit(uri, LanceOperation.Overwrite(table.schema, fragments), read_version=0)
print(json.dumps({"version": dataset.version}))
