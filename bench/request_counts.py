"""What a URL run costs in requests, with no credentials, a login, and a peer and an outsider.

Starts one embedded reference stack and runs the main job against its URL with each set of
identities, printing each verdict line. Run from the repository root:

    python bench/request_counts.py
"""

from __future__ import annotations

import os
import subprocess
import sys

from harness.stacks.reference import ReferenceStack


def main() -> None:
    with ReferenceStack() as stack:
        users = stack.settings
        login = {"SMOKE_USERNAME": users.username, "SMOKE_PASSWORD": users.password}
        runs = {
            "no credentials": {},
            "a login": login,
            "a login, a peer and an outsider": {
                **login, "SMOKE_PEER_USERNAME": users.peer_username,
                "SMOKE_PEER_PASSWORD": users.peer_password,
                "SMOKE_OUTSIDER_USERNAME": users.outsider_username,
                "SMOKE_OUTSIDER_PASSWORD": users.outsider_password},
        }
        base = {k: v for k, v in os.environ.items() if not k.startswith("SMOKE_")}
        for name, env in runs.items():
            done = subprocess.run([sys.executable, "-m", "harness", stack.url, "--origin",
                                   "http://localhost:3000", "--no-history"],
                                  env={**base, **env}, capture_output=True, text=True,
                                  timeout=120)
            print(f"{name}: exit {done.returncode}: {done.stdout.strip().splitlines()[-1]}")


if __name__ == "__main__":
    main()
