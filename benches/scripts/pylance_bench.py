"""pylance's side of `cargo xtask bench`: one measurement per invocation.

usage: pylance_bench.py write INPUT.arrow OUTPUT.lance VERSION
       pylance_bench.py scan FILE.lance [COLUMN]
       pylance_bench.py commit DATASET FRAGMENTS.json
       pylance_bench.py concurrent DATASET THREADS COMMITS FRAGMENT.json

Streams the Arrow IPC input batch by batch into LanceFileWriter(version=VERSION), or scans a
file with LanceFileReader. Prints one JSON object: seconds, rows (or fragments, or commits that landed), peak_rss_bytes.
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


def commit(uri, fragments_path):
    """Commits one Append of every fragment in FRAGMENTS (a JSON list of fragment JSON)."""
    from lance import FragmentMetadata, LanceDataset, LanceOperation
    import lance
    texts = json.load(open(fragments_path))
    fragments = [FragmentMetadata.from_json(t) for t in texts]
    read_version = lance.dataset(uri).version
    start = time.perf_counter()
    LanceDataset.commit(uri, LanceOperation.Append(fragments), read_version=read_version)
    return time.perf_counter() - start, len(fragments)


def concurrent(uri, threads, commits, fragment_path):
    """THREADS threads each commit COMMITS one-fragment Appends; returns the wall time."""
    import threading
    from lance import FragmentMetadata, LanceDataset, LanceOperation
    import lance
    text = json.load(open(fragment_path))[0]
    errors = []

    def work():
        try:
            for _ in range(int(commits)):
                fragment = FragmentMetadata.from_json(text)
                read_version = lance.dataset(uri).version
                LanceDataset.commit(uri, LanceOperation.Append([fragment]), read_version=read_version)
        except Exception as e:  # counted: a commit that gave up is a lost commit for the benchmark
            errors.append(repr(e))

    workers = [threading.Thread(target=work) for _ in range(int(threads))]
    start = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return time.perf_counter() - start, int(threads) * int(commits) - len(errors)


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "write":
        seconds, rows = write(sys.argv[2], sys.argv[3], sys.argv[4])
    elif command == "commit":
        seconds, rows = commit(sys.argv[2], sys.argv[3])
    elif command == "concurrent":
        seconds, rows = concurrent(*sys.argv[2:6])
    else:
        seconds, rows = scan(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
    print(json.dumps({"seconds": seconds, "rows": rows, "peak_rss_bytes": peak_rss()}))

