"""Entry point for `python -m harness`.

May import: cli.
"""

from harness.cli import main

raise SystemExit(main())
