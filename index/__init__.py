"""Embeddings and their cache, FAISS dense index, BM25 sparse index, result merging.

The bottom layer with :mod:`ingest`: it knows nothing of files or documents and imports nothing from ``kb``.
"""
