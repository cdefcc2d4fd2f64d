"""The distribution adds no top-level package but `harness` (PyPI has a `fixtures` of its own):
the repository's fixtures/ and suites/ ship inside it, and an installed (non-editable) copy
runs the embedded stack with the same check ids, through pytest too."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "setup.py", "README.md", "harness", "fixtures", "suites")
IGNORED = shutil.ignore_patterns("__pycache__", "node_modules", "*.egg-info", "build")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel `pip wheel` builds from a copy of the repository (the tree stays clean)."""
    where = tmp_path_factory.mktemp("wheel")
    source = where / "src"
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=IGNORED)
        else:
            source.mkdir(exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                           str(where / "dist"), str(source)], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    return next((where / "dist").glob("smoke_harness-*.whl"))


def test_the_wheel_holds_only_harness(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert {name.split("/")[0] for name in names} == {
        "harness", wheel.name.split("-py3")[0] + ".dist-info"}
    assert "harness/_bundled/suites/rest/test_auth.py" in names
    assert "harness/_bundled/fixtures/contract.default.yaml" in names
    assert "harness/_bundled/fixtures/contract.schema.json" in names
    assert "harness/_bundled/fixtures/containers/compose.reference.yaml" in names
    top_level = next(n for n in names if n.endswith(".dist-info/top_level.txt"))
    assert zipfile.ZipFile(wheel).read(top_level).decode().split() == ["harness"]


def test_an_installed_copy_runs_with_the_same_check_ids(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=120)
    python = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install",
                    "--no-deps", "--no-index", "-q", str(wheel)], check=True, timeout=120)
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig."
                                "get_paths()['purelib'])"], capture_output=True, text=True,
                               check=True).stdout.strip())
    # the dependencies from this environment's site-packages (its .pth files, this checkout's
    # editable finder among them, are not read from there)
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SMOKE_", "REFERENCE_", "PYTHON"))}
    where = subprocess.run([str(python), "-c", "import harness, importlib.util as u; "
                            "print(harness.__file__, u.find_spec('fixtures'), "
                            "u.find_spec('suites'))"], capture_output=True, text=True,
                           cwd=work, env=env, check=True).stdout.split()
    assert where[0].startswith(str(site)) and where[1:] == ["None", "None"]
    done = subprocess.run([str(python), "-m", "harness", "--report-json", "r.json",
                           "--junitxml", "j.xml", "--no-history"], capture_output=True,
                          text=True, cwd=work, env=env, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((work / "r.json").read_text())
    ids = {check["id"] for check in report["checks"]}
    assert report["verdict"] == "pass" and len(ids) > 30
    assert "suites/rest/test_auth.py::test_rejects[GET /api/conversations-no-token]" in ids
    cases = ElementTree.parse(work / "j.xml").getroot().iter("testcase")
    shown = {f"{c.get('classname', '').replace('.', '/')}.py::{c.get('name')}" for c in cases
             if c.get("classname", "").startswith("suites.")}
    assert shown == ids
