"""Reports built on the KnowledgeBase facade only: visit brief, practice comparison, evaluation, exports."""
