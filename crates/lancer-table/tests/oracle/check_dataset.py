"""Opens a dataset with pylance and reports what it sees, optionally appending to it.

usage: check_dataset.py URI [APPEND_ROWS]

Prints one JSON object: the version pylance opened, its columns, its rows (sorted by id).
With APPEND_ROWS, pylance then appends that many rows (ids from 1000) as a new version on
top of whatever is there (its conflict check reads the transactions lancer wrote) and the
object also holds the version and row count after the append.
"""
import json
import sys

import lance
import pyarrow as pa


def main(uri, append=None):
    ds = lance.dataset(uri)
    table = ds.to_table()
    out = {
        "version": ds.version,
        "columns": ds.schema.names,
        "rows": table.sort_by("id").to_pylist() if "id" in ds.schema.names else table.to_pylist(),
        "data_storage_version": ds.data_storage_version,
        "fragments": [f.fragment_id for f in ds.get_fragments()],
    }
    if append is not None:
        n = int(append)
        schema = ds.schema
        columns = {}
        for field in schema:
            if field.name == "id":
                columns["id"] = pa.array(range(1000, 1000 + n), pa.int64())
            else:
                columns[field.name] = pa.nulls(n, field.type)
        appended = lance.write_dataset(pa.table(columns, schema=schema), uri, mode="append")
        out["appended_version"] = appended.version
        out["appended_rows"] = appended.count_rows()
    print(json.dumps(out))


if __name__ == "__main__":
    main(*sys.argv[1:])
