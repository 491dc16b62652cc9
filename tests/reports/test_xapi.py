"""xAPI 1.0.3: statements carry the spec's required fields; the JSON export; sending to an LRS with retries."""

from __future__ import annotations

import base64
import json
import re
import threading
import uuid
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from simulator.extensions import db
from simulator.models import Job, ReportExport, Role

from .conftest import make_attempt, make_quiz

pytestmark = pytest.mark.db

T0 = datetime(2026, 3, 2, 2, 0)
FILTERS = {"from": "2026-03-01", "to": "2026-03-31"}
ADL_VERBS = {
    "http://adlnet.gov/expapi/verbs/attempted",
    "http://adlnet.gov/expapi/verbs/answered",
    "http://adlnet.gov/expapi/verbs/passed",
    "http://adlnet.gov/expapi/verbs/failed",
    "http://adlnet.gov/expapi/verbs/completed",
}
ISO_8601 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
IRI = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)
DURATION = re.compile(r"^P(?:\d+D)?(?:T(?:\d+H)?(?:\d+M)?(?:\d+(?:\.\d+)?S)?)?$")


def spec_problems(s: dict) -> list[str]:
    """The xAPI 1.0.3 requirements (Data section 2.4) a statement of ours must meet."""
    problems = []
    if set(s) - {
        "id",
        "actor",
        "verb",
        "object",
        "result",
        "context",
        "timestamp",
        "stored",
        "authority",
        "version",
        "attachments",
    }:
        problems.append("unknown property")
    for key in ("actor", "verb", "object"):
        if key not in s:
            problems.append(f"missing {key}")
    try:
        uuid.UUID(s.get("id", ""))
    except ValueError:
        problems.append("id is not a UUID")
    actor = s.get("actor", {})
    ifis = [k for k in ("mbox", "mbox_sha1sum", "openid", "account") if k in actor]
    if actor.get("objectType", "Agent") != "Agent" or len(ifis) != 1:
        problems.append("actor needs exactly one inverse functional identifier")
    account = actor.get("account", {})
    if not (IRI.match(account.get("homePage", "")) and account.get("name")):
        problems.append("account needs homePage (IRL) and name")
    verb = s.get("verb", {})
    if verb.get("id") not in ADL_VERBS or not isinstance(verb.get("display"), dict):
        problems.append("verb must be an ADL verb IRI with a language map")
    obj = s.get("object", {})
    if obj.get("objectType", "Activity") != "Activity" or not IRI.match(obj.get("id", "")):
        problems.append("object must be an Activity with an IRI id")
    if "result" in s:
        result = s["result"]
        score = result.get("score", {})
        if "scaled" in score and not -1 <= score["scaled"] <= 1:
            problems.append("scaled outside -1..1")
        if "raw" in score and not score.get("min", score["raw"]) <= score["raw"] <= score.get("max", score["raw"]):
            problems.append("raw outside min..max")
        if "success" in result and not isinstance(result["success"], bool):
            problems.append("success not a boolean")
        if "duration" in result and not DURATION.match(result["duration"]):
            problems.append("duration not ISO 8601")
    context = s.get("context", {})
    if "registration" in context:
        uuid.UUID(context["registration"])
    if not all(IRI.match(key) for key in context.get("extensions", {})):
        problems.append("extension keys must be IRIs")
    if not ISO_8601.match(s.get("timestamp", "")):
        problems.append("timestamp not ISO 8601")
    if s.get("version", "1.0.3")[:4] != "1.0.":
        problems.append("version must be 1.0.x")
    return problems


@pytest.fixture
def data(app, gen):
    with app.app_context():
        trainee = gen.user(Role.TRAINEE, username="GJ1001", display_name="李管家")
        make_attempt(trainee, started=T0, score=88, turns=[(90, ["apology"], []), (86, ["follow_up"], [])])
        make_attempt(trainee, "test-fire", started=T0, score=30, mode="assessment")
        make_attempt(trainee, started=T0, score=None)
        make_attempt(trainee, started=T0, score=75, mode="practice")
        make_quiz(trainee, started=T0, score=80.0, passed=True)


def export_json(client):
    response = client.post("/reports/exports", data={"kind": "xapi", "format": "json", **FILTERS})
    assert response.status_code == 303
    job_id = response.headers["Location"].rsplit("/", 1)[-1]
    download = client.get(f"/jobs/{job_id}/download")
    statements = json.loads(download.data.decode("utf-8"))
    download.close()
    return job_id, statements


def test_the_json_export_holds_valid_statements_of_every_result(app, client, auth, data):
    auth.login(Role.HR)
    job_id, statements = export_json(client)
    assert statements and all(spec_problems(s) == [] for s in statements), [spec_problems(s) for s in statements]
    verbs = [s["verb"]["id"].rsplit("/", 1)[-1] for s in statements]
    # 4 starts, 3 answered turns of finished ones + 1 default turn each for the other three, 3 endings, 1 quiz
    assert verbs.count("attempted") == 4 and verbs.count("passed") == 2 and verbs.count("failed") == 1
    assert verbs.count("completed") == 1 and verbs.count("answered") == 5
    passed = next(s for s in statements if s["verb"]["id"].endswith("passed") and "scenario" in s["object"]["id"])
    assert passed["actor"]["account"]["name"] == "GJ1001" and passed["actor"]["name"] == "李管家"
    assert passed["result"]["score"] == {"scaled": 0.88, "raw": 88, "min": 0, "max": 100}
    assert passed["result"]["success"] is True
    extensions = passed["context"]["extensions"]
    assert "翠湖花园管理处" in extensions.values() and "v1" in extensions.values()
    assert len({s["id"] for s in statements}) == len(statements)
    assert export_json(client)[1] == statements  # ids are stable: re-sending never duplicates
    with app.app_context():
        audit = db.session.scalars(db.select(ReportExport).filter_by(job_id=job_id)).one()
        assert (audit.kind, audit.format, audit.row_count) == ("xapi", "json", len(statements))


class Receiver(BaseHTTPRequestHandler):
    """A tiny LRS: records what it is sent; fails the first ``fail_first`` requests with 503."""

    received: list = []
    headers_seen: list = []
    fail_first = 0
    status = 200

    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).headers_seen.append({key.lower(): value for key, value in self.headers.items()})
        if type(self).fail_first > 0:
            type(self).fail_first -= 1
            self.send_response(503)
            self.end_headers()
            return
        if type(self).status != 200:
            self.send_response(type(self).status)
            self.end_headers()
            return
        statements = json.loads(body)
        type(self).received.extend(statements)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps([s["id"] for s in statements]).encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def lrs():
    Receiver.received, Receiver.headers_seen, Receiver.fail_first, Receiver.status = [], [], 0, 200
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/xapi"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def lrs_app(app, lrs):
    app.config.update(
        XAPI_LRS_URL=lrs,
        XAPI_LRS_USERNAME="lrs-key",
        XAPI_LRS_PASSWORD="lrs-secret",
        XAPI_LRS_BACKOFF_S=0.0,
        XAPI_LRS_RETRIES=3,
        XAPI_HOMEPAGE="https://guanjia.example.cn",
    )
    return app


def send(client):
    response = client.post(
        "/reports/exports", data={"kind": "xapi", "format": "lrs", **FILTERS}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    job_id = response.get_data(as_text=True).split('id="job-')[1].split('"')[0]
    return job_id


def test_statements_are_sent_to_the_lrs_with_auth_and_version_after_retries(lrs_app, client, auth, data):
    auth.login(Role.HR)
    Receiver.fail_first = 2  # the LRS is briefly unavailable
    job_id = send(client)
    with lrs_app.app_context():
        job = db.session.get(Job, job_id)
        assert job.status == "done", job.error
        assert job.result["rows"] == len(Receiver.received) > 0
    assert all(spec_problems(s) == [] for s in Receiver.received)
    assert Receiver.received[0]["actor"]["account"]["homePage"] == "https://guanjia.example.cn"
    assert len(Receiver.headers_seen) == 3  # two 503s, then accepted
    headers = Receiver.headers_seen[-1]
    assert headers["x-experience-api-version"] == "1.0.3"
    assert headers["authorization"] == "Basic " + base64.b64encode(b"lrs-key:lrs-secret").decode()


def test_an_lrs_that_stays_down_fails_the_job_in_chinese(lrs_app, client, auth, data):
    auth.login(Role.HR)
    Receiver.fail_first = 99
    job_id = send(client)
    with lrs_app.app_context():
        job = db.session.get(Job, job_id)
        assert job.status == "failed" and "已重试 3 次" in job.error
        assert db.session.scalars(db.select(ReportExport)).one().status == "failed"
    assert len(Receiver.headers_seen) == 4 and Receiver.received == []


def test_a_refusing_lrs_is_not_retried(lrs_app, client, auth, data):
    auth.login(Role.HR)
    Receiver.status = 401
    job_id = send(client)
    with lrs_app.app_context():
        assert "HTTP 401" in db.session.get(Job, job_id).error
    assert len(Receiver.headers_seen) == 1


def test_the_lrs_button_shows_only_when_configured(app, client, auth, data):
    auth.login(Role.HR)
    assert "发送到 LRS" not in client.get("/reports/").get_data(as_text=True)
    app.config["XAPI_LRS_URL"] = "http://127.0.0.1:9/xapi"
    assert "发送到 LRS" in client.get("/reports/").get_data(as_text=True)
