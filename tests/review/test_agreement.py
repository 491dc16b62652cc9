"""Agreement statistics against worked examples computed by hand (not re-implemented here)."""

from __future__ import annotations

import io
import warnings

import pytest
from openpyxl import load_workbook

from simulator.extensions import db
from simulator.models import Attempt
from simulator.review import agreement
from simulator.review.corrections import Verdict, review_turn
from simulator.review.export import workbook_bytes
from tests.conftest import gen_user
from tests.review.conftest import breakdown, play

# Bands as ranks 0 不合格 .. 3 优秀. Five turns; the raters differ on one (trainer 优秀, scorer 良好).
TRAINER = [0, 1, 2, 3, 3]
SCORER = [0, 1, 2, 2, 3]


def test_band_statistics_match_the_worked_example():
    stats = agreement.band_stats(TRAINER, SCORER)
    assert stats.n == 5
    assert stats.exact == pytest.approx(4 / 5)
    # Quadratic weights w_ij = (i-j)^2 / 9. Observed: one turn in cell (3,2): sum w*O = 1/9 = 5/45.
    # Marginals: trainer (1,1,1,2), scorer (1,1,2,1); sum_ij r_i c_j (i-j)^2 = 18 + 7 + 6 + 30 = 61,
    # so sum w*E = 61 / (9 * 5) = 61/45 and kappa = 1 - 5/61 = 56/61.
    assert stats.kappa == pytest.approx(56 / 61, abs=1e-4)
    # Ranks: trainer (1, 2, 3, 4.5, 4.5), scorer (1, 2, 3.5, 3.5, 5); deviations from 3 give
    # covariance 8.75 and variances 9.5 and 9.5, so rho = 8.75 / 9.5 = 35/38.
    assert stats.spearman == pytest.approx(35 / 38, abs=1e-4)
    assert stats.confusion == [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 1, 1]]


def test_binary_kappa_matches_the_worked_example():
    # Agreement 4/5 = .8; chance .6 x .4 + .4 x .6 = .48; kappa = (.8 - .48) / (1 - .48) = 8/13.
    stats = agreement.binary_stats([True, True, False, False, True], [True, False, False, False, True])
    assert stats.exact == pytest.approx(0.8)
    assert stats.kappa == pytest.approx(8 / 13, abs=1e-4)


def test_undefined_statistics_are_none_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        same = agreement.band_stats([2, 2, 2], [2, 2, 2])
        single = agreement.band_stats([1], [3])
        empty = agreement.band_stats([], [])
    assert same.exact == 1.0 and same.spearman is None
    assert single.spearman is None and single.exact == 0.0
    assert empty.n == 0 and empty.kappa is None


@pytest.mark.db
def test_report_per_trainer_and_double_marking_from_reviews(loaded, library):
    with loaded.app_context():
        trainee = gen_user("trainee")
        first, second = gen_user("trainer"), gen_user("trainer")
        played = play(library, trainee, [breakdown(60, ["apologize"], grade=1.4), breakdown(80, ["solve"], grade=2.2)])
        attempt = db.session.get(Attempt, played.attempt_id)
        one, two = attempt.turns
        review_turn(first, attempt, one, Verdict(changed=True, band="良好", reason="=HYPERLINK(\"http://x\")"))
        review_turn(first, attempt, two, Verdict(changed=False))
        review_turn(second, attempt, one, Verdict(changed=True, band="良好", reason="同意"), blind=True)
        review_turn(second, attempt, two, Verdict(changed=True, band="合格", reason="偏高"), blind=True)
        report = agreement.build_report(agreement.marks(trainee.site_id))
        assert report.overall.n == 4
        # trainer vs scorer: first (良好 vs 合格, 良好 vs 良好), second (良好 vs 合格, 合格 vs 良好)
        assert report.overall.exact == pytest.approx(1 / 4)
        by_trainer = {g.label: g.stats for g in report.by_trainer}
        assert by_trainer[first.display_name].exact == pytest.approx(1 / 2)
        assert by_trainer[second.display_name].exact == 0.0
        assert report.double.turns == 2
        assert report.double.trainers.exact == pytest.approx(1 / 2)
        assert {g.key for g in report.by_scenario} == {"leak-repeated"}
        assert report.by_version[0].key == "test-v1"
        # another site sees none of it
        outsider = gen_user("trainer", site_name="别的项目")
        assert agreement.marks(outsider.site_id) == []

        book = load_workbook(io.BytesIO(workbook_bytes(report, "测试")))
        assert {"总体", "混淆矩阵", "按情景", "按要点", "按培训师", "按周", "双评", "明细"} <= set(book.sheetnames)
        assert book["总体"]["C2"].value == pytest.approx(0.25)
        names = [row[1].value for row in book["明细"].iter_rows(min_row=2)]
        assert first.display_name in names
        reasons = [row[7] for row in book["明细"].iter_rows(min_row=2) if str(row[7].value).startswith("=")]
        assert [c.value for c in reasons] == ['=HYPERLINK("http://x")']  # kept as typed, as text:
        assert reasons[0].data_type == "s" and reasons[0].quotePrefix
