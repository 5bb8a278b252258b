# SPDX-License-Identifier: MIT
# The command line as a new user meets it: --config given in any position
# and spelling is read, and a bad option or value (an unknown option, a value
# outside a setting's set, a --listen port outside 1-65535), from argv, the
# environment or the config file, stops every command with exit 2 and a
# message naming it, before anything starts. cfg's own cases: test_cfg.c.

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
import requests

from conftest import READY_TIMEOUT, clean_env, free_port

REFUSE_TIMEOUT = 10  # seconds: a refused start exits at once; a started server never does


def config_file(servers, text):
    path = servers.tmp / "socialgate.conf"
    path.write_text(text)
    return path


def refused(servers, *args, env=None):
    """Runs the binary expecting it to exit by itself; (exit code, stderr)."""
    try:
        p = servers.run(*args, env=env, timeout=REFUSE_TIMEOUT)
    except subprocess.TimeoutExpired as exc:  # it is serving
        pytest.fail(f"{args[0]} did not refuse to start: {exc}")
    return p.returncode, p.stderr.decode(errors="replace")


def serve_until_ready(servers, port, *args):
    """Starts `serve ARGS`, waits for /healthz on port, stops it by PID with
    SIGTERM; returns the exit code."""
    log = servers.tmp / "cli-serve.log"
    with open(log, "ab") as err:
        proc = subprocess.Popen([str(servers.binary), "serve", *map(str, args)],
                                stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                                env=clean_env())
    try:
        ready = False
        for _ in range(int(READY_TIMEOUT / 0.05)):
            if proc.poll() is not None:
                break
            try:
                ready = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5).ok
            except requests.RequestException:
                pass
            if ready:
                break
            time.sleep(0.05)
        assert ready, f"not serving on port {port}; log:\n{log.read_text(errors='replace')}"
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
        rc = proc.wait(timeout=10)
    return rc


@pytest.mark.parametrize("spelling", ["--config=FILE last", "--config FILE last",
                                      "--config=FILE first"])
def test_serve_listens_where_the_config_file_says_wherever_it_is_given(servers, spelling):
    db = servers.new_db()
    servers.init(db)
    port = free_port()
    conf = config_file(servers, f"# given {spelling}\nlisten = 127.0.0.1:{port}\n")
    opt = [f"--config={conf}"] if "=" in spelling else ["--config", conf]
    args = [*opt, "--db", db] if "first" in spelling else ["--db", db, *opt]
    assert serve_until_ready(servers, port, *args) == 0


@pytest.mark.parametrize("cmd", ["serve", "init"])
@pytest.mark.parametrize("option", ["--bogus", "--bogus=1", "-x"])
def test_unknown_option_exits_2_naming_it(servers, cmd, option):
    db = servers.new_db()
    rc, err = refused(servers, cmd, "--db", db, "--listen", f"127.0.0.1:{free_port()}", option)
    assert rc == 2, err
    assert option.split("=")[0] in err, err
    assert not db.exists()


def test_unknown_setting_in_the_config_file_exits_2_naming_it(servers):
    conf = config_file(servers, "threads = 4\nlisten-port = 9000\n")
    rc, err = refused(servers, "serve", "--db", servers.new_db(), f"--config={conf}")
    assert rc == 2, err
    assert "listen-port" in err and str(conf) in err, err


@pytest.mark.parametrize("source", ["argv", "env", "file"])
def test_bad_log_level_exits_2_naming_the_setting_and_its_values(servers, source):
    db = servers.new_db()
    servers.init(db)
    args = ["serve", "--db", db, "--listen", f"127.0.0.1:{free_port()}"]
    env = None
    if source == "argv":
        args += ["--log-level", "bogus"]
    elif source == "env":
        env = {"SOCIALGATE_LOG_LEVEL": "bogus"}
    else:
        args += ["--config", config_file(servers, "log-level = bogus\n")]
    rc, err = refused(servers, *args, env=env)
    assert rc == 2, err
    assert "log-level" in err and "bogus" in err, err
    for level in ("debug", "info", "warn", "error"):
        assert level in err, err


@pytest.mark.parametrize("cmd", ["serve", "init"])
@pytest.mark.parametrize("port", ["70000", "0", "-1", "8080x", "", "abc"])
def test_listen_port_outside_1_to_65535_exits_2(servers, cmd, port):
    db = servers.new_db()
    rc, err = refused(servers, cmd, "--db", db, "--listen", f"127.0.0.1:{port}")
    assert rc == 2, err
    assert "listen" in err and "65535" in err, err
    assert not db.exists()


@pytest.mark.parametrize("cmd", ["serve", "init"])
def test_a_postgresql_database_without_a_key_file_exits_2_naming_it(servers, cmd):
    rc, err = refused(servers, cmd, "--db", "postgresql://db.invalid/socialgate",
                      "--listen", f"127.0.0.1:{free_port()}")
    assert rc == 2, err
    assert "--key-file" in err, err


def test_help_lists_each_settings_allowed_values(servers):
    p = servers.run("--help")
    assert p.returncode == 0, p.stderr
    out = p.stdout.decode()
    assert "debug|info|warn|error" in out, out
    assert "65535" in out, out


def test_every_setting_of_help_has_a_row_in_the_readme_table(servers):
    p = servers.run("--help")
    assert p.returncode == 0, p.stderr
    names = re.findall(r"^  (--[a-z0-9-]+)$", p.stdout.decode(), re.M)
    assert len(names) > 20, names
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    rows = [line for line in readme.splitlines() if line.startswith("| `--")]
    missing = [n for n in names if not any(f"`{n}`" in row for row in rows)]
    assert not missing, missing
