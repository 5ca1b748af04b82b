"""Fidelity checks: what a summary or a translation says that its source does not.

Abstractive summarizers add numbers, dates and names the article never gave, and
translation drops or changes numbers. This package finds such spans (`flagger`),
links each summary sentence to the source sentences behind it (`support`), and
folds text for accent- and case-insensitive matching (`fold`). It is pure Python:
no torch, no UI, and its table-heavy imports stay off the reader's first paint.
"""
