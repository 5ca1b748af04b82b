"""One parser per input format (plain text, Markdown, HTML), each producing `Block`s."""
