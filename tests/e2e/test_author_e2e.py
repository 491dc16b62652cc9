"""Browser test of scenario authoring: copy, a mistake shown beside its field, 试评分, 试玩, publish,
then a trainee plays it, and an earlier attempt keeps the version it played."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

import scenarios
from simulator.content import ContentItem, upsert_content
from simulator.extensions import db
from simulator.models import Attempt, Origin
from tests.e2e.conftest import ConsoleWatcher, login, screenshot

BASE = scenarios.load_scenario(Path(__file__).resolve().parents[1] / "author" / "fixtures" / "e2e-author-base.yaml")
COPY_ID = f"{BASE.id}-copy"


@pytest.fixture
def base_scenario(live_app):
    """A small shipped scenario to copy (the test does not depend on the library's content)."""
    with live_app.app_context():
        upsert_content("scenario", [ContentItem("scenario", BASE.id, BASE.title, BASE.to_dict(),
                                                "tests/author/fixtures", BASE.version)], origin=Origin.SHIPPED)
    return BASE


@pytest.fixture
def trainee_page(browser, live_server):
    context = browser.new_context(base_url=live_server, locale="zh-CN", viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.console = ConsoleWatcher(page)
    page.set_default_timeout(15_000)
    yield page
    errors = page.console.errors
    context.close()
    assert errors == [], f"browser console errors: {errors}"


def node_card(page, node_id: str):
    return page.locator(f'fieldset.author-node[data-node="{node_id}"]')


def save(page) -> None:
    before = page.locator("#workspace").get_attribute("data-revision")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator(f'#workspace:not([data-revision="{before}"])')).to_have_count(1, timeout=30_000)
    assert page.evaluate("window.__samePage === true"), "saving reloaded the page instead of swapping it"


def send(page, text: str) -> None:
    before = page.locator("#play-panel").get_attribute("data-turn")
    box = page.locator("#reply-box")
    box.fill(text)
    box.press("Enter")
    changed = page.locator(f'#play-panel:not([data-turn="{before}"]), #play-panel[data-ended="true"]')
    expect(changed).to_have_count(1, timeout=30_000)


def play_to_the_end(page, scenario: scenarios.Scenario) -> None:
    for _ in range(scenario.max_turns):
        if page.locator("#play-panel").get_attribute("data-ended") == "true":
            return
        node = page.locator("#play-panel").get_attribute("data-node")
        send(page, scenario.nodes[node].references[0])


def test_trainer_authors_previews_and_publishes_a_scenario_a_trainee_plays(page, trainee_page, live_app,
                                                                           base_scenario):
    login(page, "demo-trainer")
    page.get_by_role("link", name="内容编写").click()
    page.get_by_label("复制已有情景").select_option(BASE.id)
    page.get_by_role("button", name="复制为新情景").click()
    page.wait_for_url(re.compile(r".*/author/drafts/\d+$"))
    draft_url = page.url
    page.evaluate("window.__samePage = true")
    expect(page.locator("#draft-graph svg")).to_have_count(1)

    # make it a three-node scenario: drop side_question; closing's default branch still points at it
    page.get_by_label("情景标题").fill("卫生间漏水(三节点版)")
    node_card(page, "side_question").get_by_label("保存时删除此节点").check()
    save(page)
    mistake = node_card(page, "closing").locator('.field-error[data-path="nodes.closing.branches[1].to"]')
    expect(mistake).to_contain_text("没有这个节点或结局")
    expect(page.locator("#draft-problems")).to_contain_text("不能发布")
    expect(page.locator("#draft-title")).to_have_text("卫生间漏水(三节点版)")  # the header follows the save
    expect(page.locator("#draft-graph")).to_contain_text("去向不存在")
    screenshot(page, "author-mistake-beside-field")

    node_card(page, "closing").locator('select[name$=".to"]').nth(1).select_option("closing")
    save(page)
    expect(page.locator("#draft-problems")).to_contain_text("检查通过")
    expect(page.locator(".field-error")).to_have_count(0)
    expect(node_card(page, "side_question")).to_have_count(0)
    expect(page.locator("#draft-graph svg")).to_have_count(1)  # redrawn after the swap

    # 试评分
    page.locator("#try-node").select_option("opening")
    page.locator("#try-reply").fill(BASE.nodes["opening"].references[0])
    page.locator("#try-out").get_by_role("button", name="评分").click()
    expect(page.locator("#try-result [data-try-score]")).to_be_visible(timeout=30_000)
    band = page.locator("#try-result [data-try-band]").inner_text()
    assert band in ("优秀", "良好")
    page.locator("#try-result").get_by_role("button", name="保存为回归样例").click()
    expect(page.locator('#samples [data-sample-ok="true"]')).to_have_count(1)

    # 试玩: the trainee's own play page, marked as a preview
    page.get_by_role("button", name="试玩(练习模式)").click()
    page.wait_for_url(re.compile(r".*/play/attempts/\d+$"))
    preview_id = int(page.url.rstrip("/").split("/")[-1])
    expect(page.locator("[data-preview]")).to_contain_text("不计入成绩")
    play_to_the_end(page, BASE)
    expect(page.locator(".ending-resolved")).to_be_visible()
    with live_app.app_context():
        assert db.session.get(Attempt, preview_id).preview is True

    # publish, after the diff
    page.goto(draft_url)
    page.get_by_role("link", name="发布", exact=True).click()
    expect(page.locator("pre.author-diff")).to_contain_text("(尚未发布)")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=re.compile("^发布")).click()
    expect(page.locator(".flash-info")).to_contain_text("已发布「卫生间漏水(三节点版)」")

    # the trainee finds it and starts playing (version 1)
    login(trainee_page, "demo-trainee")
    trainee_page.goto("/play/")
    card = trainee_page.locator(f'[data-scenario="{COPY_ID}"]')
    expect(card).to_contain_text("卫生间漏水(三节点版)")
    card.get_by_role("button", name="开始练习").click()
    trainee_page.wait_for_url(re.compile(r".*/play/attempts/\d+$"))
    first_attempt = trainee_page.url
    send(trainee_page, BASE.nodes["opening"].references[0])
    with live_app.app_context():
        played = db.session.get(Attempt, int(first_attempt.rstrip("/").split("/")[-1]))
        first_version, assert_preview = played.scenario_version, played.preview
    assert assert_preview is False

    # the trainer publishes version 2 through the YAML tab
    page.goto(draft_url + "/yaml")
    text = page.locator("#yaml-text").input_value()
    page.locator("#yaml-text").fill(text.replace("title: 卫生间漏水(三节点版)", "title: 卫生间漏水(第二版)", 1))
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator(".flash-info")).to_contain_text("已保存")
    page.get_by_role("link", name="发布", exact=True).click()
    expect(page.locator("pre.author-diff .diff-add")).to_contain_text(["+title: 卫生间漏水(第二版)"])
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=re.compile("^发布")).click()
    expect(page.locator(".flash-info")).to_contain_text("已发布「卫生间漏水(第二版)」")

    # the earlier attempt still shows the version it played; the catalogue shows the new one
    trainee_page.goto(first_attempt)
    expect(trainee_page.locator("h1")).to_have_text("卫生间漏水(三节点版)")
    trainee_page.goto("/play/")
    expect(trainee_page.locator(f'[data-scenario="{COPY_ID}"]')).to_contain_text("卫生间漏水(第二版)")
    with live_app.app_context():
        assert db.session.get(Attempt, int(first_attempt.rstrip("/").split("/")[-1])).scenario_version == (
            first_version
        )
    screenshot(trainee_page, "author-published-in-catalogue")


QUESTION_ID = "e2e-authored-tf"
QUIZ_ID = "e2e-authored-quiz"
QUIZ_TOPIC = "客户信息与保密"


def test_trainer_adds_a_question_to_a_new_quiz_a_trainee_takes_it(page, trainee_page, live_app):
    from simulator.models import ContentVersion, QuizAttempt
    from simulator.quiz import service as quiz_service

    login(page, "demo-trainer")
    page.get_by_role("link", name="内容编写").click()
    page.get_by_role("navigation", name="编写").get_by_role("link", name="题目").click()
    page.get_by_role("link", name="新建判断题").click()
    page.get_by_label("题目 id").fill(QUESTION_ID)
    page.get_by_label("主题").select_option(QUIZ_TOPIC)
    page.get_by_label("题干").fill("业主的联系电话可以告诉来访的装修公司,方便他们联系。")
    page.get_by_label("正确答案").select_option("false")
    page.get_by_label("解析(交卷后显示)").fill("客户信息必须保密,未经业主同意不得向他人透露。")
    page.get_by_label("手册文件").select_option("000_af49cf313c5ded47.txt")
    page.get_by_role("button", name="保存", exact=True).click()
    # the mistake (no section cited) is shown beside the field, and nothing is saved
    expect(page.locator('.field-error[data-path="source.section"], .field-error[data-path="source"]')).to_have_count(1)
    with live_app.app_context():
        assert db.session.execute(db.select(ContentVersion).filter_by(kind="question", key=QUESTION_ID)).first() is None
    page.get_by_label("章节(照手册原文)").fill("客户信息管理")
    page.get_by_role("button", name="检查并预览").click()
    expect(page.locator("#question-preview")).to_contain_text("业主的联系电话可以告诉来访的装修公司")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator(".flash-info")).to_contain_text(f"已保存题目 {QUESTION_ID}")

    # a quiz that draws every true/false question of the topic (so the new one is certainly drawn)
    with live_app.app_context():
        bank, _ = quiz_service.current_bank()
        pool = [q for q in bank if q.topic == QUIZ_TOPIC and q.type_name == "truefalse"]
    page.goto("/author/quizzes/new")
    page.get_by_label("测验 id").fill(QUIZ_ID)
    page.get_by_label("测验名称").fill("客户信息保密小测(本站)")
    page.get_by_label("题数").fill(str(len(pool)))
    page.locator('select[name$=".topic"]').select_option(QUIZ_TOPIC)
    page.locator('fieldset#rule-0').get_by_label("判断").check()
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".flash-info")).to_contain_text(f"已保存测验 {QUIZ_ID}")

    login(trainee_page, "demo-trainee")
    trainee_page.goto("/quiz/")
    card = trainee_page.locator(".quiz-card", has_text="客户信息保密小测(本站)")
    card.get_by_role("button", name="开始练习").click()
    trainee_page.wait_for_url(re.compile(r"/quiz/attempt/\d+"))
    attempt_id = int(re.search(r"/quiz/attempt/(\d+)", trainee_page.url).group(1))
    with live_app.app_context():
        drawn = quiz_service.drawn_questions(db.session.get(QuizAttempt, attempt_id))
    position = next(i for i, d in enumerate(drawn, start=1) if d.id == QUESTION_ID)
    trainee_page.locator(".quiz-jump a", has_text=re.compile(rf"^{position}$")).click()
    trainee_page.get_by_text(f"第 {position} / {len(drawn)} 题").wait_for()
    expect(trainee_page.locator("#quiz-stem")).to_contain_text("业主的联系电话可以告诉来访的装修公司")
    trainee_page.locator('#quiz-panel form.quiz-form input[name="answer"][value="false"]').check()
    trainee_page.locator(f'.quiz-jump a.answered:text-is("{position}")').wait_for()
    trainee_page.on("dialog", lambda dialog: dialog.accept())
    trainee_page.get_by_role("button", name="交卷").click()
    trainee_page.wait_for_url(f"**/quiz/attempt/{attempt_id}/result")
    result_url = trainee_page.url
    expect(trainee_page.locator("main")).to_contain_text("业主的联系电话可以告诉来访的装修公司")

    # the trainer rewrites the stem: a new version; the trainee's earlier result keeps the old one
    page.goto(f"/author/questions/{QUESTION_ID}")
    page.get_by_label("题干").fill("未经业主同意,可以把业主电话告诉装修公司吗?")
    page.get_by_role("button", name="保存为新版本").click()
    expect(page.locator(".flash-info")).to_contain_text("新版本")
    trainee_page.goto(result_url)
    expect(trainee_page.locator("main")).to_contain_text("业主的联系电话可以告诉来访的装修公司")
    expect(trainee_page.locator("main")).not_to_contain_text("未经业主同意,可以把业主电话告诉装修公司吗?")
    screenshot(page, "author-question-edited")
