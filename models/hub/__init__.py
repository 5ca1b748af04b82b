"""Models on the Hugging Face hub and on disk: the language catalog, resolving a model id
to a local folder, explicit downloads, content fingerprints and the `precis models` commands.
"""
