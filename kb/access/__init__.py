"""Accounts, permissions and the audit trail: who may read and write which collections.

The rules live here; the rows live in :mod:`kb.store.accounts` and :mod:`kb.store.audit`; the
enforcement of reads is the scoped connection of :mod:`kb.store.scope`, which the facade asks for
with the principal's readable collections.
"""
