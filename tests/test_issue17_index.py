"""The list of issue 17's cases in tests/corpus.py names tests that exist.

`corpus.ISSUE_17` documents each case (before, after, test); this keeps that list honest
when tests are renamed or moved.
"""

from __future__ import annotations

import ast
from pathlib import Path

import corpus

ROOT = Path(__file__).resolve().parent.parent


def test_every_listed_case_names_an_existing_test() -> None:
    assert corpus.ISSUE_17
    for case in corpus.ISSUE_17:
        path, name = case.test.split("::")
        tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
        functions = (ast.FunctionDef, ast.AsyncFunctionDef)
        names = {node.name for node in ast.walk(tree) if isinstance(node, functions)}
        assert name in names, case.test
        assert case.before and case.after and case.item in range(1, 18)
