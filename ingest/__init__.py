"""Reading files into text, chunking, language and entity extraction. Knows nothing of indexes."""
