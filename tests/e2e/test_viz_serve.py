"""``bsc-sim viz`` as a process: bad ports are one line and exit 2; its server dies with it.

Killed outright (``kill -9``), the command cannot stop its Solara server itself; the server
(:mod:`bsc_sim.viz.child`) must notice and end, freeing the port. The tests wait with generous
bounds (a busy machine is slow) and then check; they assert no speed.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bsc_sim.viz import cmd_viz

WAIT = 120.0  # seconds: an upper bound for a busy 2-core machine, not a speed check


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not yet reaped, counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        text = (task / "children").read_text() if (task / "children").exists() else ""
        found += [int(x) for x in text.split()]
    return found


def _wait_until(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {WAIT:.0f} s")
        time.sleep(0.2)


@pytest.mark.parametrize(("port", "fragment"), [("70000", "70000 is not a port"), ("-1", "-1 is not a port"),
                                                 ("http", "'http' is not a port"), ("65536", "65536 is not a port")])
def test_a_bad_port_is_one_line_naming_it_and_exit_2(capsys, port, fragment):
    with pytest.raises(SystemExit) as exc:
        cmd_viz(["--port", port, "--no-fetch-assets"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and fragment in err[0] and "--port" in err[0] and "--host" not in err[0]


def test_the_watcher_ends_a_child_whose_parent_is_killed(tmp_path):
    """:func:`bsc_sim.viz.child.watch_parent` in a child of a parent that is then killed with SIGKILL."""
    pid_file = tmp_path / "child.pid"
    child = ("import os, sys, time; from bsc_sim.viz.child import watch_parent; watch_parent(int(sys.argv[1])); "
             "open(sys.argv[2], 'w').write(str(os.getpid())); time.sleep(600)")
    parent = ("import os, subprocess, sys, time; "
              f"subprocess.Popen([sys.executable, '-c', {child!r}, str(os.getpid()), sys.argv[1]]); time.sleep(600)")
    proc = subprocess.Popen([sys.executable, "-c", parent, str(pid_file)], start_new_session=True)
    try:
        _wait_until(lambda: pid_file.exists() and pid_file.read_text().strip(), "the child did not start")
        pid = int(pid_file.read_text())
        assert _alive(pid)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        _wait_until(lambda: not _alive(pid), "the child outlived its parent")
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_kill_9_of_the_command_stops_its_server_and_frees_the_port(tmp_path):
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    log = tmp_path / "viz.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "bsc_sim.viz", "--port", str(port), "--no-fetch-assets"],
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    try:
        def answers() -> bool:
            if proc.poll() is not None:
                pytest.fail(f"bsc-sim viz exited with {proc.returncode}:\n{log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    return response.status == 200
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                return False

        _wait_until(answers, "the server did not answer")
        servers = _children(proc.pid)
        assert len(servers) == 1 and _alive(servers[0])
        os.kill(proc.pid, signal.SIGKILL)   # the command cannot clean up after this
        proc.wait()
        _wait_until(lambda: not _alive(servers[0]), "the orphaned server kept running")

        def port_free() -> bool:
            with socket.socket() as s:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    return False
                return True

        _wait_until(port_free, "the port stayed taken")
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)   # the whole group, should anything be left
        except ProcessLookupError:
            pass


def test_a_host_open_to_the_network_is_said_in_one_warning():
    from bsc_sim.viz.serve import exposure_warning

    assert exposure_warning("127.0.0.1") is None and exposure_warning("localhost") is None
    assert exposure_warning("::1") is None
    for host in ("0.0.0.0", "192.168.1.20"):
        text = exposure_warning(host)
        assert text and f"--host {host}" in text and "\n" not in text
