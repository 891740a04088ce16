"""Shared test setup: every test gets its own scan history, so `sseguard scan` runs (in-process or in
subprocesses, which inherit the environment) never write to the user's real history."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from aws_server import MotoAws, isolate, running


@pytest.fixture(autouse=True)
def _isolated_history(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # A folder of its own, not tmp_path: a test that scans or lists its tmp_path must not meet the history file.
    monkeypatch.setenv("SSEGUARD_DB", str(tmp_path_factory.mktemp("history") / "history.sqlite3"))
    yield


@pytest.fixture(scope="module")
def server() -> Iterator[MotoAws]:
    """moto's standalone server on 127.0.0.1, one per test module."""
    with running() as s:
        yield s


@pytest.fixture
def aws(server: MotoAws, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> MotoAws:
    """A clean server, and an environment holding only the test credentials."""
    server.reset()
    isolate(monkeypatch, tmp_path)
    return server
