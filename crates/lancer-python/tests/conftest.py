"""Shared fixtures: every test runs in its own empty working directory, because the seed's
code uses relative dataset paths (``./dist_write``)."""

import os

import pytest


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def seed_block():
    """Runs one code block of the seed page (tests/seed/*.py, the page's code with only the
    import of ``lance`` changed) in a shared namespace and returns what it printed."""
    import contextlib
    import io
    import pathlib

    folder = pathlib.Path(__file__).parent / "seed"

    def run(name, namespace):
        source = (folder / name).read_text()
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(source, str(folder / name), "exec"), namespace)
        return printed.getvalue()

    return run


def same_table_text(printed: str, shown: str) -> bool:
    """Compares a printed DataFrame with the page's rendering of it, token by token (column
    alignment differs between pandas versions and the page)."""
    return [line.split() for line in printed.strip().splitlines()] == [
        line.split() for line in shown.strip().splitlines()
    ]


__all__ = ["same_table_text", "os"]
