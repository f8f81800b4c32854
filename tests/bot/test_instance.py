"""A serving process's name (bot/instance.py): unique among the live processes of a project
on a host, and the same for the process started again in place of a dead one."""

from __future__ import annotations

import socket
from pathlib import Path

from bot.instance import MAX_NAME, Instance


def test_live_processes_get_different_names_and_a_restart_gets_its_slot_back(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "data" / "instances"
    first, second = Instance.claim(folder), Instance.claim(folder)
    host = socket.gethostname()[: MAX_NAME - 8]
    assert (first.name, second.name) == (f"{host}/0", f"{host}/1")
    first.close()  # the process ends (the operating system lets its lock go)
    again = Instance.claim(folder)
    assert again.name == f"{host}/0"  # takes the dead one's name, and so its events
    for instance in (second, again):
        instance.close()


def test_an_explicit_name_wins_and_is_cut_to_the_column(tmp_path: Path) -> None:
    assert Instance.claim(tmp_path, "shop-eu-1").name == "shop-eu-1"
    assert len(Instance.claim(tmp_path, "x" * 100).name) == MAX_NAME


def test_a_folder_that_cannot_be_written_still_gives_a_unique_name(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    instance = Instance.claim(blocked / "instances")
    assert "/pid" in instance.name
