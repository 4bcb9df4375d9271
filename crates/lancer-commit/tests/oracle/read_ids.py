"""Prints the version pylance opens and the sorted ids it reads, as JSON.

usage: read_ids.py URI
"""
import json
import sys

import lance

ds = lance.dataset(sys.argv[1])
ids = sorted(ds.to_table(columns=["id"])["id"].to_pylist())
print(json.dumps({"version": ds.version, "ids": ids}))
