"""The agreement report as an XLSX workbook (openpyxl); every text cell stays text, never a formula."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from ..templating import to_local
from .agreement import RANKED_BANDS, Report, Stats, band_name

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _sheet(workbook: Workbook, title: str, header: Sequence[str], rows: Iterable[Sequence]) -> None:
    sheet = workbook.create_sheet(title)
    sheet.append(list(header))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(["—" if value is None else value for value in row])
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str):
                # Text such as "=HYPERLINK(...)" (a name, a scenario title) must stay text: a string
                # cell, marked quote-prefixed so Excel keeps it text even when the cell is edited.
                cell.data_type = "s"
                if cell.value.startswith(FORMULA_START):
                    cell.quotePrefix = True
            cell.alignment = Alignment(vertical="top", wrap_text=isinstance(cell.value, str))
    for column, _ in enumerate(header, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=column).column_letter].width = 16


def _stats_row(label: str, stats: Stats) -> list:
    return [label, stats.n, stats.exact, stats.kappa, stats.spearman]


STATS_HEADER = ["分组", "复核轮数", "档位完全一致率", "加权 Kappa(二次)", "Spearman"]


def workbook_bytes(report: Report, title: str) -> bytes:
    """The report as an .xlsx file's bytes."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    _sheet(workbook, "总体", ["项目", "复核轮数", "档位完全一致率", "加权 Kappa(二次)", "Spearman"],
           [_stats_row(title, report.overall)])
    _sheet(workbook, "混淆矩阵", ["培训师 \\ 评分器", *RANKED_BANDS],
           [[band, *row] for band, row in zip(RANKED_BANDS, report.overall.confusion, strict=True)])
    for name, groups in (("按情景", report.by_scenario), ("按培训师", report.by_trainer), ("按周", report.by_week),
                         ("按模型版本", report.by_version)):
        _sheet(workbook, name, STATS_HEADER, [_stats_row(g.label, g.stats) for g in groups])
    _sheet(workbook, "按要点", ["要点", "复核轮数", "判定一致率", "Kappa"],
           [[g.label, g.stats.n, g.stats.exact, g.stats.kappa] for g in report.by_item])
    double = report.double
    _sheet(workbook, "双评", ["对比", "双评轮数", "档位完全一致率", "加权 Kappa(二次)", "Spearman"], [
        _stats_row("培训师甲 vs 培训师乙", double.trainers),
        _stats_row("培训师甲 vs 评分器", double.first_vs_scorer),
        _stats_row("培训师乙 vs 评分器", double.second_vs_scorer),
    ])
    detail = ["复核时间", "培训师", "情景", "盲评", "培训师档位", "评分器档位", "评分模型版本", "理由"]
    _sheet(workbook, "明细", detail, [
        [to_local(m.at).strftime("%Y-%m-%d %H:%M"), m.reviewer, m.scenario, "是" if m.blind else "否",
         band_name(m.trainer_band), band_name(m.scorer_band), m.scorer_version, m.reason]
        for m in report.marks
    ])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

