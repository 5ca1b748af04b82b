"""Issue 17 item 2: an export never destroys the file it replaces.

`models.atomic_file.write_text_atomic` is the one writer behind `precis export -o` and
the reader's `e`. A real full filesystem (a tmpfs, root only) shows the old file
surviving a write that fails midway; `-o` onto the article itself is refused.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from test_cache_foreign import refused, tmpfs

from models.atomic_file import WriteError, same_file, write_text_atomic

ROOT = Path(__file__).resolve().parent.parent


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_replaces_the_whole_file_and_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "out.md"
    target.write_text("old " * 1000)
    target.chmod(0o640)
    assert write_text_atomic(target, "new ✓\n") == target
    assert target.read_text(encoding="utf-8") == "new ✓\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert leftovers(tmp_path) == []


def test_a_new_file_gets_the_umask_mode_not_0600(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_text_atomic(tmp_path / "new.json", "{}\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.json").stat().st_mode) == 0o644


def test_a_symlink_is_followed_and_kept(tmp_path: Path) -> None:
    real = tmp_path / "real.md"
    real.write_text("old")
    link = tmp_path / "link.md"
    link.symlink_to(real)
    write_text_atomic(link, "new")
    assert link.is_symlink() and real.read_text() == "new"


def test_a_directory_or_a_missing_folder_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(WriteError, match="is a directory"):
        write_text_atomic(tmp_path, "x")
    with pytest.raises(WriteError, match="does not exist"):
        write_text_atomic(tmp_path / "no" / "such.md", "x")


def test_a_device_is_written_in_place_never_replaced() -> None:
    write_text_atomic("/dev/null", "discarded")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_a_full_disk_leaves_the_old_file_whole(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "mnt", "256k") as mnt:
        target = mnt / "export.json"
        old = '{"sections": ["the previous export, complete"]}\n'
        target.write_text(old)
        with pytest.raises(WriteError, match="No space left"):
            write_text_atomic(target, "x" * 1024 * 1024)
        assert target.read_text() == old
        assert leftovers(mnt) == []


def precis(*args: str, cache: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PRECIS_CACHE": str(cache),
        "PRECIS_CONFIG": str(cache.with_name("none.toml")),
        "HF_HUB_OFFLINE": "1",
    }
    return subprocess.run(
        [sys.executable, "-m", "tui", "export", "--summarizer", "extractive", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def test_export_o_on_a_full_disk_keeps_the_old_export(tmp_path: Path) -> None:
    article = tmp_path / "article.md"
    article.write_text("# Title\n\n" + "A sentence of the article here. " * 20_000)
    with tmpfs(tmp_path / "mnt", "256k") as mnt:
        target = mnt / "export.json"
        target.write_text("# the previous export\n")
        # JSON carries the section text: over 600 KB, on a 256 KB disk.
        args = (str(article), "--format", "json", "-o", str(target))
        result = precis(*args, cache=tmp_path / "c.db")
        refused(result, "No space left on device")
        assert target.read_text() == "# the previous export\n"
        assert leftovers(mnt) == []


def test_export_o_onto_the_article_itself_is_refused(tmp_path: Path) -> None:
    article = tmp_path / "article.md"
    text = "# Title\n\nThe council met on Monday. It agreed on a budget.\n"
    article.write_text(text)
    for target in (article, tmp_path / "." / "article.md"):
        result = precis(str(article), "-o", str(target), cache=tmp_path / "c.db")
        refused(result, "over the article itself")
        assert article.read_text() == text
    link = tmp_path / "link.md"
    link.symlink_to(article)
    refused(precis(str(link), "-o", str(article), cache=tmp_path / "c.db"), "article itself")
    assert same_file(link, article) and not same_file(article, tmp_path / "other")


def test_an_impossible_o_is_refused_before_any_work(tmp_path: Path) -> None:
    article = tmp_path / "article.md"
    article.write_text("# Title\n\nThe council met on Monday. It agreed on a budget.\n")
    for target, needle in ((tmp_path, "is a directory"), (tmp_path / "no" / "x.md", "not exist")):
        result = precis(str(article), "-o", str(target), cache=tmp_path / "c.db")
        refused(result, needle)
        assert not (tmp_path / "c.db").exists()  # refused before the cache was even opened
