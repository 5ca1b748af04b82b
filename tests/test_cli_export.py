"""The `precis export` command end to end, in subprocesses, as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

SAMPLE_TITLES = [
    "",
    "Viruses respect no borders; solidarity and cooperation are the most powerful weapon",
    "The vision of building a community with a shared future for humanity",
    "China is ready to reciprocate kindness by experiences sharing",
    "Major infectious diseases are the enemy of all",
    "China made tremendous sacrifices in battle against COVID-19",
]


def run_precis(
    *args: str, cache: Path, stdin: bytes | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {
        **os.environ,
        "PRECIS_CACHE": str(cache),
        "HF_HUB_OFFLINE": "1",
        "PRECIS_CONFIG": str(cache.with_name("none.toml")),
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "tui", *args],
        input=stdin.decode("latin-1") if stdin is not None else None,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
    )


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "cache.sqlite3"


def test_export_json_of_the_sample_has_six_sections_with_summaries(cache: Path) -> None:
    result = run_precis(
        "export", "--format", "json", "--length", "short", "--summarizer", "extractive", cache=cache
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [s["title"] for s in data["sections"]] == SAMPLE_TITLES
    assert data["source_language"] == "en" and data["target_language"] == "en"
    assert data["length"] == "short"
    for section in data["sections"]:
        assert section["summary"].strip()
        assert section["summary"] in section["text"] or section["whole"]
        assert "Read more" not in section["text"]
    assert any("With input from Xinhua" in n for n in data["notes"])
    assert data["stats"] == {"computed": 6, "from_cache": 0}


def test_second_export_is_served_from_the_cache(cache: Path) -> None:
    args = ("export", "--format", "json", "--summarizer", "extractive", "--length", "medium")
    first = run_precis(*args, cache=cache)
    second = run_precis(*args, cache=cache)
    assert first.returncode == 0 and second.returncode == 0, second.stderr
    a, b = json.loads(first.stdout), json.loads(second.stdout)
    assert b["stats"] == {"computed": 0, "from_cache": 6}
    assert [s["summary"] for s in a["sections"]] == [s["summary"] for s in b["sections"]]


def test_markdown_export_to_a_file(cache: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.md"
    result = run_precis("export", "--summarizer", "extractive", "-o", str(out), cache=cache)
    assert result.returncode == 0, result.stderr
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# President Xi's article")
    assert "## 2. Viruses respect no borders" in text


def test_markup_and_escapes_are_kept_literally(cache: Path, tmp_path: Path) -> None:
    article = tmp_path / "markup.txt"
    article.write_text(
        "A title\n\nThe [bold red]loud[/] part and [@click=app.quit]click[/] stay as typed. "
        "Another sentence follows here.\n",
        encoding="utf-8",
    )
    result = run_precis(
        "export", str(article), "--format", "json", "--summarizer", "extractive", cache=cache
    )
    assert result.returncode == 0, result.stderr
    text = json.loads(result.stdout)["sections"][0]["text"]
    assert "[bold red]loud[/]" in text and "[@click=app.quit]" in text


@pytest.mark.parametrize(
    ("make", "needle"),
    [
        (lambda p: p / "missing.txt", "no such file"),
        (lambda p: p, "directory"),
        (
            lambda p: ((p / "empty.txt").write_bytes(b"") and p / "empty.txt") or p / "empty.txt",
            "empty",
        ),
        (
            lambda p: (
                (
                    (p / "bin").write_bytes(b"\x7fELF\x02\x01\x01" + bytes(range(256)) * 40)
                    and p / "bin"
                )
                or p / "bin"
            ),
            "not an article",
        ),
    ],
)
def test_bad_input_gives_one_line_and_exit_2(cache: Path, tmp_path: Path, make, needle) -> None:
    target = make(tmp_path)
    result = run_precis("export", str(target), "--summarizer", "extractive", cache=cache)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("precis: ")
    assert needle in lines[0].lower()
    assert "Traceback" not in result.stderr


def test_file_over_the_size_cap_is_refused(cache: Path, tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_text("word " * 300_000, encoding="utf-8")  # 1.5 MB
    result = run_precis(
        "export", str(big), "--max-size", "1", "--summarizer", "extractive", cache=cache
    )
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "MB" in result.stderr


def test_stdin_article(cache: Path) -> None:
    text = "Heading one\n\nThe first body paragraph is here. It has two sentences.\n"
    result = run_precis(
        "export",
        "-",
        "--format",
        "json",
        "--summarizer",
        "extractive",
        cache=cache,
        stdin=text.encode(),
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["sections"]


def test_export_with_tiny_models_in_german(cache: Path, tiny_models: dict[str, Path]) -> None:
    result = run_precis(
        "export",
        "--summarizer",
        str(tiny_models["summarizer"]),
        "--translator",
        str(tiny_models["translator"]),
        "--lang",
        "de",
        "--length",
        "medium",
        "--format",
        "json",
        "--offline",
        cache=cache,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["target_language"] == "de"
    # Each model with its decoding and engine (CTranslate2 is off in tests: transformers).
    assert f"{tiny_models['translator']} (beam 4, transformers int8)" in data["models"]
    assert f"{tiny_models['summarizer']} (beam 2, transformers int8)" in data["models"]
    for section in data["sections"]:
        assert section["summary"].strip()
        assert not section["extractive"]


def test_changing_only_the_length_reuses_length_free_work(
    cache: Path, tiny_models: dict[str, Path]
) -> None:
    base = (
        "export",
        "--summarizer",
        "extractive",
        "--translator",
        str(tiny_models["translator"]),
        "--lang",
        "de",
        "--format",
        "json",
        "--full-translation",
        "--offline",
    )
    first = json.loads(run_precis(*base, "--length", "short", cache=cache).stdout)
    again = json.loads(run_precis(*base, "--length", "short", cache=cache).stdout)
    longer = json.loads(run_precis(*base, "--length", "long", cache=cache).stdout)
    n = len(first["sections"])
    assert first["stats"] == {"computed": 2 * n, "from_cache": 0}
    assert again["stats"] == {"computed": 0, "from_cache": 2 * n}
    # Full translations do not depend on the length: only the summaries are new.
    assert longer["stats"] == {"computed": n, "from_cache": n}
    assert [s["translation"] for s in longer["sections"]] == [
        s["translation"] for s in first["sections"]
    ]


def test_offline_without_models_falls_back_and_says_so(cache: Path, tmp_path: Path) -> None:
    """Issue 13 items 2 and 3: no summarizer and no translator on disk, offline."""
    env = {"HF_HOME": str(tmp_path / "empty-hf-home")}
    start = time.monotonic()
    result = run_precis(
        "export", "--offline", "--lang", "de", "--format", "json", cache=cache, env=env
    )
    elapsed = time.monotonic() - start
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["extractive"] is True
    assert all(s["extractive"] and s["summary"].strip() for s in data["sections"])
    # No translator: the summaries stay in the article's language, and say why.
    assert data["requested_language"] == "de"
    assert data["target_language"] == data["source_language"] == "en"
    notes = result.stderr.strip().splitlines()
    assert len(notes) == 2, result.stderr
    assert all(n.startswith("precis: note: ") for n in notes)
    extractive, language = notes if "extractive" in notes[0] else notes[::-1]
    assert "sshleifer/distilbart-cnn-12-6" in extractive and "GB" in extractive
    assert "precis models pull" in extractive
    assert "German" in language and "Helsinki-NLP/opus-mt-en-de" in language
    assert "MB" in language and "English" in language
    assert data["warnings"] == [n.removeprefix("precis: note: ") for n in notes]
    assert elapsed < 10, f"took {elapsed:.1f} s"


def test_markdown_export_carries_the_notes(cache: Path, tmp_path: Path) -> None:
    env = {"HF_HOME": str(tmp_path / "empty-hf-home")}
    result = run_precis("export", "--offline", cache=cache, env=env)
    assert result.returncode == 0, result.stderr
    assert "> Note: summaries are extractive: " in result.stdout
    assert "*(extractive)*" in result.stdout


def test_strict_makes_a_missing_summarizer_an_error(cache: Path, tmp_path: Path) -> None:
    env = {"HF_HOME": str(tmp_path / "empty-hf-home")}
    start = time.monotonic()
    result = run_precis("export", "--offline", "--strict", "--lang", "de", cache=cache, env=env)
    elapsed = time.monotonic() - start
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "sshleifer/distilbart-cnn-12-6" in lines[0] and "precis models pull" in lines[0]
    assert "--summarizer extractive" in lines[0]
    assert "GB" in lines[0] or "MB" in lines[0]
    assert elapsed < 5, f"took {elapsed:.1f} s"


def test_strict_makes_a_missing_translator_an_error(cache: Path, tmp_path: Path) -> None:
    env = {"HF_HOME": str(tmp_path / "empty-hf-home")}
    result = run_precis(
        "export", "--offline", "--strict", "--summarizer", "extractive", "--lang", "de",
        cache=cache, env=env,
    )  # fmt: skip
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Helsinki-NLP/opus-mt-en-de" in lines[0]
    assert "--summarizer extractive" not in lines[0]  # it would not help


def test_missing_translator_keeps_the_abstractive_summaries(
    cache: Path, tmp_path: Path, tiny_models: dict[str, Path]
) -> None:
    """Only the translator is missing: the model's summaries, in English, and one note."""
    env = {"HF_HOME": str(tmp_path / "empty-hf-home")}
    result = run_precis(
        "export", "--offline", "--summarizer", str(tiny_models["summarizer"]), "--lang", "de",
        "--format", "json", cache=cache, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["extractive"] is False
    assert data["target_language"] == "en" and data["requested_language"] == "de"
    assert data["models"] == [str(tiny_models["summarizer"])] or all(
        str(tiny_models["summarizer"]) in m for m in data["models"]
    )
    notes = result.stderr.strip().splitlines()
    assert len(notes) == 1, result.stderr
    assert "German" in notes[0] and "Helsinki-NLP/opus-mt-en-de" in notes[0]


def test_unreachable_hub_falls_back_within_seconds(cache: Path, tmp_path: Path) -> None:
    # Not offline, but the hub cannot be reached (a closed local port stands in for
    # "no network", so the test never downloads anything on a connected machine).
    env = {
        "HF_HOME": str(tmp_path / "empty-hf-home"),
        "HF_HUB_OFFLINE": "0",
        "HF_ENDPOINT": "http://127.0.0.1:9",
    }
    start = time.monotonic()
    result = run_precis("export", "--format", "json", cache=cache, env=env)
    elapsed = time.monotonic() - start
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["extractive"] is True
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("precis: note: summaries are extractive: ")
    assert "cannot be reached" in lines[0]
    assert elapsed < 10, f"took {elapsed:.1f} s"

    strict = run_precis("export", "--strict", "--lang", "de", cache=cache, env=env)
    assert strict.returncode == 2
    lines = strict.stderr.strip().splitlines()
    assert len(lines) == 1, strict.stderr
    assert "cannot be reached" in lines[0] and "precis models pull" in lines[0]
    assert "--summarizer extractive" in lines[0]
