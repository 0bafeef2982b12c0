"""The package's layout promises (DESIGN.md), checked from the source."""

import os

import pytest

from support import load_script

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))


structure = load_script("structure")


@pytest.fixture(scope="module")
def package():
    return structure.read(ROOT)


def test_the_product_modules_import_each_other_without_cycles(package):
    assert package.cycles() == []


def test_every_function_level_import_says_why_it_is_deferred(package):
    assert package.undeclared == []


def test_no_product_file_is_longer_than_the_design_promises(package):
    assert package.long_files() == []


def test_the_checker_finds_cycles_hidden_in_functions(tmp_path):
    pkg = tmp_path / "backend"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from . import b\n")
    (pkg / "b.py").write_text(
        "def f():\n    from . import a\n\n\n"
        "def g():\n    # deferred: numpy is heavy\n    import numpy\n"
    )
    (pkg / "c.py").write_text("\n" * (structure.MAX_LINES + 1))
    found = structure.read(str(tmp_path))
    assert found.cycles() == [["backend.a", "backend.b"]]
    assert found.undeclared == [("backend.b", 2, ["backend.a"])]
    assert found.deferred == [("backend.b", 7, "numpy is heavy")]
    assert found.long_files() == [("backend.c", structure.MAX_LINES + 1)]
