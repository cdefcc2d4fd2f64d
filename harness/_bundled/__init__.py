"""Where the files the harness ships beside its code are: the default contract, its JSON
Schema, the container definitions and example contracts (`fixtures/`), and the contract suites
(`suites/rest`, `suites/socket`, `suites/health`).

In the repository they are its top-level folders. An installed copy keeps them inside this
package (`harness/_bundled/fixtures`, `harness/_bundled/suites`: setup.py maps the folders
there), so installing the harness adds no top-level package but `harness`. They are found by
path, never imported by a top-level name; pytest is pointed at the suites' folder with the
folder above it as its rootdir, so check ids stay `suites/rest/test_auth.py::...` either way.

May import: nothing else of the harness.
"""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent


def _folder(name: str) -> Path:
    """An installed copy's folder inside this package, else the repository's."""
    inside = _HERE / name
    return inside if inside.is_dir() else _HERE.parents[1] / name


FIXTURES_DIR = _folder("fixtures")
SUITES_DIR = _folder("suites")
DEFAULT_CONTRACT = FIXTURES_DIR / "contract.default.yaml"
SCHEMA_FILE = FIXTURES_DIR / "contract.schema.json"
