"""One-time password notices: a password is shown once, from the server, to the admin who set it.

Flashing it would put it in the session cookie, which is signed but anyone holding it can read it
(issue 14.6). The admin is sent to a link holding a random token; only the token's hash is stored,
the row is deleted on first view, and rows nobody opened expire after ``NOTICE_TTL``.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from ..extensions import db
from ..models import PasswordNotice, utcnow

NOTICE_TTL = timedelta(minutes=10)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_notice(admin_id: int, kind: str, username: str, display_name: str, password: str) -> str:
    """Store a password to show once; purge expired notices. The caller commits.

    Returns:
        The token for the notice's link (not stored; only its hash is).
    """
    db.session.execute(db.delete(PasswordNotice).where(PasswordNotice.expires_at < utcnow()))
    token = secrets.token_urlsafe(32)
    db.session.add(
        PasswordNotice(
            token_hash=_hash(token),
            admin_id=admin_id,
            kind=kind,
            username=username,
            display_name=display_name,
            password=password,
            expires_at=utcnow() + NOTICE_TTL,
        )
    )
    return token


def take_notice(token: str, admin_id: int) -> PasswordNotice | None:
    """The notice for ``token`` if it is this admin's and unexpired, deleted as it is read. Commits.

    Another admin's token is left alone (it can neither be read nor used up by them).
    """
    notice = db.session.execute(
        db.select(PasswordNotice).filter_by(token_hash=_hash(token), admin_id=admin_id)
    ).scalar_one_or_none()
    if notice is None:
        return None
    db.session.expunge(notice)
    # A conditional delete: of two simultaneous views only the one that deletes the row shows it.
    deleted = db.session.execute(db.delete(PasswordNotice).where(PasswordNotice.id == notice.id)).rowcount
    db.session.commit()
    if deleted != 1 or notice.expires_at < utcnow():
        return None
    return notice
