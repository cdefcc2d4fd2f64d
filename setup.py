"""The packages of the distribution: `harness`, with the repository's `fixtures/` and
`suites/` shipped inside it as `harness._bundled.fixtures` and `harness._bundled.suites`, so an
installed copy adds no top-level package but `harness` (the repository keeps its layout and the
check ids their `suites/...` paths). Everything else is in pyproject.toml."""

from setuptools import find_packages, setup

BUNDLED = ("fixtures", "suites")

bundled = {f"harness._bundled.{package}": package.replace(".", "/")
           for package in find_packages(include=[f"{name}*" for name in BUNDLED])}

setup(packages=[*find_packages(include=["harness", "harness.*"]), *bundled],
      package_dir=bundled)
