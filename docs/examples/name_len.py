"""A value function for `lancer merge-columns --exec`: Arrow IPC in on stdin, out on stdout."""
import sys

import pyarrow as pa
import pyarrow.compute as pc

with pa.ipc.open_stream(sys.stdin.buffer) as reader, \
        pa.ipc.new_stream(sys.stdout.buffer, pa.schema([("name_len", pa.int32())])) as writer:
    for batch in reader:
        writer.write_batch(pa.record_batch([pc.utf8_length(batch["name"])], names=["name_len"]))
