"""Password hashing with argon2id (``argon2-cffi``): the OWASP-recommended password hash.

``verify`` also says when a stored hash was made with other parameters than today's, so a login
upgrades it in place (the parameters can be raised without a migration).
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

#: RFC 9106's second recommended option (64 MiB, 3 passes, 4 lanes), argon2id
HASHER = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=4)
MIN_LENGTH = 8
_DUMMY = HASHER.hash("an unknown user still costs one hash")


def check_strength(password: str) -> None:
    """Refuse a password that is too short to be one (a ValueError that says so)."""
    if len(password) < MIN_LENGTH:
        raise ValueError(f"a password needs at least {MIN_LENGTH} characters")


def hash_password(password: str, hasher: PasswordHasher = HASHER) -> str:
    check_strength(password)
    return hasher.hash(password)


def verify(stored: str | None, password: str, hasher: PasswordHasher = HASHER) -> tuple[bool, bool]:
    """(the password matches, the stored hash should be re-made with today's parameters).

    An unknown user (``stored`` is None) is checked against a dummy hash, so the answer takes as
    long as for a real one and timing does not tell which user names exist.
    """
    try:
        hasher.verify(stored or _DUMMY, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False, False
    if stored is None:
        return False, False
    return True, hasher.check_needs_rehash(stored)
