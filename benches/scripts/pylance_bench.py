"""pylance's side of `cargo xtask bench`: one measurement per invocation.

usage: pylance_bench.py write INPUT.arrow OUTPUT.lance VERSION
       pylance_bench.py scan FILE.lance [COLUMN]

Streams the Arrow IPC input batch by batch into LanceFileWriter(version=VERSION), or scans a
file with LanceFileReader. Prints one JSON object: seconds, rows, peak_rss_bytes.
"""
import json
import resource
import sys
import time

import pyarrow.ipc as ipc
from lance.file import LanceFileReader, LanceFileWriter


def peak_rss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def write(source, target, version):
    reader = ipc.open_file(source)
    start = time.perf_counter()
    writer = LanceFileWriter(target, reader.schema, version=version)
    rows = 0
    for i in range(reader.num_record_batches):
        batch = reader.get_batch(i)
        writer.write_batch(batch)
        rows += batch.num_rows
    writer.close()
    return time.perf_counter() - start, rows


def scan(path, column=None):
    start = time.perf_counter()
    reader = LanceFileReader(path, columns=[column] if column else None)
    rows = 0
    for batch in reader.read_all(batch_size=8192).to_batches():
        rows += batch.num_rows
    return time.perf_counter() - start, rows


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "write":
        seconds, rows = write(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        seconds, rows = scan(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
    print(json.dumps({"seconds": seconds, "rows": rows, "peak_rss_bytes": peak_rss()}))
