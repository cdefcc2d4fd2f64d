"""Entry point for `python -m harness`.

pydantic looks for plugins among every installed distribution's entry points the first time
a model is built (a scan of site-packages, on every start); the harness uses none.

May import: cli.
"""

import os

os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

from harness.cli import main  # noqa: E402 - after the setting it must see

raise SystemExit(main())
