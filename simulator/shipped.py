"""The content the repository ships, read through the domain packages' own loaders."""

from __future__ import annotations

from collections.abc import Iterator

from .content import ContentItem


def shipped_content() -> Iterator[tuple[str, list[ContentItem]]]:
    """Yield (kind, items) for scenarios, questions, quizzes and certification programmes.

    Raises:
        scenarios.ValidationError / quizzes.ValidationError / ProgrammeError: the shipped content is
            invalid (a programme also when it names a scenario or quiz that is not shipped); nothing
            of that kind is loaded.
    """
    import quizzes.bank
    import quizzes.definitions
    import scenarios

    from .certification.service import shipped_programme_items

    library = scenarios.load_library()
    yield (
        "scenario",
        [
            ContentItem("scenario", s.id, s.title, s.to_dict(), f"scenarios/library/{s.id}.yaml", s.version)
            for s in library.values()
        ],
    )
    bank = quizzes.bank.load_bank()
    yield "question", [ContentItem("question", q.id, q.stem[:200], q.to_dict(), bank.files.get(q.id, "")) for q in bank]
    definitions = quizzes.definitions.load_definitions()
    yield (
        "quiz",
        [
            ContentItem("quiz", d.id, d.title, d.to_dict(), f"quizzes/definitions/{d.id}.yaml")
            for d in definitions.values()
        ],
    )
    yield "programme", shipped_programme_items()
