"""The write path: ingest runs, removal, compaction, reindex and relink.

Every function takes its collaborators explicitly (a :class:`~kb.write.context.WriteContext`:
store, settings, model loaders), writes SQL only through ``kb.store`` and commits through
``kb.store.manifest.commit_generation``. Nothing here imports ``kb.service``.
"""
