"""Ingestion: turn a file, URL or stdin into an immutable `Article` of `Section`s.

Reading bytes (`sources`, `encoding`), parsing each format (`formats/`), dropping page
furniture (`boilerplate`) and detecting the article's language (`language`). Nothing here
loads a model.
"""
