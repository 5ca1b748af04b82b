"""Inference: the models that write summaries and translations.

`lazy_torch` is the one module that imports torch and transformers (lazily); `device`
picks where models run, `loader` loads them once per (model, device), `budgets` sets
output lengths, `generate` runs batched, cancellable generation and `degenerate` judges
its output; `seq2seq` and `extractive` implement the Summarizer/Translator protocols and
`adapters` composes them.
"""
