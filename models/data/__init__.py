"""Data shipped with precis: the bundled sample article."""

from __future__ import annotations

from pathlib import Path

SAMPLE_ARTICLE = Path(__file__).with_name("cgtn-2020-04-16-global-solidarity.txt")
