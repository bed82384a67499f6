"""Accounts: names, the first administrator, grants through groups, logins, lockout, sessions, tokens."""

from __future__ import annotations

from pathlib import Path

import pytest
from argon2 import PasswordHasher

from kb.access import passwords
from kb.access.accounts import Accounts
from kb.store import Store
from kb.types import OWNER, Forbidden, KBError, LoginFailed, NotFound, Principal


class Clock:
    def __init__(self) -> None:
        self.t = 1_800_000_000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def accounts(tmp_path: Path) -> Accounts:
    store = Store(tmp_path / "kb")
    acc = Accounts(store.db, Clock())
    acc.add_user("root", "root-password", admin=True)
    acc.add_user("alice", "alice-password")
    acc.add_user("bob", "bob-password")
    return acc


def test_the_first_user_must_be_an_administrator(tmp_path: Path) -> None:
    acc = Accounts(Store(tmp_path / "kb").db)
    assert not acc.multi_user()
    with pytest.raises(KBError, match="first user must be an administrator"):
        acc.add_user("alice", "alice-password")
    acc.add_user("root", "root-password", admin=True)
    assert acc.multi_user()


@pytest.mark.parametrize("name", ["", "a b", "x'; DROP TABLE users;--", "<script>", "../etc", "é" * 3, "a" * 65, "-x"])
def test_names_are_one_plain_pattern(accounts: Accounts, name: str) -> None:
    with pytest.raises(ValueError, match="names are"):
        accounts.add_user(name, "some-password")


def test_passwords_are_argon2id_and_short_ones_refused(accounts: Accounts) -> None:
    stored = accounts.db.execute("SELECT password FROM users WHERE name='alice'").fetchone()[0]
    assert stored.startswith("$argon2id$") and "alice-password" not in stored
    with pytest.raises(ValueError, match="at least 8"):
        accounts.add_user("carol", "short")


def test_a_user_and_a_group_cannot_share_a_name(accounts: Accounts) -> None:
    accounts.add_group("police")
    with pytest.raises(KBError, match="already"):
        accounts.add_user("police", "some-password")
    with pytest.raises(KBError, match="already"):
        accounts.add_group("alice")


def test_grants_reach_users_through_groups_and_the_strongest_role_wins(accounts: Accounts) -> None:
    accounts.add_group("police")
    accounts.set_member("police", "alice")
    accounts.grant("police", "reports", "read", by=OWNER)
    accounts.grant("alice", "reports", "write", by=OWNER)
    accounts.grant("alice", "minutes", "read", by=OWNER)
    p = accounts.principal("alice")
    assert p.read == {"reports", "minutes"} and p.write == {"reports"} and p.manage == frozenset()
    assert p.can("read", "minutes") and not p.can("write", "minutes") and not p.can("read", "other")
    assert accounts.principal("bob") == Principal("bob", read=frozenset(), write=frozenset(), manage=frozenset())
    accounts.set_member("police", "bob")
    assert accounts.principal("bob").read == {"reports"}
    accounts.set_member("police", "bob", False)
    assert accounts.principal("bob").read == frozenset()


def test_a_star_grant_covers_every_collection_and_an_admin_reads_all(accounts: Accounts) -> None:
    accounts.grant("alice", "*", "read", by=OWNER)
    p = accounts.principal("alice")
    assert p.read is None and p.write == frozenset()
    assert accounts.principal("root").read is None and accounts.principal("root").admin


def test_grants_need_an_administrator_or_admin_on_the_collection(accounts: Accounts) -> None:
    accounts.grant("alice", "reports", "admin", by=OWNER)
    alice = accounts.principal("alice")
    accounts.grant("bob", "reports", "read", by=alice)  # alice manages "reports"
    assert accounts.principal("bob").read == {"reports"}
    with pytest.raises(Forbidden):
        accounts.grant("bob", "minutes", "read", by=alice)
    with pytest.raises(Forbidden):
        accounts.grant("bob", "*", "read", by=alice)
    with pytest.raises(ValueError, match="role"):
        accounts.grant("bob", "reports", "owner", by=OWNER)
    with pytest.raises(NotFound):
        accounts.grant("nobody", "reports", "read", by=OWNER)
    accounts.grant("bob", "reports", None, by=alice)
    assert accounts.principal("bob").read == frozenset()


def test_login_gives_a_session_that_expires(accounts: Accounts) -> None:
    token, expires = accounts.login("alice", "alice-password", session_hours=1)
    assert token.startswith("kbt_") and accounts.authenticate(token) == "alice"
    stored = accounts.db.execute("SELECT digest FROM sessions").fetchall()
    assert all(token not in r[0] for r in stored)  # only the digest is kept
    accounts.clock.t += 3601  # type: ignore[attr-defined]
    assert accounts.authenticate(token) is None
    assert accounts.authenticate("kbt_forged") is None and accounts.authenticate("") is None


def test_five_failures_lock_the_account_for_fifteen_minutes(accounts: Accounts) -> None:
    clock: Clock = accounts.clock  # type: ignore[assignment]
    for _ in range(4):
        with pytest.raises(LoginFailed) as err:
            accounts.login("alice", "wrong-password", 1)
        assert err.value.locked_until is None
        clock.t += 60
    with pytest.raises(LoginFailed) as err:
        accounts.login("alice", "wrong-password", 1)
    assert err.value.locked_until is not None
    with pytest.raises(LoginFailed, match="too many"):  # the right password does not help while locked
        accounts.login("alice", "alice-password", 1)
    accounts.login("bob", "bob-password", 1)  # another account is not affected
    clock.t += 15 * 60 + 1
    token, _ = accounts.login("alice", "alice-password", 1)
    assert accounts.authenticate(token) == "alice"
    actions = [r[0] for r in accounts.db.execute("SELECT action FROM audit WHERE user='alice' ORDER BY id")]
    assert actions.count("login_failed") == 5 and "lockout" in actions and "login_locked" in actions


def test_failures_spread_over_more_than_fifteen_minutes_do_not_lock(accounts: Accounts) -> None:
    clock: Clock = accounts.clock  # type: ignore[assignment]
    for _ in range(6):
        with pytest.raises(LoginFailed) as err:
            accounts.login("alice", "wrong-password", 1)
        assert err.value.locked_until is None
        clock.t += 4 * 60
    accounts.login("alice", "alice-password", 1)


def test_an_unknown_user_fails_like_a_wrong_password(accounts: Accounts) -> None:
    with pytest.raises(LoginFailed) as unknown:
        accounts.login("nobody", "whatever-password", 1)
    with pytest.raises(LoginFailed) as wrong:
        accounts.login("alice", "whatever-password", 1)
    assert str(unknown.value) == str(wrong.value)


def test_disabling_a_user_ends_its_sessions_and_tokens(accounts: Accounts) -> None:
    session, _ = accounts.login("alice", "alice-password", 1)
    api = accounts.create_token("alice", "laptop")
    assert accounts.authenticate(api) == "alice"
    accounts.set_disabled("alice", True)
    assert accounts.authenticate(session) is None and accounts.authenticate(api) is None
    with pytest.raises(LoginFailed):
        accounts.login("alice", "alice-password", 1)
    accounts.set_disabled("alice", False)
    assert accounts.authenticate(api) is None  # revoked, not just suspended
    accounts.login("alice", "alice-password", 1)


def test_api_tokens_are_listed_without_their_secret_and_revoked_by_id(accounts: Accounts) -> None:
    token = accounts.create_token("bob", "script", days=30)
    listed = accounts.tokens("bob")
    assert len(listed) == 1 and listed[0]["label"] == "script" and token not in repr(listed)
    assert accounts.authenticate(token) == "bob"
    assert accounts.revoke_token(int(listed[0]["id"]))  # type: ignore[call-overload]
    assert accounts.authenticate(token) is None
    assert not accounts.revoke_token(int(listed[0]["id"]))  # type: ignore[call-overload]


def test_a_new_password_ends_the_old_sessions(accounts: Accounts) -> None:
    session, _ = accounts.login("alice", "alice-password", 1)
    accounts.set_password("alice", "a-new-password")
    assert accounts.authenticate(session) is None
    with pytest.raises(LoginFailed):
        accounts.login("alice", "alice-password", 1)
    accounts.login("alice", "a-new-password", 1)


def test_a_hash_made_with_older_parameters_is_upgraded_at_login(accounts: Accounts) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash("alice-password")
    accounts.db.execute("UPDATE users SET password=? WHERE name='alice'", (weak,))
    accounts.db.commit()
    assert passwords.verify(weak, "alice-password") == (True, True)
    accounts.login("alice", "alice-password", 1)
    upgraded = accounts.db.execute("SELECT password FROM users WHERE name='alice'").fetchone()[0]
    assert upgraded != weak and passwords.verify(upgraded, "alice-password") == (True, False)
