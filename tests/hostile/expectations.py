"""What a harness run against each hostile mode must conclude: exit code and cause codes.

`EXPECTED[mode] = (exit_code, causes)`: the run exits with `exit_code` (0 pass, 1 fail,
2 inconclusive/error), and every cause code it names is in `causes`; when the exit
code is not 0, at least one is named. Several codes are acceptable where the catalogue allows
more than one honest name. Never acceptable: `target-unreachable` (health answers in every mode
but the health-breaking ones, and those accept connections and send bytes), `generic-503-leak`
for a non-5xx answer, or an unclassified failure (issue 16). Whatever the mode, no output file
may contain a secret in any form or a raw control character.
"""

from __future__ import annotations

EXPECTED: dict[str, tuple[int, set[str]]] = {
    # GET /api/conversations never answers: that check alone fails, within its timeout.
    "hang": (1, {"no-response"}),
    # The health answer never completes within the timeout; everything else works.
    "slowloris": (1, {"no-response", "health-down"}),
    # Status and headers come at once: an answer, not "no answer"; the body never ends.
    "endless-chunked": (1, {"oversized-body", "health-down"}),
    # Decompression is bounded too: 1 MB on the wire is still a ~1 GB answer.
    "gzip-bomb": (1, {"oversized-body", "health-down"}),
    "big-body": (1, {"oversized-body"}),
    # Parser failures are evidence: the 401 is not the documented JSON error.
    "deep-json": (1, {"contract-mismatch"}),
    "invalid-utf8": (1, {"contract-mismatch"}),
    # A redirect is a finding naming where it points; credentials never follow it.
    "redirect-other-origin": (1, {"redirect"}),
    "redirect-chain": (1, {"redirect"}),
    # Not a contract failure: nothing could be tested.
    "rate-limit-storm": (2, {"rate-limited"}),
    # Behaves per contract; the test is that nothing echoed leaks into the outputs.
    "echo": (0, set()),
    # A 401 that is not JSON, and a 500 text page where the route must answer 401.
    "terminal-injection": (1, {"contract-mismatch", "generic-503-leak"}),
    "bad-open-packet": (1, {"socketio-handshake-failed"}),
    "bad-ws-frames": (1, {"websocket-upgrade-broken"}),
    # Health passed: these are answers gone wrong, not an unreachable target.
    "reset-after-headers": (1, {"no-response", "contract-mismatch"}),
    # The POST's 401 is complete as declared (5 bytes): to the create sent with the run's valid
    # token, it is a valid token refused, which is what credentials-rejected says.
    "content-length-mismatch": (1, {"contract-mismatch", "no-response", "credentials-rejected"}),
    "switching-protocols-on-rest": (1, {"contract-mismatch"}),
    "html-error-pages": (1, {"upstream-unreachable", "generic-503-leak"}),
}
