"""The test suite. A package, so that ``tests.conftest`` and the conftest pytest loads are one module
(one user counter), not two copies that hand out the same 工号."""
