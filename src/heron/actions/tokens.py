"""A person's own API tokens and account: create and revoke tokens, name, password."""

from __future__ import annotations

import time

from heron.actions.access import check_id, check_new_password
from heron.actions.errors import ActionError, NotFoundError
from heron.store import Database
from heron.store import accounts as acc

# "Last used" is a hint for people, not an audit log: a token's use is written down at most
# once per this many seconds, so API calls do not each cost a write.
LAST_USED_PRECISION = 60.0


def create_user_token(db: Database, user_id: int, name: str = "") -> str:
    """Mint an API token for the user; only its hash is kept, so it is shown this once."""
    name = name.strip()
    if len(name) > 200:
        raise ActionError("A token name has at most 200 characters.")
    with db.write() as conn:
        return acc.create_token(conn, user_id, name=name)


def revoke_user_token(db: Database, user_id: int, token_id: int) -> None:
    """Delete one of the user's tokens; anyone else's is not found."""
    check_id(token_id, "token")
    with db.write() as conn:
        if not acc.delete_token(conn, user_id, token_id):
            raise NotFoundError("token does not exist")


def note_token_use(db: Database, token: str, *, now: float | None = None) -> None:
    """Remember when the token was last used (to the minute)."""
    now = time.time() if now is None else now
    with db.read() as conn:
        last = acc.token_last_used(conn, token)
    if last is not None and now - last < LAST_USED_PRECISION:
        return
    with db.write() as conn:
        acc.mark_token_used(conn, token, now)


def rename_user(db: Database, user_id: int, name: str) -> None:
    name = name.strip()
    if len(name) > 200:
        raise ActionError("A name has at most 200 characters.")
    with db.write() as conn:
        acc.set_user_name(conn, user_id, name)


def change_password(db: Database, user_id: int, current: str, new: str) -> None:
    """Set a new password; the current one must be right."""
    # scrypt is slow on purpose: hash outside the write transaction, not while holding it.
    with db.read() as conn:
        user = acc.user_by_id(conn, user_id)
    if user is None or not acc.check_password(current, str(user["password_hash"])):
        raise ActionError("The current password is wrong.")
    check_new_password(new)
    password_hash = acc.hash_password(new)
    with db.write() as conn:
        acc.set_password_hash(conn, user_id, password_hash)
