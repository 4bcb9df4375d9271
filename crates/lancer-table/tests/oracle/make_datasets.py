"""Golden datasets made by pylance, for lancer's table-format tests.

usage: make_datasets.py OUT_DIR

Creates, with pylance 14, one dataset per (naming scheme, data storage version) pair and
takes each through create, append, merge (new column), delete, overwrite and restore, so
every operation lancer must understand appears in a manifest and a transaction. Writes
OUT_DIR/<name>/ (the datasets), OUT_DIR/<name>.versions.json (what each version holds,
read back by pylance) and OUT_DIR/fragments.json (json.dumps(f.to_json()) of fragments with
several files and deletion files).
"""
import json
import os
import sys

import lance
import pyarrow as pa
import pyarrow.compute as pc


def table(start, n):
    ids = list(range(start, start + n))
    return pa.table({"id": pa.array(ids, pa.int64()), "name": pa.array([f"n{i}" for i in ids], pa.string())})


def doubled(batch):
    return pa.RecordBatch.from_arrays([pc.multiply(batch["id"], 2)], ["id2"])


def make(root, name, storage, v2_names):
    uri = os.path.join(root, name)
    lance.write_dataset(table(0, 5), uri, data_storage_version=storage, enable_v2_manifest_paths=v2_names,
                        max_rows_per_file=3)                                        # v1: create (2 fragments)
    lance.write_dataset(table(5, 3), uri, mode="append")                            # v2: append
    ds = lance.dataset(uri)
    merged = [f.merge_columns(doubled, ["id"]) for f in ds.get_fragments()]
    schema = merged[0][1]
    lance.LanceDataset.commit(uri, lance.LanceOperation.Merge([m[0] for m in merged], schema),
                              read_version=ds.version)                              # v3: merge id2
    lance.dataset(uri).delete("id = 1 or id = 6")                                   # v4: delete rows
    lance.dataset(uri).delete("id >= 3 and id <= 4")                                # v5: delete a whole fragment
    lance.write_dataset(table(100, 4), uri, mode="overwrite")                       # v6: overwrite
    old = lance.dataset(uri, version=3)
    old.restore()                                                                   # v7: restore v3
    versions = []
    for v in lance.dataset(uri).versions():
        ds = lance.dataset(uri, version=v["version"])
        rows = ds.to_table().sort_by("id").to_pylist()
        versions.append({"version": v["version"], "rows": rows,
                         "fragments": [f.fragment_id for f in ds.get_fragments()],
                         "columns": ds.schema.names})
    with open(os.path.join(root, name + ".versions.json"), "w") as out:
        json.dump(versions, out)
    return uri


def main(root):
    os.makedirs(root, exist_ok=True)
    fragments = []
    for storage in ("2.0", "2.2"):
        for v2_names in (True, False):
            name = f"golden_{storage.replace('.', '_')}_{'v2' if v2_names else 'v1'}_names"
            uri = make(root, name, storage, v2_names)
            for version in (3, 4):  # several files per fragment; deletion files
                for fragment in lance.dataset(uri, version=version).get_fragments():
                    fragments.append(json.dumps(fragment.metadata.to_json()))
    with open(os.path.join(root, "fragments.json"), "w") as out:
        json.dump(fragments, out)
    print("ok")


if __name__ == "__main__":
    main(sys.argv[1])
