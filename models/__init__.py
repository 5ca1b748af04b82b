"""The domain and the machine learning behind precis.

Everything here is free of Textual and Rich, and importing any module of this
package must not load torch or transformers: those are imported lazily by
`models.inference.lazy_torch` when a model is first needed.
"""
