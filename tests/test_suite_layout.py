"""The suite itself: helpers imported as ``tests.conftest`` must be the conftest pytest loaded."""

import sys
from pathlib import Path

ROOT_CONFTEST = (Path(__file__).parent / "conftest.py").resolve()


def test_the_root_conftest_is_one_module_so_generated_user_numbers_never_repeat():
    import tests.conftest  # noqa: F401  (what the test modules import)

    copies = [name for name, module in list(sys.modules.items())
              if getattr(module, "__file__", None) and Path(module.__file__).resolve() == ROOT_CONFTEST]
    assert copies == ["tests.conftest"]
