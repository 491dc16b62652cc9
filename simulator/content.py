"""Loading the shipped content (scenario library, question bank, quiz definitions) into the database.

Each item becomes a ``ContentVersion`` row keyed by (kind, key, version). Loading is idempotent: an
unchanged item is left alone, a changed one gets a new row that becomes current while the old row
stays for the attempts that played it, and an item removed from the repository stops being current.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .extensions import db
from .models import ContentVersion, utcnow


@dataclass(frozen=True)
class ContentItem:
    kind: str
    key: str
    title: str
    data: dict[str, Any]
    source_path: str = ""
    version: str = ""

    def resolved_version(self) -> str:
        return self.version or content_hash(self.data)


@dataclass
class SyncReport:
    kind: str
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: int = 0
    retired: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.kind}: 新增 {len(self.added)},更新 {len(self.changed)},"
            f"未变 {self.unchanged},下线 {len(self.retired)}"
        )


def content_hash(data: dict[str, Any]) -> str:
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def sync_content(kind: str, items: Iterable[ContentItem]) -> SyncReport:
    """Make ``items`` the current content of ``kind``, keeping every earlier version. Commits once.

    Keys that are no longer among ``items`` stop being current (retired).

    Raises:
        ValueError: the same key appears twice in ``items`` (nothing is written).
    """
    items = _unique(kind, items)
    rows = db.session.execute(db.select(ContentVersion).where(ContentVersion.kind == kind)).scalars().all()
    report, by_key = _apply(kind, items, rows)
    seen = {item.key for item in items}
    for key, existing in by_key.items():
        if key not in seen and any(row.is_current for row in existing):
            for row in existing:
                row.is_current = False
            report.retired.append(key)
    db.session.commit()
    return report


def upsert_content(kind: str, items: Iterable[ContentItem]) -> SyncReport:
    """Add or update ``items`` of ``kind`` by key, leaving every other key as it is. Commits once.

    Unlike :func:`sync_content` nothing is retired: this is how a trainer's import adds questions to
    the bank. A changed item gets a new current row; its earlier rows stay for the attempts that used them.

    Raises:
        ValueError: the same key appears twice in ``items`` (nothing is written).
    """
    items = _unique(kind, items)
    keys = [item.key for item in items]
    rows = (
        db.session.execute(db.select(ContentVersion).where(ContentVersion.kind == kind, ContentVersion.key.in_(keys)))
        .scalars()
        .all()
    )
    report, _ = _apply(kind, items, rows)
    db.session.commit()
    return report


def _unique(kind: str, items: Iterable[ContentItem]) -> list[ContentItem]:
    items = list(items)
    keys = [item.key for item in items]
    duplicated = sorted({key for key in keys if keys.count(key) > 1})
    if duplicated:
        raise ValueError(f"{kind} {', '.join(duplicated)} appears twice")
    return items


def _apply(
    kind: str, items: list[ContentItem], rows: Iterable[ContentVersion]
) -> tuple[SyncReport, dict[str, list[ContentVersion]]]:
    """Make each item's version current (adding a row when the version is new); no commit."""
    report = SyncReport(kind)
    by_key: dict[str, list[ContentVersion]] = {}
    for row in rows:
        by_key.setdefault(row.key, []).append(row)
    for item in items:
        version = item.resolved_version()
        existing = by_key.get(item.key, [])
        match = next((row for row in existing if row.version == version), None)
        if match is not None and match.is_current:
            report.unchanged += 1
            continue
        for row in existing:
            row.is_current = row is match
        if match is None:
            row = ContentVersion(
                kind=kind,
                key=item.key,
                version=version,
                title=item.title,
                data=item.data,
                source_path=item.source_path,
                is_current=True,
                loaded_at=utcnow(),
            )
            db.session.add(row)
            by_key.setdefault(item.key, []).append(row)
        (report.changed if existing else report.added).append(item.key)
    return report, by_key


def current_content(kind: str) -> list[ContentVersion]:
    """The current rows of one kind, by key."""
    query = (
        db.select(ContentVersion)
        .where(ContentVersion.kind == kind, ContentVersion.is_current.is_(True))
        .order_by(ContentVersion.key)
    )
    return list(db.session.execute(query).scalars())


def current_version(kind: str, key: str) -> ContentVersion | None:
    return db.session.execute(
        db.select(ContentVersion).where(
            ContentVersion.kind == kind, ContentVersion.key == key, ContentVersion.is_current.is_(True)
        )
    ).scalar_one_or_none()
