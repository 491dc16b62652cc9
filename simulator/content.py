"""Loading the shipped content (scenario library, question bank, quiz definitions) into the database.

Each item becomes a ``ContentVersion`` row keyed by (kind, key, version). Loading is idempotent: an
unchanged item is left alone, a changed one gets a new row that becomes current while the old row
stays for the attempts that played it, and an item removed from the repository stops being current.
Content authored on this site (imports, trainers' edits of shipped items) is never retired or
overwritten by a load; the trainer decides whether to take a newer shipped version.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .extensions import db
from .models import ContentPublication, ContentVersion, Origin, utcnow


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
    kept: list[str] = field(default_factory=list)  # authored here: the shipped version was stored, not made current

    def summary(self) -> str:
        text = (
            f"{self.kind}: 新增 {len(self.added)},更新 {len(self.changed)},"
            f"未变 {self.unchanged},下线 {len(self.retired)}"
        )
        if self.kept:
            text += f",保留本站版本 {len(self.kept)}"
        return text


def content_hash(data: dict[str, Any]) -> str:
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def sync_content(kind: str, items: Iterable[ContentItem]) -> SyncReport:
    """Load the shipped ``items`` of ``kind``, keeping every earlier version and this site's own content.

    A shipped key whose current version is shipped is updated; a shipped key that is no longer among
    ``items`` stops being current (retired). A key whose current version was authored here (imported,
    or a trainer's edit of a shipped item) is never retired or replaced: a new shipped version is stored
    beside it and marked ``shipped_current``, for a trainer to take with :func:`take_shipped`. Commits once.

    Raises:
        ValueError: the same key appears twice in ``items`` (nothing is written).
    """
    items = _unique(kind, items)
    rows = db.session.execute(db.select(ContentVersion).where(ContentVersion.kind == kind)).scalars().all()
    by_key = _by_key(rows)
    withdrawn = _withdrawn_keys(kind)
    report = SyncReport(kind)
    for item in items:
        version = item.resolved_version()
        existing = by_key.setdefault(item.key, [])
        current = next((row for row in existing if row.is_current), None)
        match = next((row for row in existing if row.version == version), None)
        local = (current is not None and current.origin == Origin.AUTHORED and current is not match) or (
            current is None and item.key in withdrawn
        )
        had_rows = bool(existing)
        if match is None:
            match = _new_row(kind, item, version, Origin.SHIPPED, is_current=not local)
            existing.append(match)
        for row in existing:
            row.shipped_current = row is match
        if local:
            report.kept.append(item.key)
        elif current is match:
            report.unchanged += 1
        else:
            for row in existing:
                row.is_current = row is match
            (report.changed if had_rows else report.added).append(item.key)
    seen = {item.key for item in items}
    for key, existing in by_key.items():
        if key in seen:
            continue
        for row in existing:
            row.shipped_current = False
        if any(row.is_current and row.origin == Origin.SHIPPED for row in existing):
            for row in existing:
                row.is_current = False
            report.retired.append(key)
    db.session.commit()
    return report


def upsert_content(kind: str, items: Iterable[ContentItem], origin: Origin = Origin.AUTHORED) -> SyncReport:
    """Add or update ``items`` of ``kind`` by key, leaving every other key as it is. Commits once.

    Unlike :func:`sync_content` nothing is retired: this is how a trainer's import adds questions to
    the bank (``origin`` authored, so a later content load keeps them). A changed item gets a new
    current row; its earlier rows stay for the attempts that used them.

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
    by_key = _by_key(rows)
    report = SyncReport(kind)
    for item in items:
        version = item.resolved_version()
        existing = by_key.setdefault(item.key, [])
        match = next((row for row in existing if row.version == version), None)
        if match is not None and match.is_current:
            report.unchanged += 1
            continue
        for row in existing:
            row.is_current = row is match
        if match is None:
            existing.append(_new_row(kind, item, version, origin, is_current=True))
        (report.changed if len(existing) > 1 or match is not None else report.added).append(item.key)
    db.session.commit()
    return report


def take_shipped(kind: str, key: str) -> ContentVersion:
    """Replace this site's version of ``key`` by the version the repository ships now. Commits.

    Raises:
        LookupError: the key has no shipped version (it was authored here, or is no longer shipped).
    """
    rows = db.session.execute(
        db.select(ContentVersion).where(ContentVersion.kind == kind, ContentVersion.key == key)
    ).scalars().all()
    shipped = next((row for row in rows if row.shipped_current), None)
    if shipped is None:
        raise LookupError(f"{kind} {key} has no shipped version")
    for row in rows:
        row.is_current = row is shipped
    db.session.commit()
    return shipped


@dataclass(frozen=True)
class LocalEdit:
    """A shipped key whose current version was authored here, and the version the repository ships now."""

    current: ContentVersion
    shipped: ContentVersion

    @property
    def shipped_is_newer(self) -> bool:
        """The repository's version arrived after this site's edit."""
        return (self.shipped.loaded_at, self.shipped.id) > (self.current.loaded_at, self.current.id)


def local_edits(kind: str) -> list[LocalEdit]:
    """Shipped keys this site has edited, by key (the trainer may take the shipped version instead)."""
    live = ContentVersion.is_current.is_(True) | ContentVersion.shipped_current.is_(True)
    rows = db.session.execute(db.select(ContentVersion).where(ContentVersion.kind == kind, live)).scalars()
    by_key = _by_key(rows)
    edits = []
    for key in sorted(by_key):
        current = next((row for row in by_key[key] if row.is_current), None)
        shipped = next((row for row in by_key[key] if row.shipped_current), None)
        if current is not None and shipped is not None and current is not shipped and current.origin == Origin.AUTHORED:
            edits.append(LocalEdit(current, shipped))
    return edits


def _withdrawn_keys(kind: str) -> set[str]:
    """Keys whose latest publication record is a trainer's 撤下 (authoring): a load must not bring them back."""
    latest: dict[str, str] = {}
    for key, action in db.session.execute(
        db.select(ContentPublication.key, ContentPublication.action)
        .where(ContentPublication.kind == kind, ContentPublication.action.in_(("publish", "unpublish")))
        .order_by(ContentPublication.id)
    ):
        latest[key] = action
    return {key for key, action in latest.items() if action == "unpublish"}


def _unique(kind: str, items: Iterable[ContentItem]) -> list[ContentItem]:
    items = list(items)
    keys = [item.key for item in items]
    duplicated = sorted({key for key in keys if keys.count(key) > 1})
    if duplicated:
        raise ValueError(f"{kind} {', '.join(duplicated)} appears twice")
    return items


def _by_key(rows: Iterable[ContentVersion]) -> dict[str, list[ContentVersion]]:
    by_key: dict[str, list[ContentVersion]] = {}
    for row in rows:
        by_key.setdefault(row.key, []).append(row)
    return by_key


def _new_row(kind: str, item: ContentItem, version: str, origin: Origin, *, is_current: bool) -> ContentVersion:
    row = ContentVersion(
        kind=kind,
        key=item.key,
        version=version,
        title=item.title,
        data=item.data,
        source_path=item.source_path,
        origin=origin.value,
        shipped_current=origin == Origin.SHIPPED,
        is_current=is_current,
        loaded_at=utcnow(),
    )
    db.session.add(row)
    return row


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
