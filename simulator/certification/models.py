"""Certification tables: certificates, their audit log and the trainee's notices.

Registered with the shared metadata by importing this module (the blueprint does). Validity is never
stored as a flag: a certificate is valid while ``issued_at <= now < expires_at`` and not revoked.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import User, utcnow


class Certificate(db.Model):
    """One certificate of one level for one trainee (a renewal is a new row pointing at the one it renews).

    ``issued_at`` is None while a trainer's approval is pending. ``programme_version`` is the hash of
    the programme in force when it was earned: a later content update never changes whether it stands.
    The holder's name, 工号 and site are copied at issue, so the certificate says what it said then.
    """

    __tablename__ = "certificate"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    programme_key: Mapped[str] = mapped_column(String(60))
    level_key: Mapped[str] = mapped_column(String(60))
    level_name: Mapped[str] = mapped_column(String(60))
    programme_version: Mapped[str] = mapped_column(String(64))
    programme_content_id: Mapped[int | None] = mapped_column(ForeignKey("content_version.id"), default=None)
    # user:programme:level:n — two concurrent issues of the same level collide here instead of doubling
    issue_key: Mapped[str] = mapped_column(String(200), unique=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)  # secrets.token_urlsafe: the public verify code
    holder_name: Mapped[str] = mapped_column(String(60))
    holder_username: Mapped[str] = mapped_column(String(40))
    site_name: Mapped[str] = mapped_column(String(100))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    issued_at: Mapped[datetime | None] = mapped_column(default=None)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), default=None)
    renewal_of_id: Mapped[int | None] = mapped_column(ForeignKey("certificate.id"), default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), default=None)
    revoke_reason: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[list[Any]] = mapped_column(JSON, default=list)  # the requirement results that earned it

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    def valid_at(self, now: datetime) -> bool:
        return (
            self.revoked_at is None
            and self.issued_at is not None
            and self.expires_at is not None
            and self.issued_at <= now < self.expires_at
        )

    def public_status(self, now: datetime) -> str:
        """``valid`` | ``expired`` | ``revoked`` | ``pending`` (what /verify says)."""
        if self.revoked_at is not None:
            return "revoked"
        if self.issued_at is None:
            return "pending"
        return "valid" if self.valid_at(now) else "expired"


class CertificationEvent(db.Model):
    """The audit log: every request, issue, renewal, approval, rejection, expiry and revocation.

    ``actor_id`` is the trainer or admin who acted, None for the system (automatic issue, the daily
    ``flask certify run``). One event of each kind per certificate, which keeps the CLI idempotent.
    """

    __tablename__ = "certification_event"
    __table_args__ = (UniqueConstraint("certificate_id", "kind", name="uq_certification_event_certificate_id_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificate.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)  # the holder
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), default=None)
    kind: Mapped[str] = mapped_column(String(20))  # requested issued renewed approved rejected expired revoked
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    certificate: Mapped[Certificate] = relationship()
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])


class CertificationNotice(db.Model):
    """A notice on the trainee's home page (earned, renewal window open, expiring, expired, revoked)."""

    __tablename__ = "certification_notice"
    __table_args__ = (UniqueConstraint("certificate_id", "kind", name="uq_certification_notice_certificate_id_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificate.id"))
    kind: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    dismissed_at: Mapped[datetime | None] = mapped_column(default=None)

    certificate: Mapped[Certificate] = relationship()
