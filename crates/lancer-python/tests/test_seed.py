"""The seed page (Lance's distributed-write guide), run block by block with lancer.

Each block in tests/seed/ is the page's code with only the import line changed (``import
lancer as lance``, ``from lancer... import``); the blocks run in the page's order in one
namespace, as a reader pasting them into one session would, and each output is checked
against the one the page shows. pylance 14.0.2 then opens the datasets lancer made.
"""

import os
import re

import pyarrow as pa
import pytest

import lancer
from conftest import same_table_text

if os.environ.get("LANCER_WITHOUT_PYLANCE") == "1":
    # The wheel check of `cargo xtask test` runs these blocks in a virtualenv holding only
    # the wheel and its dependencies; the same tests check against pylance in the main suite.
    pylance = None
else:
    import lance as pylance

SHOWN_AFTER_COMMIT = """
     a  b
0  1  x
1  2  y
2  3  z
3  4  u
4  5  v
5  6  w
"""

SHOWN_AFTER_MERGE = """
      name  age  name_len
0    alice   25         5
1      bob   33         3
2  charlie   44         7
3    craig   55         5
4     dave   66         4
5      eve   77         3
"""


def matches_shown(printed: str, shown: str) -> bool:
    """The page abbreviates with ``...``; anything may stand there."""
    pattern = ".*".join(re.escape(part) for part in shown.split("..."))
    return re.fullmatch(pattern, printed.strip()) is not None


@pytest.fixture
def namespace():
    # What the page's blocks take as given: `pa` and `lance` are used before any block
    # imports them.
    return {"pa": pa, "lance": lancer}


def test_write_commit_append(workdir, seed_block, namespace):
    printed = seed_block("block1_write.py", namespace).splitlines()
    assert len(printed) == 2, printed
    assert matches_shown(printed[0], "Worker 1:  [FragmentMetadata(id=0, files=...)]"), printed[0]
    assert matches_shown(printed[1], "Worker 2:  [FragmentMetadata(id=0, files=...)]"), printed[1]
    # Nothing is a dataset until the coordinator commits.
    with pytest.raises(FileNotFoundError):
        lancer.dataset("./dist_write")

    printed = seed_block("block2_commit.py", namespace)
    assert same_table_text(printed, SHOWN_AFTER_COMMIT), printed

    # The page's Append commits `all_fragments` again: as committed by block 2 those files
    # are in the dataset already, and lancer refuses to count their rows twice (pylance
    # would double them silently). "Appending additional data follows a similar process":
    # the workers write new fragments first, as a real append does.
    with pytest.raises(lancer.errors.InvalidCommitError, match="already in fragment"):
        seed_block("block3_append.py", namespace)
    assert lancer.dataset("./dist_write").version == 1
    seed_block("block1_write.py", namespace)
    namespace["all_fragments"] = namespace["fragments_1"] + namespace["fragments_2"]
    assert seed_block("block3_append.py", namespace) == ""
    ds = lancer.dataset("./dist_write")
    assert ds.version == 2
    assert len(ds.get_fragments()) == 4
    assert len({f.fragment_id for f in ds.get_fragments()}) == 4
    table = ds.to_table()
    assert table.column("a").to_pylist() == [1, 2, 3, 4, 5, 6] * 2
    assert table.column("b").to_pylist() == ["x", "y", "z", "u", "v", "w"] * 2

    # pylance reads the same rows, at both versions.
    if pylance is None:
        return
    theirs = pylance.dataset("./dist_write")
    assert theirs.version == 2
    assert theirs.to_table() == table
    assert pylance.dataset("./dist_write", version=1).to_table() == lancer.dataset(
        "./dist_write", version=1
    ).to_table()


def prepare_add_columns_example(schema):
    """The dataset the page's "Add New Columns" block starts from: two fragments, six
    people, written and committed with lancer as the page's first blocks do."""
    from lancer.fragment import write_fragments

    parts = [
        {"name": ["alice", "bob", "charlie"], "age": [25, 33, 44]},
        {"name": ["craig", "dave", "eve"], "age": [55, 66, 77]},
    ]
    fragments = [f for part in parts for f in write_fragments(part, "./add_columns_example", schema=schema)]
    lancer.LanceDataset.commit(
        "./add_columns_example",
        lancer.LanceOperation.Overwrite(schema, fragments),
        read_version=0,
    )


def test_add_columns(workdir, seed_block, namespace):
    schema = pa.schema([("name", pa.string()), ("age", pa.int64())])
    prepare_add_columns_example(schema)
    namespace["schema"] = schema
    data_files_before = sorted(p.name for p in (workdir / "add_columns_example" / "data").iterdir())

    printed = seed_block("block4_add_columns.py", namespace)
    assert same_table_text(printed, SHOWN_AFTER_MERGE), printed

    ds = lancer.dataset("./add_columns_example")
    assert ds.version == 2
    assert ds.schema.names == ["name", "age", "name_len"]
    # Existing data files were not rewritten: each fragment gained one file.
    data_files_after = sorted(p.name for p in (workdir / "add_columns_example" / "data").iterdir())
    assert set(data_files_before) < set(data_files_after)
    assert len(data_files_after) == 4
    for fragment in ds.get_fragments():
        assert len(fragment.data_files()) == 2

    if pylance is None:
        return
    theirs = pylance.dataset("./add_columns_example")
    assert theirs.version == 2
    assert theirs.to_table() == ds.to_table()
    assert theirs.to_table().column("name_len").to_pylist() == [5, 3, 7, 5, 4, 3]
