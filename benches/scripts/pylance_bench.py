"""pylance's side of `cargo xtask bench`: one measurement per invocation.

usage: pylance_bench.py write INPUT.arrow URI VERSION PART PARTS OUT.json
       pylance_bench.py overwrite URI INPUT.arrow FRAGMENTS.json...
       pylance_bench.py scan URI [COLUMN]
       pylance_bench.py commit URI FRAGMENTS.json
       pylance_bench.py concurrent URI THREADS COMMITS FRAGMENT.json

Prints one JSON line, as lancer's side does: seconds, rows, peak_rss_bytes, read_bytes
(bytes read through system calls during the measured section), cpu_seconds (user and system
CPU time of the section), start, end.
"""
import json
import resource
import sys
import threading
import time

import lance
import pyarrow as pa
import pyarrow.ipc as ipc
from lance import FragmentMetadata, LanceDataset, LanceOperation
from lance.fragment import write_fragments


def rchar():
    with open("/proc/self/io") as f:
        for line in f:
            if line.startswith("rchar:"):
                return int(line.split()[1])
    return 0


def load_fragments(path):
    """A list of fragments as either side writes it: JSON strings or objects."""
    return [FragmentMetadata.from_json(t if isinstance(t, str) else json.dumps(t)) for t in json.load(open(path))]


def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def report(seconds, rows, read=0, start=0.0, cpu_seconds=0.0):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"seconds": seconds, "rows": rows, "peak_rss_bytes": peak, "read_bytes": read,
                      "cpu_seconds": cpu_seconds, "start": start, "end": start + seconds}))


def write(source, uri, version, part, parts, out):
    part, parts = int(part), int(parts)
    reader = ipc.open_file(source)
    batches = (reader.get_batch(i) for i in range(reader.num_record_batches) if i % parts == part)
    stream = pa.RecordBatchReader.from_batches(reader.schema, batches)
    start, clock, before = time.time(), time.perf_counter(), cpu()
    fragments = write_fragments(stream, uri, schema=reader.schema, data_storage_version=version)
    seconds, used = time.perf_counter() - clock, cpu() - before
    json.dump([json.dumps(f.to_json()) for f in fragments], open(out, "w"))
    report(seconds, sum(f.physical_rows for f in fragments), 0, start, used)


def overwrite(uri, source, *paths):
    fragments = [f for p in paths for f in load_fragments(p)]
    schema = ipc.open_file(source).schema
    LanceDataset.commit(uri, LanceOperation.Overwrite(schema, fragments), read_version=0)
    report(0, 0)


def scan(uri, column=None):
    start, clock, before, used = time.time(), time.perf_counter(), rchar(), cpu()
    ds = lance.dataset(uri)
    rows = 0
    for batch in ds.to_batches(columns=[column] if column else None):
        rows += batch.num_rows
    report(time.perf_counter() - clock, rows, rchar() - before, start, cpu() - used)


def commit(uri, path):
    fragments = load_fragments(path)
    read_version = lance.dataset(uri).version
    start, clock = time.time(), time.perf_counter()
    LanceDataset.commit(uri, LanceOperation.Append(fragments), read_version=read_version)
    report(time.perf_counter() - clock, len(fragments), 0, start)


def concurrent(uri, threads, commits, path):
    # Thread t's c-th commit appends fragment t * commits + c (each data file once).
    fragments = load_fragments(path)
    threads, commits = int(threads), int(commits)
    landed = []

    def work(mine):
        for fragment in mine:
            try:
                read_version = lance.dataset(uri).version
                LanceDataset.commit(uri, LanceOperation.Append([fragment]),
                                    read_version=read_version)
                landed.append(1)
            except Exception:  # a commit that gave up counts as lost
                pass

    workers = [
        threading.Thread(target=work, args=(fragments[t * commits:(t + 1) * commits],))
        for t in range(threads)
    ]
    start, clock = time.time(), time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    report(time.perf_counter() - clock, len(landed), 0, start)


def compact(uri, target):
    start, clock, before = time.time(), time.perf_counter(), cpu()
    ds = lance.dataset(uri)
    ds.optimize.compact_files(target_rows_per_fragment=int(target))
    rows = lance.dataset(uri).count_rows()
    report(time.perf_counter() - clock, rows, 0, start, cpu() - before)


def cleanup(uri, *options):
    import datetime

    storage = dict(option.split("=", 1) for option in options) or None
    start, clock, before = time.time(), time.perf_counter(), cpu()
    ds = lance.dataset(uri, storage_options=storage)
    stats = ds.cleanup_old_versions(older_than=datetime.timedelta(0), delete_unverified=True)
    report(time.perf_counter() - clock, stats.data_files_removed, 0, start, cpu() - before)


if __name__ == "__main__":
    {"write": write, "overwrite": overwrite, "scan": scan, "commit": commit, "concurrent": concurrent,
     "compact": compact, "cleanup": cleanup}[sys.argv[1]](*sys.argv[2:])
