"""Writes Lance files with pylance from Arrow IPC inputs, for lancer to read.

usage: write_files.py DIR

For every DIR/CASE.arrow this writes, with pylance 14:
  CASE.lance          LanceFileWriter(version="2.0"), one write_batch per input batch;
  CASE.v2_1.lance     the same as file version 2.1, and CASE.v2_2.lance as 2.2;
  CASE.dataset/       write_dataset(data_storage_version="2.0", max_rows_per_file=SMALL),
                      so the data files of a real dataset are covered too; their names, in
                      fragment order, go to CASE.dataset_files.txt.
A case whose name contains "multipage" is written with a tiny page cache so its columns span
many pages. Cases pylance refuses are listed in DIR/refused.txt with pylance's message.
"""
import os
import sys

import lance
import pyarrow.ipc as ipc
from lance.file import LanceFileWriter


def write_file(path, table, version, **options):
    writer = LanceFileWriter(path, table.schema, version=version, **options)
    for batch in table.to_batches():
        writer.write_batch(batch)
    writer.close()


def main(directory):
    refused = []
    cases = sorted(f[:-6] for f in os.listdir(directory) if f.endswith(".arrow"))
    for case in cases:
        table = ipc.open_stream(os.path.join(directory, case + ".arrow")).read_all()
        options = {"data_cache_bytes": 4096} if "multipage" in case else {}
        try:
            write_file(os.path.join(directory, case + ".lance"), table, "2.0", **options)
        except Exception as e:  # pylance refuses some inputs; lancer's tests decide if that is expected
            refused.append(f"{case}\t{type(e).__name__}: {e}".replace("\n", " "))
            continue
        for version in ("2.1", "2.2"):
            try:
                write_file(os.path.join(directory, f"{case}.v{version.replace('.', '_')}.lance"), table, version)
            except Exception as e:
                refused.append(f"{case}.v{version}\t{type(e).__name__}: {e}".replace("\n", " "))
        if table.num_rows > 0:
            dataset = lance.write_dataset(
                table,
                os.path.join(directory, case + ".dataset"),
                data_storage_version="2.0",
                max_rows_per_file=max(1, table.num_rows // 3),
            )
            # The data files in fragment (row) order, relative to the dataset's data/ folder.
            with open(os.path.join(directory, case + ".dataset_files.txt"), "w") as out:
                for fragment in dataset.get_fragments():
                    for data_file in fragment.data_files():
                        out.write(data_file.path + "\n")
    with open(os.path.join(directory, "refused.txt"), "w") as out:
        out.write("\n".join(refused))
    print(f"wrote {len(cases) - len(refused)} of {len(cases)} cases")


if __name__ == "__main__":
    main(sys.argv[1])
