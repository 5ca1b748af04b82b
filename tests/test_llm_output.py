"""Cleaning chat-model answers: what a summary must not contain, and what a stream shows."""

from __future__ import annotations

import pytest

from models.inference.llm_output import clean_output, visible_part


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Der Rat tagte.", "Der Rat tagte."),
        ("<think>\nThe user wants one sentence.\n</think>\n\nDer Rat tagte.", "Der Rat tagte."),
        ("<think>reasoning that never ends because the budget ran out", ""),
        ("reasoning whose opening tag was in the prompt</think>Der Rat tagte.", "Der Rat tagte."),
        ("Here is the summary:\nDer Rat tagte.", "Der Rat tagte."),
        ("Sure! Here's a translation into German:\n\nDer Rat tagte.", "Der Rat tagte."),
        ("Zusammenfassung: Der Rat tagte.", "Der Rat tagte."),
        ("摘要：市议会开会。", "市议会开会。"),
        ("Der Rat tagte.\n\nLet me know if you need anything else!", "Der Rat tagte."),
        ("```\nDer Rat tagte.\n```", "Der Rat tagte."),
        ('"Der Rat tagte."', "Der Rat tagte."),
        ('"Ja", sagte er, "nein".', '"Ja", sagte er, "nein".'),  # not one quoted whole
        ("Key points:\n- one\n- two", "- one\n- two"),
        ("Der \x1b[31mRat\x1b[0m tagte.\x07", "Der [31mRat[0m tagte."),
        ("Erster Absatz.\n\n\n\nZweiter Absatz.", "Erster Absatz.\n\nZweiter Absatz."),
        # A sentence that merely mentions a summary is not a preamble.
        (
            "Here the council summarized its plans: more schools.",
            "Here the council summarized its plans: more schools.",
        ),
    ],
)
def test_clean_output(raw: str, clean: str) -> None:
    assert clean_output(raw) == clean


def test_stream_shows_nothing_of_a_preamble_or_reasoning_while_it_arrives() -> None:
    answer = "<think>plan</think>Here is the summary:\nDer Rat tagte am Montag."
    shown = [visible_part(answer[:n]) for n in range(1, len(answer) + 1)]
    assert all(not s or "Der Rat tagte am Montag.".startswith(s) for s in shown), shown
    assert shown[-1] == "Der Rat tagte am Montag."


def test_stream_shows_plain_answers_at_once() -> None:
    assert visible_part("Der Rat") == "Der Rat"
    assert visible_part("Heavy rain") == "Heavy rain"  # "He..." is not "Here"
