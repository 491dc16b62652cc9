"""Command line: ``python -m quizzes lint|export|import|template|draw``.

Examples::

    python -m quizzes lint                        # quizzes/bank/ and quizzes/definitions/
    python -m quizzes lint path/to/file.yaml
    python -m quizzes export --xlsx out.xlsx       # and/or --gift out.gift
    python -m quizzes template 题库模板.xlsx
    python -m quizzes import file.xlsx --check     # validate only (all-or-nothing)
    python -m quizzes import file.gift --out DIR   # write bank YAML files into DIR
    python -m quizzes draw basic-cert --seed 42
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import yaml

from .bank import BANK_DIR, SCHEMA_VERSION, lint_bank, load_bank
from .definitions import DEFINITIONS_DIR, draw, load_definitions
from .gift import export_gift, import_gift
from .types import Question, ValidationError
from .xlsx import BankImportError, export_xlsx, import_xlsx, template


def _cmd_lint(args: argparse.Namespace) -> int:
    path = Path(args.path) if args.path else BANK_DIR
    problems = lint_bank(path)
    errors = [p for p in problems if p.severity == "error"]
    for problem in problems:
        print(problem)
    definitions_checked = 0
    if not errors and (args.definitions or not args.path):
        folder = Path(args.definitions) if args.definitions else DEFINITIONS_DIR
        try:
            bank = load_bank(path)
            definitions = load_definitions(folder)
        except ValidationError as error:
            print(f"[错误] {error}")
            return 1
        for quiz in definitions.values():
            for message in quiz.check_against(bank):
                print(f"[错误] {message}")
                errors.append(message)  # type: ignore[arg-type]
        definitions_checked = len(definitions)
    if errors:
        warnings = sum(1 for p in problems if p.severity == "warning")
        print(f"检查未通过:{len(errors)} 个错误,{warnings} 个警告。")
        return 1
    bank = load_bank(path)
    by_type = Counter(q.type_label for q in bank)
    summary = "、".join(f"{label} {count}" for label, count in by_type.most_common())
    print(f"检查通过:{len(bank)} 道题,{len(bank.topics())} 个主题({summary})。")
    print(f"测验定义 {definitions_checked} 个均可从题库抽题。")
    return 0


def _load_for_export(args: argparse.Namespace) -> list[Question]:
    return list(load_bank(Path(args.bank) if args.bank else None))


def _cmd_export(args: argparse.Namespace) -> int:
    if not args.xlsx and not args.gift:
        print("请指定 --xlsx 文件 和/或 --gift 文件", file=sys.stderr)
        return 2
    questions = _load_for_export(args)
    if args.xlsx:
        export_xlsx(questions, args.xlsx)
        print(f"已导出 {len(questions)} 道题到 {args.xlsx}")
    if args.gift:
        result = export_gift(questions)
        Path(args.gift).write_text(result.text, encoding="utf-8")
        print(f"已导出 {len(result.exported)} 道题到 {args.gift}")
        if result.skipped:
            reasons = Counter(reason for _, reason in result.skipped)
            for reason, count in reasons.items():
                print(f"  未导出 {count} 道:{reason}")
    return 0


def _read_import(args: argparse.Namespace) -> tuple[list[Question], list[str]]:
    path = Path(args.file)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return import_xlsx(path), []
    text = path.read_text(encoding="utf-8-sig")
    result = import_gift(text, strict=not args.partial)
    notes = [f"已按 --partial 跳过:{problem}" for problem in result.skipped]
    return result.questions, notes


def _cmd_import(args: argparse.Namespace) -> int:
    try:
        questions, notes = _read_import(args)
    except BankImportError as error:
        print(error)
        return 1
    existing = load_bank(Path(args.bank) if args.bank else None)
    clashes = [q.id for q in questions if q.id in existing]
    if clashes:
        print(f"导入失败:{len(clashes)} 个题目 id 已在题库中:{', '.join(clashes)}")
        return 1
    for note in notes:
        print(note)
    by_type = Counter(q.type_label for q in questions)
    summary = "、".join(f"{label} {count}" for label, count in by_type.most_common())
    if args.check or not args.out:
        print(
            f"校验通过:{len(questions)} 道题可以导入({summary})。"
            + ("" if args.check else "未指定 --out,未写入。")
        )
        return 0
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    by_topic: dict[str, list[Question]] = {}
    for question in questions:
        by_topic.setdefault(question.topic, []).append(question)
    targets = [out / f"{Path(args.file).stem}-{index + 1}.yaml" for index in range(len(by_topic))]
    existing_files = [str(t) for t in targets if t.exists()]
    if existing_files:
        print(f"导入失败:文件已存在,不覆盖:{', '.join(existing_files)}")
        return 1
    for target, (topic, items) in zip(targets, by_topic.items(), strict=True):
        document = {
            "schema_version": SCHEMA_VERSION,
            "topic": topic,
            "questions": [{k: v for k, v in q.to_dict().items() if k != "topic"} for q in items],
        }
        target.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
        print(f"已写入 {target}({len(items)} 道,主题 {topic})")
    return 0


def _cmd_template(args: argparse.Namespace) -> int:
    template().save(args.out)
    print(f"已生成模板 {args.out}")
    return 0


def _cmd_draw(args: argparse.Namespace) -> int:
    definitions = load_definitions()
    if args.quiz not in definitions:
        print(f"未知测验 {args.quiz!r},可用: {', '.join(definitions)}", file=sys.stderr)
        return 2
    quiz = definitions[args.quiz]
    for index, item in enumerate(draw(quiz, load_bank(), args.seed), start=1):
        question = item.question
        print(f"{index}. [{question.type_label}] {question.id} {question.stem}")
        for position, option in enumerate(getattr(question, "options", []) or item.shown_items()):
            print(f"     {chr(65 + position)}. {option}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used by tests)."""
    parser = argparse.ArgumentParser(prog="python -m quizzes", description="题库检查、导入导出与抽题")
    sub = parser.add_subparsers(dest="command", required=True)

    lint = sub.add_parser("lint", help="检查题库:id 唯一、答案有效、出处存在、主题已知")
    lint.add_argument("path", nargs="?", help="题库目录或单个 YAML 文件(默认 quizzes/bank/)")
    lint.add_argument("--definitions", help="同时检查此目录下的测验定义能否从题库抽题")
    lint.set_defaults(func=_cmd_lint)

    export = sub.add_parser("export", help="导出题库为 XLSX / Moodle GIFT")
    export.add_argument("--xlsx", help="XLSX 输出文件")
    export.add_argument("--gift", help="GIFT 输出文件")
    export.add_argument("--bank", help="题库目录(默认 quizzes/bank/)")
    export.set_defaults(func=_cmd_export)

    importer = sub.add_parser("import", help="导入 XLSX 或 GIFT 文件(整体校验,全部通过才导入)")
    importer.add_argument("file", help=".xlsx 或 .gift/.txt 文件")
    importer.add_argument("--check", action="store_true", help="只校验,不写文件")
    importer.add_argument("--out", help="把导入的题目写成题库 YAML 放到此目录")
    importer.add_argument("--bank", help="检查 id 冲突所用的题库目录(默认 quizzes/bank/)")
    importer.add_argument("--partial", action="store_true", help="GIFT:只导入支持的题型,列出跳过的题")
    importer.set_defaults(func=_cmd_import)

    tmpl = sub.add_parser("template", help="生成带中文表头和示例行的 XLSX 模板")
    tmpl.add_argument("out", help="输出文件")
    tmpl.set_defaults(func=_cmd_template)

    drawer = sub.add_parser("draw", help="按测验定义和种子抽题(查看效果)")
    drawer.add_argument("quiz", help="测验 id")
    drawer.add_argument("--seed", type=int, default=1)
    drawer.set_defaults(func=_cmd_draw)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ValidationError as error:
        print(f"[错误] {error}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
