"""Embeddings, FAISS dense index, BM25 sparse index and fusion. Knows nothing of files."""
