"""xAPI 1.0.3 statements of the results, as a JSON file or sent to a Learning Record Store, as jobs.

Per role-play attempt: ``attempted`` (start), ``answered`` per reply (the node as an interaction),
and at the end ``passed`` / ``failed`` (assessment) or ``completed`` (practice). Per quiz attempt:
``passed`` / ``failed`` / ``completed`` once submitted, else ``attempted``. Statement ids are UUID 5
of the record, so sending twice sends the same statements (an LRS keeps one of each).
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib import error as urlerror
from urllib import request as urlrequest

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..jobs import JobContext, JobError, job_kind
from ..models import JobStatus, Turn
from . import exports
from .service import PASS_MARK, Filters

XAPI_VERSION = "1.0.3"
VERBS = {
    "attempted": ("http://adlnet.gov/expapi/verbs/attempted", "尝试"),
    "answered": ("http://adlnet.gov/expapi/verbs/answered", "作答"),
    "passed": ("http://adlnet.gov/expapi/verbs/passed", "通过"),
    "failed": ("http://adlnet.gov/expapi/verbs/failed", "未通过"),
    "completed": ("http://adlnet.gov/expapi/verbs/completed", "完成"),
}
ACTIVITY_TYPES = {
    "scenario": "http://adlnet.gov/expapi/activities/simulation",
    "node": "http://adlnet.gov/expapi/activities/cmi.interaction",
    "quiz": "http://adlnet.gov/expapi/activities/assessment",
}
NAMESPACE = uuid.UUID("7c0f3a52-5a8e-4f55-9d3c-2f8d6c1a9e11")
PLATFORM = "管家实训"
BATCH = 200


def iso_utc(value: datetime) -> str:
    """A stored naive-UTC time as an ISO 8601 timestamp with ``Z``."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _duration(start: datetime, end: datetime) -> str:
    return f"PT{max(0.0, (end - start).total_seconds()):.0f}S"


class StatementBuilder:
    """Builds statements with IRIs under the site's home page (``XAPI_HOMEPAGE`` or the app's URL)."""

    def __init__(self, homepage: str):
        self.homepage = homepage.rstrip("/")
        self.ext_site = f"{self.homepage}/xapi/extensions/site"
        self.ext_version = f"{self.homepage}/xapi/extensions/scenario-version"
        self.ext_mode = f"{self.homepage}/xapi/extensions/mode"

    def _id(self, *parts: Any) -> str:
        return str(uuid.uuid5(NAMESPACE, "|".join([self.homepage, *map(str, parts)])))

    def actor(self, username: str, name: str) -> dict[str, Any]:
        return {"objectType": "Agent", "name": name, "account": {"homePage": self.homepage, "name": username}}

    @staticmethod
    def verb(name: str) -> dict[str, Any]:
        iri, label = VERBS[name]
        return {"id": iri, "display": {"zh-CN": label, "en-US": name}}

    def activity(self, kind: str, key: str, title: str, *, node: str | None = None) -> dict[str, Any]:
        path = f"{self.homepage}/xapi/activities/{'quiz' if kind == 'quiz' else 'scenario'}/{key}"
        if node is not None:
            path += f"/node/{node}"
        definition: dict[str, Any] = {"name": {"zh-CN": title}, "type": ACTIVITY_TYPES[kind]}
        if kind == "node":
            definition["interactionType"] = "long-fill-in"
        return {"objectType": "Activity", "id": path, "definition": definition}

    @staticmethod
    def result(
        score: float | None,
        *,
        success: bool | None = None,
        completion: bool | None = None,
        duration: str | None = None,
        response: str | None = None,
    ) -> dict[str, Any]:
        result: dict[str, Any] = {}
        if score is not None:
            result["score"] = {"scaled": round(score / 100, 4), "raw": score, "min": 0, "max": 100}
        if success is not None:
            result["success"] = success
        if completion is not None:
            result["completion"] = completion
        if duration is not None:
            result["duration"] = duration
        if response is not None:
            result["response"] = response
        return result

    def context(
        self, registration: str, site: str, *, version: str, mode: str, parent: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        context: dict[str, Any] = {
            "registration": registration,
            "platform": PLATFORM,
            "language": "zh-CN",
            "extensions": {self.ext_site: site, self.ext_version: version, self.ext_mode: mode},
        }
        if parent is not None:
            context["contextActivities"] = {"parent": [{"objectType": "Activity", "id": parent["id"]}]}
        return context

    def statement(self, sid: str, actor, verb: str, obj, timestamp: datetime, context, result=None) -> dict[str, Any]:
        statement = {
            "id": sid, "version": XAPI_VERSION, "actor": actor, "verb": self.verb(verb), "object": obj,
            "context": context, "timestamp": iso_utc(timestamp),
        }  # fmt: skip
        if result:
            statement["result"] = result
        return statement

    def attempt_statements(self, row: Any, turns: list[Any]) -> Iterator[dict[str, Any]]:
        """The statements of one role-play attempt (``row`` from ``exports.attempt_chunks``)."""
        actor = self.actor(row.username, row.display_name)
        scenario = self.activity("scenario", row.scenario_key, row.title or row.scenario_key)
        registration = self._id("attempt", row.id)
        context = self.context(registration, row.site, version=row.scenario_version, mode=row.mode)
        yield self.statement(
            self._id("attempt", row.id, "attempted"), actor, "attempted", scenario, row.started_at, context
        )
        for turn in turns:
            node = self.activity("node", row.scenario_key, turn.node, node=turn.node)
            turn_context = self.context(
                registration, row.site, version=row.scenario_version, mode=row.mode, parent=scenario
            )
            yield self.statement(
                self._id("turn", turn.id),
                actor,
                "answered",
                node,
                turn.submitted_at,
                turn_context,
                self.result(turn.score, success=turn.score >= PASS_MARK, response=turn.reply),
            )
        if row.finished_at is not None and row.final_score is not None:
            passed = row.final_score >= PASS_MARK
            verb = ("passed" if passed else "failed") if row.mode == "assessment" else "completed"
            yield self.statement(
                self._id("attempt", row.id, "finished"),
                actor,
                verb,
                scenario,
                row.finished_at,
                context,
                self.result(
                    row.final_score,
                    success=passed,
                    completion=True,
                    duration=_duration(row.started_at, row.finished_at),
                ),
            )

    def quiz_statement(self, row: Any) -> dict[str, Any]:
        """The statement of one quiz attempt (``row`` from ``exports.quiz_chunks``)."""
        actor = self.actor(row.username, row.display_name)
        quiz = self.activity("quiz", row.quiz_key, row.title or row.quiz_key)
        context = self.context(self._id("quiz", row.id), row.site, version=row.version, mode=row.mode)
        if row.submitted_at is None:
            return self.statement(
                self._id("quiz", row.id, "attempted"), actor, "attempted", quiz, row.started_at, context
            )
        verb = ("passed" if row.passed else "failed") if row.mode == "assessment" else "completed"
        score = round(row.score, 2) if row.score is not None else None
        return self.statement(
            self._id("quiz", row.id, "submitted"),
            actor,
            verb,
            quiz,
            row.submitted_at,
            context,
            self.result(
                score, success=bool(row.passed), completion=True, duration=_duration(row.started_at, row.submitted_at)
            ),
        )


def statements(f: Filters, homepage: str, progress: Callable[[int], None]) -> Iterator[dict[str, Any]]:
    """Every statement of the filtered attempts and quiz attempts (one turns query per chunk)."""
    builder = StatementBuilder(homepage)
    done = 0
    for rows, ids in exports.attempt_chunks(f):
        by_attempt: dict[int, list[Any]] = {}
        for turn in db.session.execute(
            select(Turn.id, Turn.attempt_id, Turn.node, Turn.score, Turn.reply, Turn.submitted_at)
            .where(Turn.attempt_id.in_(ids))
            .order_by(Turn.attempt_id, Turn.index)
        ):
            by_attempt.setdefault(turn.attempt_id, []).append(turn)
        for row in rows:
            yield from builder.attempt_statements(row, by_attempt.get(row.id, []))
        done += len(rows)
        progress(done)
    for rows in exports.quiz_chunks(f):
        for row in rows:
            yield builder.quiz_statement(row)
        done += len(rows)
        progress(done)


def _total(f: Filters) -> int:
    return exports.count_attempts(f) + exports.count_quizzes(f)


@job_kind("report_xapi_json", label="导出 xAPI 学习记录(JSON)")
def export_json(ctx: JobContext, *, audit_id: int, filters: dict[str, Any], homepage: str) -> dict[str, Any]:
    """Write the statements as one JSON array, streamed."""
    try:
        f = exports._job_filters(ctx, filters)
        total = _total(f)
        path = ctx.result_path(exports._file_name("xapi", f, "json"))
        count = 0
        with path.open("w", encoding="utf-8") as handle:
            handle.write("[")
            for statement in statements(f, homepage, lambda done: ctx.progress(done, total, f"已处理 {done:,} 条记录")):
                handle.write(",\n" if count else "\n")
                handle.write(json.dumps(statement, ensure_ascii=False))
                count += 1
            handle.write("\n]\n")
    except Exception:
        exports._finish_audit(audit_id, JobStatus.FAILED.value, None)
        raise
    exports._finish_audit(audit_id, JobStatus.DONE.value, count)
    return {"rows": count}


class LrsError(JobError):
    """The LRS refused the statements or stayed unreachable after the retries."""


def post_statements(
    batch: list[dict[str, Any]],
    *,
    url: str,
    username: str,
    password: str,
    retries: int,
    backoff_s: float,
    timeout_s: float = 30.0,
) -> None:
    """POST one batch to ``<url>/statements``; retries network errors, 429 and 5xx with growing waits.

    Raises:
        LrsError: a 4xx answer (not retried), or every try failed.
    """
    endpoint = url.rstrip("/") + "/statements"
    body = json.dumps(batch, ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json; charset=utf-8", "X-Experience-API-Version": XAPI_VERSION}
    if username or password:
        token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
        headers["Authorization"] = f"Basic {token}"
    last = ""
    for attempt in range(retries + 1):
        if attempt:
            time.sleep(backoff_s * (2 ** (attempt - 1)))
        try:
            with urlrequest.urlopen(
                urlrequest.Request(endpoint, data=body, headers=headers, method="POST"), timeout=timeout_s
            ) as response:
                response.read()
                return
        except urlerror.HTTPError as exc:
            exc.close()
            if exc.code != 429 and exc.code < 500:
                raise LrsError(f"学习记录库拒绝了数据(HTTP {exc.code}),请检查地址和账号。") from exc
            last = f"HTTP {exc.code}"
        except (urlerror.URLError, TimeoutError, ConnectionError) as exc:
            last = type(exc).__name__
    raise LrsError(f"发送到学习记录库失败({last}),已重试 {retries} 次。")


@job_kind("report_xapi_lrs", label="发送 xAPI 学习记录到 LRS")
def export_lrs(ctx: JobContext, *, audit_id: int, filters: dict[str, Any], homepage: str) -> dict[str, Any]:
    """Send the statements to the configured LRS in batches."""
    config = current_app.config
    sent = 0
    try:
        url = config.get("XAPI_LRS_URL")
        if not url:
            raise JobError("未配置学习记录库(XAPI_LRS_URL)。")
        f = exports._job_filters(ctx, filters)
        total = _total(f)
        options = {
            "url": url, "username": config.get("XAPI_LRS_USERNAME") or "",
            "password": config.get("XAPI_LRS_PASSWORD") or "", "retries": int(config.get("XAPI_LRS_RETRIES", 3)),
            "backoff_s": float(config.get("XAPI_LRS_BACKOFF_S", 1.0)),
        }  # fmt: skip
        batch: list[dict[str, Any]] = []
        for statement in statements(f, homepage, lambda done: ctx.progress(done, total, f"已处理 {done:,} 条记录")):
            batch.append(statement)
            if len(batch) >= BATCH:
                post_statements(batch, **options)
                sent += len(batch)
                batch = []
        if batch:
            post_statements(batch, **options)
            sent += len(batch)
        ctx.progress(total, total, f"已发送 {sent:,} 条学习记录")
    except Exception:
        exports._finish_audit(audit_id, JobStatus.FAILED.value, sent or None)
        raise
    exports._finish_audit(audit_id, JobStatus.DONE.value, sent)
    return {"rows": sent}
