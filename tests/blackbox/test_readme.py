# SPDX-License-Identifier: MIT
# The README's Custom Provider walkthrough is documentation that must stay
# true: this test extracts the shell block between its markers and runs it,
# as written, with bash against a fresh server.

import os
import re
import subprocess
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def walkthrough():
    text = README.read_text()
    m = re.search(r"<!-- walkthrough:begin -->\s*```sh\n(.*?)```\s*<!-- walkthrough:end -->",
                  text, re.S)
    assert m, "README.md has no walkthrough block between its markers"
    return m.group(1)


def test_readme_walkthrough_runs_as_written(gate):
    script = walkthrough()
    env = dict(os.environ, S=gate.server.url, C=gate.customer_id, ID=gate.client_id,
               SECRET=gate.client_secret, APP=gate.info["app_id"],
               PATH="/usr/bin:/bin")  # Debian's python3, as a user has it
    run = subprocess.run(["bash", "-euo", "pipefail", "-c", script], env=env,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, f"walkthrough failed:\n{run.stdout}\n{run.stderr}"
    out = run.stdout
    # the statuses the comments promise, in order
    assert re.findall(r"^(304|412|404)$", out, re.M) == ["304", "412", "404"], out
    # the callback URL the text describes
    assert re.search(rf"/{gate.customer_id}\.[0-9a-f-]{{36}}/callback$", out, re.M), out
    # the patches took effect before the delete
    assert "https://idp.example.com/authorize/login" in out
    assert '"title":"Dropbox"' in out
    for secret in (gate.client_secret,):
        gate.issued.add(secret)
