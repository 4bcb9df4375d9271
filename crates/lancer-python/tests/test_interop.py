"""Mixed deployments: pylance workers with a lancer coordinator, and lancer workers with a
pylance coordinator. Only fragment JSON crosses between them, as it would between hosts."""

import json

import lance as pylance
import pyarrow as pa
import pyarrow.compute

import lancer

SCHEMA = pa.schema([("id", pa.int64()), ("text", pa.string()), ("score", pa.float32())])


def part(start, rows):
    return {
        "id": list(range(start, start + rows)),
        "text": [f"row {i}" * (i % 4) for i in range(start, start + rows)],
        "score": [None if i % 7 == 0 else i / 2 for i in range(start, start + rows)],
    }


def expected(*parts):
    tables = [pa.Table.from_pydict(p, schema=SCHEMA) for p in parts]
    return pa.concat_tables(tables)


def test_pylance_workers_lancer_coordinator(workdir):
    uri = str(workdir / "ds")
    parts = [part(0, 100), part(100, 50)]
    worker_json = []
    for data in parts:
        written = pylance.fragment.write_fragments(
            data, uri, schema=SCHEMA, data_storage_version="2.0"
        )
        worker_json += [json.dumps(f.to_json()) for f in written]

    fragments = [lancer.FragmentMetadata.from_json(text) for text in worker_json]
    ds = lancer.LanceDataset.commit(uri, lancer.LanceOperation.Overwrite(SCHEMA, fragments), read_version=0)
    assert ds.version == 1
    assert ds.to_table() == expected(*parts)
    assert pylance.dataset(uri).to_table() == expected(*parts)

    # A second round: pylance workers append, lancer commits on the version it read.
    more = part(150, 30)
    written = pylance.fragment.write_fragments(more, uri, schema=SCHEMA)
    fragments = [lancer.FragmentMetadata.from_json(json.dumps(f.to_json())) for f in written]
    ds = lancer.LanceDataset.commit(uri, lancer.LanceOperation.Append(fragments), read_version=1)
    assert ds.version == 2
    assert pylance.dataset(uri).to_table() == expected(*parts, more)
    assert lancer.dataset(uri).to_table() == expected(*parts, more)


def test_lancer_workers_pylance_coordinator(workdir):
    uri = str(workdir / "ds")
    parts = [part(0, 64), part(64, 64), part(128, 10)]
    worker_json = []
    for data in parts:
        written = lancer.fragment.write_fragments(data, uri, schema=SCHEMA)
        worker_json += [json.dumps(f.to_json()) for f in written]

    fragments = [pylance.FragmentMetadata.from_json(text) for text in worker_json]
    pylance.LanceDataset.commit(uri, pylance.LanceOperation.Overwrite(SCHEMA, fragments), read_version=0)
    assert pylance.dataset(uri).to_table() == expected(*parts)
    assert lancer.dataset(uri).to_table() == expected(*parts)

    # lancer adds a column on each fragment; pylance commits the Merge from the JSON.
    ds = lancer.dataset(uri)
    merged = [
        f.merge_columns(lambda b: pa.record_batch([pa.compute.multiply(b["id"], 2)], ["twice"]), ["id"])
        for f in ds.get_fragments()
    ]
    new_fragments = [pylance.FragmentMetadata.from_json(json.dumps(m.to_json())) for m, _ in merged]
    new_schema = pylance.dataset(uri).schema.append(pa.field("twice", pa.int64()))
    pylance.LanceDataset.commit(
        uri, pylance.LanceOperation.Merge(new_fragments, schema=new_schema), read_version=ds.version
    )
    theirs = pylance.dataset(uri).to_table()
    assert theirs.column("twice").to_pylist() == [i * 2 for i in range(138)]
    assert lancer.dataset(uri).to_table() == theirs


def test_json_is_the_same_text_on_both_sides(workdir):
    uri = str(workdir / "ds")
    ours = lancer.fragment.write_fragments(part(0, 5), uri, schema=SCHEMA)[0]
    theirs = pylance.FragmentMetadata.from_json(json.dumps(ours.to_json()))
    assert theirs.to_json() == ours.to_json()
    back = lancer.FragmentMetadata.from_json(json.dumps(theirs.to_json()))
    assert back == ours
