"""Shared test setup: every test gets its own scan history, so `sseguard scan` runs (in-process or in
subprocesses, which inherit the environment) never write to the user's real history."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _isolated_history(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # A folder of its own, not tmp_path: a test that scans or lists its tmp_path must not meet the history file.
    monkeypatch.setenv("SSEGUARD_DB", str(tmp_path_factory.mktemp("history") / "history.sqlite3"))
    yield
