"""Quiz logic for the web app: drawing and freezing attempts, saving answers, deadlines, grading, import.

Views parse the request and call these functions; everything that touches the database lives here.
The domain rules themselves (question types, draws, grading, item statistics, XLSX/GIFT) come from
the pure ``quizzes`` package.
"""

from __future__ import annotations

import json
import secrets
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from quizzes import (
    TOPICS,
    TYPE_LABELS,
    AttemptData,
    Bank,
    BankImportError,
    DrawnQuestion,
    GiftParseResult,
    GradeResult,
    ItemResponse,
    ItemStats,
    Question,
    QuizDefinition,
    analyse,
    draw,
    export_gift,
    export_xlsx_bytes,
    grade_attempt,
    import_gift,
    import_xlsx,
    new_seed,
    parse_gift,
    question_from_dict,
)
from quizzes.types import LETTERS, Scorer
from quizzes.xlsx import SheetLimits

from ..content import ContentItem, LocalEdit, SyncReport, current_content, local_edits, take_shipped, upsert_content
from ..extensions import db
from ..models import ContentVersion, QuizAnswer, QuizAttempt, User, utcnow

# An answer sent in the last moment travels a little; accept it if it arrives this soon after the deadline.
DEADLINE_GRACE_S = 3
MODE_LABELS = {"practice": "练习", "assessment": "考核"}
ALREADY_SUBMITTED = "本次测验已交卷,这次修改的答案没有保存。成绩以交卷时保存的答案为准。"


class QuizError(Exception):
    """A request the rules refuse; ``message`` is shown to the user (Chinese), ``status`` is the HTTP code."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class TimeUp(QuizError):
    """The attempt's time limit has passed; the attempt has been submitted."""


# -- content ----------------------------------------------------------------------------------------
def load_question(data: Mapping[str, Any]) -> Question:
    """A question from stored JSON; imported Moodle questions carry no source, so none is required."""
    return question_from_dict(data, require_source=False)


def current_bank() -> tuple[Bank, dict[str, int]]:
    """The current question bank from the database, and question id -> its ContentVersion id."""
    rows = current_content("question")
    questions = [load_question(row.data) for row in rows]
    return Bank(questions=questions), {row.key: row.id for row in rows}


def current_quizzes() -> list[tuple[ContentVersion, QuizDefinition]]:
    """The current quiz definitions with their rows, in title order."""
    pairs = [(row, QuizDefinition.from_dict(row.data)) for row in current_content("quiz")]
    return sorted(pairs, key=lambda pair: (pair[1].mode != "assessment", pair[1].title))


def quiz_definition(attempt: QuizAttempt) -> QuizDefinition:
    """The definition version the attempt was started from."""
    return QuizDefinition.from_dict(attempt.content.data)


# -- attempts ---------------------------------------------------------------------------------------
@dataclass
class QuizSummary:
    """One row of the trainee's quiz list."""

    row: ContentVersion
    quiz: QuizDefinition
    used: int
    best: float | None
    passed: bool
    open_attempt: QuizAttempt | None

    @property
    def remaining(self) -> int | None:
        """Attempts left, or None when unlimited."""
        if not self.quiz.max_attempts:
            return None
        return max(0, self.quiz.max_attempts - self.used)


def _user_attempts(user: User, quiz_key: str | None = None) -> list[QuizAttempt]:
    query = (
        db.select(QuizAttempt)
        .where(QuizAttempt.user_id == user.id)
        .order_by(QuizAttempt.started_at.desc())
        .execution_options(populate_existing=True)
    )
    if quiz_key is not None:
        query = query.where(QuizAttempt.quiz_key == quiz_key)
    return list(db.session.execute(query).scalars())


def close_expired(user: User, *, now: datetime | None = None) -> list[QuizAttempt]:
    """Submit and grade every open attempt of the user whose time is up; returns them."""
    now = now or utcnow()
    closed = []
    for attempt in _user_attempts(user):
        if attempt.submitted_at is None and is_expired(attempt, now):
            submit_attempt(attempt, now=now, auto=True)
            closed.append(attempt)
    return closed


def quiz_summaries(user: User, *, now: datetime | None = None) -> list[QuizSummary]:
    """Every current quiz with the user's attempts used, best score and open attempt."""
    close_expired(user, now=now)
    attempts = _user_attempts(user)
    summaries = []
    for row, quiz in current_quizzes():
        mine = [a for a in attempts if a.quiz_key == quiz.id]
        scores = [a.score for a in mine if a.submitted_at is not None and a.score is not None]
        summaries.append(
            QuizSummary(
                row=row,
                quiz=quiz,
                used=len(mine),
                best=max(scores) if scores else None,
                passed=any(a.passed for a in mine if a.submitted_at is not None),
                open_attempt=next((a for a in mine if a.submitted_at is None), None),
            )
        )
    return summaries


def attempt_history(user: User) -> list[QuizAttempt]:
    """The user's attempts, newest first."""
    return _user_attempts(user)


def start_attempt(user: User, quiz_key: str, *, now: datetime | None = None, seed: int | None = None) -> QuizAttempt:
    """Start (or resume) the user's attempt at a quiz.

    An open attempt of the same quiz is resumed rather than a second one drawn. A new attempt draws
    its questions with a fresh seed (recorded), shuffles options as the definition says and freezes
    the drawn questions into the attempt, so later bank edits never change it.

    Args:
        user: the trainee.
        quiz_key: the quiz definition id.
        now: the server time (tests pass one).
        seed: the draw seed (tests pass one); a fresh random seed otherwise.

    Raises:
        QuizError: unknown quiz (404), or no attempts left (409).
    """
    now = now or utcnow()
    row = next((r for r, _ in current_quizzes() if r.key == quiz_key), None)
    if row is None:
        raise QuizError("测验不存在或已下线。", 404)
    quiz = QuizDefinition.from_dict(row.data)
    close_expired(user, now=now)
    resumed = _open_attempt_or_refuse(user, quiz)  # the common cases, without drawing or locking
    if resumed is not None:
        return resumed
    bank, version_ids = current_bank()
    seed = new_seed() if seed is None else seed
    try:
        drawn = draw(quiz, bank, seed)
    except ValueError as error:
        raise QuizError(f"题库题目不足,无法组卷:{error}", 409) from error
    # Count again and insert under one lock per user: otherwise two simultaneous starts (a
    # double-click, two tabs) both see attempts left and both insert (issue 14.2).
    lock_user(user.id)
    try:
        resumed = _open_attempt_or_refuse(user, quiz)
    except QuizError:
        db.session.rollback()  # release the lock
        raise
    if resumed is not None:
        db.session.rollback()  # nothing written; release the lock
        return resumed
    attempt = QuizAttempt(
        user_id=user.id,
        content_id=row.id,
        quiz_key=quiz.id,
        mode=quiz.mode,
        seed=seed,
        questions=[{**item.to_dict(), "content_id": version_ids.get(item.id)} for item in drawn],
        started_at=now,
        deadline_at=now + timedelta(seconds=quiz.time_limit_s) if quiz.time_limit_s else None,
    )
    db.session.add(attempt)
    try:
        db.session.commit()
    except IntegrityError:
        # uq_quiz_attempt_open: another request opened this quiz first (only if the lock was not held,
        # e.g. another database); resume that attempt
        db.session.rollback()
        mine = _user_attempts(user, quiz.id)
        open_attempt = next((a for a in mine if a.submitted_at is None), None)
        if open_attempt is None:
            raise
        return open_attempt
    return attempt


def _open_attempt_or_refuse(user: User, quiz: QuizDefinition) -> QuizAttempt | None:
    """The user's open attempt at the quiz, or None when a new one may start.

    Raises:
        QuizError: no attempts left.
    """
    mine = _user_attempts(user, quiz.id)
    open_attempt = next((a for a in mine if a.submitted_at is None), None)
    if open_attempt is None and quiz.max_attempts and len(mine) >= quiz.max_attempts:
        raise QuizError(f"「{quiz.title}」最多可作答 {quiz.max_attempts} 次,您的作答次数已用完。")
    return open_attempt


def lock_user(user_id: int) -> None:
    """Start a transaction that holds a write lock for this user until the next commit or rollback."""
    _write_lock(User, user_id)


def _write_lock(model: type[User] | type[QuizAttempt], row_id: int) -> None:
    """Start a transaction holding a write lock on one row until the next commit or rollback.

    PostgreSQL locks the row (``SELECT ... FOR UPDATE``), so requests about other rows go on in
    parallel. SQLite has one writer at a time: ``BEGIN IMMEDIATE`` takes the database write lock
    before anything is read (other writers wait up to the busy timeout). The session is committed
    first, which ends the request's read transaction and expires every loaded object, so whatever is
    read afterwards is what the database holds under the lock.
    """
    db.session.commit()
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(text("BEGIN IMMEDIATE"))
    else:
        db.session.execute(db.select(model.id).where(model.id == row_id).with_for_update())


def get_own_attempt(user: User, attempt_id: int) -> QuizAttempt:
    """The user's own attempt; someone else's, or none, is a 404 (never reveal that it exists).

    Raises:
        QuizError: with status 404.
    """
    attempt = db.session.get(QuizAttempt, attempt_id)
    if attempt is None or attempt.user_id != user.id:
        raise QuizError("测验记录不存在。", 404)
    return attempt


def drawn_questions(attempt: QuizAttempt) -> list[DrawnQuestion]:
    """The attempt's frozen questions, in the order shown.

    ``DrawnQuestion.from_dict`` insists on a source; imported Moodle questions have none, so the
    question is rebuilt here with :func:`load_question`.
    """
    return [
        DrawnQuestion(load_question(item["question"]), tuple(int(i) for i in item["permutation"]))
        for item in attempt.questions
    ]


def is_expired(attempt: QuizAttempt, now: datetime | None = None) -> bool:
    """The deadline (plus the grace for answers in flight) has passed."""
    if attempt.deadline_at is None:
        return False
    return (now or utcnow()) > attempt.deadline_at + timedelta(seconds=DEADLINE_GRACE_S)


def seconds_left(attempt: QuizAttempt, now: datetime | None = None) -> int | None:
    """Whole seconds until the deadline (0 when past), or None without a time limit."""
    if attempt.deadline_at is None:
        return None
    return max(0, int((attempt.deadline_at - (now or utcnow())).total_seconds()))


def answers_by_position(attempt: QuizAttempt) -> dict[int, QuizAnswer]:
    """Saved answers keyed by 0-based position."""
    return {answer.position: answer for answer in attempt.answers}


def is_answered(response: Any) -> bool:
    """Whether a stored response counts as an answer (an ordering needs every slot filled)."""
    if response is None:
        return False
    if isinstance(response, str):
        return bool(response.strip())
    if isinstance(response, list):
        return bool(response) and all(isinstance(v, str) and v for v in response)
    return True


def has_content(response: Any) -> bool:
    """Whether anything at all was answered (a partly ordered list counts)."""
    if isinstance(response, list):
        return any(response)
    return is_answered(response)


def parse_response(drawn: DrawnQuestion, form: Mapping[str, Any], getlist: Any) -> Any:
    """Turn the posted form into the response the question type grades.

    Args:
        drawn: the question as shown.
        form: the posted form (``answer`` field).
        getlist: ``form.getlist`` (multiple choice ticks, ordering slots).

    Returns:
        single: a letter; multiple: sorted letters; truefalse: bool or None; fill/short: the text;
        ordering: the item texts in the trainee's order ("" for a slot not chosen yet).
    """
    return drawn.parse_response(form, getlist)


def save_answer(attempt: QuizAttempt, position: int, response: Any, *, now: datetime | None = None) -> QuizAnswer:
    """Store the answer to one question as it is given (one row per position, updated in place).

    Non-short questions are graded right away (practice quizzes show the feedback); short answers
    are graded on submission, where ``scoring`` runs once for the attempt.

    Args:
        attempt: an open attempt.
        position: 0-based position of the question.
        response: from :func:`parse_response`.
        now: the server time.

    Raises:
        TimeUp: the time limit has passed (the attempt is submitted now; the answer is not saved).
        QuizError: the attempt was already submitted, or the position does not exist (404).
    """
    now = now or utcnow()
    drawn = drawn_questions(attempt)
    if not 0 <= position < len(drawn):
        raise QuizError("题目不存在。", 404)
    item = drawn[position]
    if item.question.graded_on_submit:
        fraction, result = None, None
    else:
        grade = item.grade(response)
        fraction, result = grade.fraction, grade.to_dict()
    # Read submitted_at and write the answer under the attempt's lock: a save racing a submission
    # either lands before it (and is graded) or is refused, never stored after the grading (issue 14.3).
    lock_attempt(attempt)
    if attempt.submitted_at is not None:
        db.session.rollback()
        raise QuizError(ALREADY_SUBMITTED)
    if is_expired(attempt, now):
        db.session.rollback()
        submit_attempt(attempt, now=now, auto=True)
        raise TimeUp("作答时间已到,系统已自动交卷,这次提交的答案未被保存。")
    answer = answers_by_position(attempt).get(position)
    if answer is None:
        answer = QuizAnswer(attempt=attempt, position=position, question_key=item.id)
        db.session.add(answer)
    answer.response, answer.saved_at, answer.fraction, answer.result = response, now, fraction, result
    db.session.commit()
    return answer


def submit_attempt(
    attempt: QuizAttempt, *, now: datetime | None = None, auto: bool = False, scorer: Scorer | None = None
) -> QuizAttempt:
    """Grade every question, store each grade and the attempt's score and pass/fail. Idempotent.

    Args:
        attempt: the attempt (an already submitted one is returned unchanged).
        now: the server time; an auto-submission of an expired attempt is stamped with its deadline.
        auto: the time ran out (the submission time is the deadline).
        scorer: short-answer scorer (``scoring.score`` by default).
    """
    if attempt.submitted_at is not None:
        return attempt
    now = now or utcnow()
    quiz = quiz_definition(attempt)
    drawn = drawn_questions(attempt)
    # Grade outside the lock (short answers run the model), then check under the lock that nobody
    # submitted meanwhile and that the answers graded are still the answers saved (issue 14.3).
    graded = _responses(attempt, drawn)
    result = grade_attempt(quiz, drawn, graded, scorer=scorer)
    lock_attempt(attempt)
    if attempt.submitted_at is not None:
        db.session.rollback()  # the other submission won; its result stands
        return attempt
    responses = _responses(attempt, drawn)
    if responses != graded:  # an answer was saved while grading: grade what is stored now
        result = grade_attempt(quiz, drawn, responses, scorer=scorer)
    saved = answers_by_position(attempt)
    for position, item in enumerate(drawn):
        answer = saved.get(position)
        if answer is None:
            answer = QuizAnswer(attempt=attempt, position=position, question_key=item.id, response=None, saved_at=now)
            db.session.add(answer)
        grade = result.results[item.id]
        answer.fraction, answer.result = grade.fraction, grade.to_dict()
    attempt.score = result.percent
    attempt.passed = result.passed
    attempt.submitted_at = min(now, attempt.deadline_at) if auto and attempt.deadline_at else now
    db.session.commit()
    return attempt


def _responses(attempt: QuizAttempt, drawn: Sequence[DrawnQuestion]) -> dict[str, Any]:
    saved = answers_by_position(attempt)
    return {item.id: saved[pos].response for pos, item in enumerate(drawn) if pos in saved}


def lock_attempt(attempt: QuizAttempt) -> None:
    """Start a transaction holding a write lock on the attempt (see :func:`_write_lock`)."""
    _write_lock(QuizAttempt, attempt.id)


# -- presenting -------------------------------------------------------------------------------------
def response_text(drawn: DrawnQuestion, response: Any) -> str:
    """The trainee's answer as the results page shows it (Chinese)."""
    if not has_content(response):
        return "未作答"
    return drawn.question.describe_response(response)


@dataclass
class ReviewItem:
    """One question on the results page."""

    position: int
    drawn: DrawnQuestion
    response: Any
    your_answer: str
    grade: GradeResult | None

    @property
    def question(self) -> Question:
        """The question as shown."""
        return self.drawn.question

    @property
    def status(self) -> str:
        """``correct`` / ``partial`` / ``wrong`` / ``unanswered``."""
        if not has_content(self.response):
            return "unanswered"
        if self.grade is None:
            return "wrong"
        if self.grade.correct:
            return "correct"
        return "partial" if self.grade.fraction > 0 else "wrong"


def review(attempt: QuizAttempt) -> list[ReviewItem]:
    """The per-question review of a submitted attempt."""
    saved = answers_by_position(attempt)
    items = []
    for position, drawn in enumerate(drawn_questions(attempt)):
        answer = saved.get(position)
        response = answer.response if answer else None
        grade = GradeResult.from_dict(answer.result) if answer and answer.result else None
        items.append(ReviewItem(position, drawn, response, response_text(drawn, response), grade))
    return items


# -- the bank for trainers --------------------------------------------------------------------------
def topic_order(topic: str) -> tuple[int, str]:
    """Bank topics in the manuals' order, anything imported under another topic after them."""
    return (TOPICS.index(topic) if topic in TOPICS else len(TOPICS), topic)


@dataclass
class BankOverview:
    """Counts of the current bank by topic and type, and the questions per topic."""

    total: int
    types: list[str]
    rows: list[tuple[str, dict[str, int], int]]
    questions: dict[str, list[Question]]
    without_source: int
    not_exported_to_gift: int


def bank_overview() -> BankOverview:
    """The current bank grouped by topic and type."""
    bank, _ = current_bank()
    by_topic: dict[str, list[Question]] = {}
    for question in bank:
        by_topic.setdefault(question.topic, []).append(question)
    topics = sorted(by_topic, key=topic_order)
    rows = []
    for topic in topics:
        counts = Counter(q.type_name for q in by_topic[topic])
        rows.append((topic, {t: counts.get(t, 0) for t in TYPE_LABELS}, len(by_topic[topic])))
    return BankOverview(
        total=len(bank),
        types=list(TYPE_LABELS),
        rows=rows,
        questions={t: sorted(by_topic[t], key=lambda q: q.id) for t in topics},
        without_source=sum(1 for q in bank if q.source is None),
        not_exported_to_gift=sum(1 for q in bank if not q.exports_to_gift),
    )


def local_question_edits() -> list[LocalEdit]:
    """Shipped questions this site has replaced by its own version (an import with the same ID)."""
    return local_edits("question")


def take_shipped_question(key: str) -> ContentVersion:
    """Make the shipped version of a question current again, over this site's edit.

    Raises:
        QuizError: the question has no shipped version (404).
    """
    try:
        return take_shipped("question", key)
    except LookupError as error:
        raise QuizError("该题目没有系统题库版本。", 404) from error


def _export_order() -> list[Question]:
    bank, _ = current_bank()
    return sorted(bank, key=lambda q: (topic_order(q.topic), q.id))


def bank_xlsx() -> bytes:
    """The current bank as an XLSX workbook (the template's columns)."""
    return export_xlsx_bytes(_export_order())


def bank_gift() -> str:
    """The current bank as Moodle GIFT; a leading comment lists what GIFT cannot hold."""
    exported = export_gift(_export_order())
    head = [f"// 管家实训题库导出:{len(exported.exported)} 题。"]
    if exported.skipped:
        head.append(f"// 未导出 {len(exported.skipped)} 题(GIFT 无对应题型):")
        head += [f"//   {qid}: {reason}" for qid, reason in exported.skipped]
    return "\n".join(head) + "\n\n" + exported.text


@dataclass
class ImportOutcome:
    """What an import did: the upsert report and the number of questions read."""

    report: SyncReport
    count: int
    skipped: list[str] = field(default_factory=list)


def _store_questions(questions: Sequence[Question], origin: str) -> SyncReport:
    items = [ContentItem("question", q.id, q.stem[:200], q.to_dict(), origin) for q in questions]
    return upsert_content("question", items)


def _import_cap() -> int:
    return int(current_app.config.get("QUIZ_IMPORT_MAX_QUESTIONS", 2000))


def import_xlsx_upload(data: bytes, filename: str) -> ImportOutcome:
    """Import an XLSX bank, all or nothing: every row must be valid and cite its source.

    The sheet is read within caps (``QUIZ_IMPORT_MAX_QUESTIONS`` rows, 40 columns, 32,767 characters
    a cell) before any question is built (issue 14.7).

    Raises:
        BankImportError: the problems, with the Excel row and column; nothing is stored.
    """
    questions = import_xlsx(data, topics=TOPICS, require_source=True, limits=SheetLimits(max_rows=_import_cap()))
    return ImportOutcome(_store_questions(questions, f"导入:{filename}"[:300]), len(questions))


def decode_text(data: bytes) -> str:
    """Decode an uploaded text file: UTF-16 (with or without BOM), UTF-8 (with or without BOM), else GB18030.

    UTF-16 without a BOM is told by its NUL bytes: the ASCII of GIFT's syntax puts one beside every
    character (odd offsets little-endian, even big-endian). No other encoding we read has NULs.

    Raises:
        BankImportError: no encoding reads it, or it holds NUL characters.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates: tuple[str, ...] = ("utf-16",)
    elif b"\x00" in data:
        odd = data[1::2].count(0)
        even = data[0::2].count(0)
        candidates = ("utf-16-le",) if odd >= even else ("utf-16-be",)
    else:
        candidates = ("utf-8-sig", "gb18030")
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return text
    raise BankImportError(["文件编码无法识别(或含有空字符),请另存为 UTF-8 编码的文本文件"], "GIFT")


def preview_gift(text: str) -> GiftParseResult:
    """What a GIFT file would import and what it cannot (by line and name), without storing anything.

    Raises:
        BankImportError: the file holds no question at all, or more than ``QUIZ_IMPORT_MAX_QUESTIONS``.
    """
    result = parse_gift(text, max_questions=_import_cap())
    if not result.questions and not result.problems:
        raise BankImportError(["第 1 行:文件中没有题目"], "GIFT")
    return result


def import_gift_text(text: str, filename: str) -> ImportOutcome:
    """Import the supported questions of a GIFT file the trainer has confirmed; in one commit.

    Raises:
        BankImportError: the file holds no importable question, or too many.
    """
    result = import_gift(text, strict=False, max_questions=_import_cap())
    if not result.questions:
        raise BankImportError(result.skipped or ["文件中没有可导入的题目"], "GIFT")
    report = _store_questions(result.questions, f"导入:{filename}"[:300])
    return ImportOutcome(report, len(result.questions), [str(p) for p in result.skipped])


# A previewed GIFT file waits in the instance folder for the trainer's confirmation: the confirm form
# posts only its token, not the text again (issue 14.9). Unconfirmed files go after an hour.
GIFT_STASH_TTL_S = 3600
GIFT_STASH_EXPIRED = "预览已过期或不存在(预览保留 1 小时),请重新上传文件。"


def _stash_folder() -> Path:
    folder = Path(current_app.instance_path) / "gift-previews"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def stash_gift(text: str, filename: str, user_id: int) -> str:
    """Keep a previewed GIFT text server-side for its uploader; returns the token the confirm form posts."""
    folder = _stash_folder()
    cutoff = time.time() - GIFT_STASH_TTL_S
    for old in folder.glob("*.json"):
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink()
        except FileNotFoundError:  # another worker removed it first
            pass
    token = secrets.token_urlsafe(24)
    payload = {"user_id": user_id, "filename": filename, "text": text}
    (folder / f"{token}.json").write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    return token


def take_gift(token: str, user_id: int) -> tuple[str, str, Path]:
    """The stashed text and filename for ``token`` (and its file, to delete once imported).

    Raises:
        BankImportError: unknown, expired or another user's token.
    """
    path = _stash_folder() / f"{token}.json"
    try:
        if time.time() - path.stat().st_mtime > GIFT_STASH_TTL_S:
            raise FileNotFoundError
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError) as error:
        raise BankImportError([GIFT_STASH_EXPIRED], "GIFT") from error
    if payload.get("user_id") != user_id:
        raise BankImportError([GIFT_STASH_EXPIRED], "GIFT")
    return payload["text"], payload.get("filename") or "GIFT", path


# -- item analysis ----------------------------------------------------------------------------------
@dataclass
class AnalysisRow:
    """One question on the item-analysis page."""

    question_id: str
    question: Question | None
    stats: ItemStats
    options: list[tuple[str, str, int, float, bool]]  # letter, text, count, percent, is_key


@dataclass
class Analysis:
    """The item-analysis page: which attempts were used and the per-question rows."""

    attempt_count: int
    quiz_choices: list[tuple[str, str, int]]
    selected: str
    rows: list[AnalysisRow]
    flagged: int


def _submitted_attempts(site_id: int | None) -> list[QuizAttempt]:
    query = db.select(QuizAttempt).where(QuizAttempt.submitted_at.is_not(None)).order_by(QuizAttempt.id)
    if site_id is not None:
        query = query.join(User, QuizAttempt.user_id == User.id).where(User.site_id == site_id)
    return list(db.session.execute(query).scalars())


def attempt_data(attempt: QuizAttempt, versions: dict[str, Question] | None = None) -> AttemptData:
    """One submitted attempt as ``quizzes.analysis`` wants it (option letters mapped back to the bank's).

    Args:
        attempt: the submitted attempt.
        versions: when given, the current bank's questions by id. An answer to a choice question whose
            options were different when it was given (the question was edited since) is counted under
            ``"<id>(旧版本 <n>)"``, and that version (original option order) is added to ``versions``, so the
            option frequencies stay labelled with the options the trainee actually saw.
    """
    saved = answers_by_position(attempt)
    items: dict[str, ItemResponse] = {}
    for position, drawn in enumerate(drawn_questions(attempt)):
        answer = saved.get(position)
        fraction = answer.fraction if answer is not None and answer.fraction is not None else 0.0
        chosen = drawn.original_choice(answer.response) if answer is not None else []
        items[_version_key(drawn, versions)] = ItemResponse(fraction, tuple(chosen))
    return AttemptData(items)


def _as_given(drawn: DrawnQuestion) -> Question:
    """A drawn choice question with its options and key back in the bank's order of that version."""
    return drawn.as_given()


def _version_key(drawn: DrawnQuestion, versions: dict[str, Question] | None) -> str:
    if versions is None or not drawn.question.has_choice_options:
        return drawn.id
    given = _as_given(drawn)
    current = versions.get(drawn.id)
    if current is None or list(getattr(current, "options", [])) == list(given.options):
        return drawn.id
    for key, known in versions.items():
        if key.startswith(f"{drawn.id}(旧版本") and list(getattr(known, "options", [])) == list(given.options):
            return key
    key = f"{drawn.id}(旧版本 {sum(1 for k in versions if k.startswith(drawn.id + '(旧版本')) + 1})"
    versions[key] = given
    return key


def item_analysis(site_id: int | None, quiz_key: str = "") -> Analysis:
    """Facility, discrimination, option frequencies and flags over submitted attempts.

    Args:
        site_id: only attempts by users of this site (None: every site, for administrators).
        quiz_key: only attempts at this quiz; ``""`` picks the quiz with the most attempts, ``"*"`` all.
    """
    attempts = _submitted_attempts(site_id)
    counts = Counter(a.quiz_key for a in attempts)
    titles = {a.quiz_key: a.content.title for a in attempts}
    choices = [(key, titles[key], n) for key, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    selected = quiz_key if quiz_key == "*" or quiz_key in counts else (choices[0][0] if choices else "*")
    used = [a for a in attempts if selected == "*" or a.quiz_key == selected]
    bank, _ = current_bank()
    versions: dict[str, Question] = {q.id: q for q in bank}
    data = [attempt_data(a, versions) for a in used]
    option_letters = {
        key: LETTERS[: len(q.options)]
        for key, q in versions.items()
        if q.has_choice_options  # type: ignore[attr-defined]
    }
    stats = analyse(data, options=option_letters)
    rows = []
    for qid, item in stats.items():
        question = versions.get(qid)
        options = []
        if question is not None and question.has_choice_options:
            keys = set(question.answer_keys())
            for letter, text in question.lettered_options():  # type: ignore[attr-defined]
                options.append(
                    (
                        letter,
                        text,
                        item.option_counts.get(letter, 0),
                        item.option_percent.get(letter, 0.0),
                        letter in keys,
                    )
                )
        rows.append(AnalysisRow(qid, question, item, options))
    rows.sort(key=lambda r: (not _has_quality_flag(r.stats), r.stats.facility, r.question_id))
    return Analysis(
        attempt_count=len(used),
        quiz_choices=choices,
        selected=selected,
        rows=rows,
        flagged=sum(1 for r in rows if _has_quality_flag(r.stats)),
    )


def _has_quality_flag(stats: ItemStats) -> bool:
    return any(flag != "few_attempts" for flag in stats.flags)


def type_label(question: Question | None) -> str:
    """Chinese type name, or a dash for a question no longer in the bank."""
    return TYPE_LABELS[question.type_name] if question is not None else "—"
