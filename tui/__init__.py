"""The Textual presentation of precis and its command line.

Knows `models`, never the reverse. Importing this package does not import
Textual, torch or transformers: the CLI imports Textual only to open the reader.
"""
