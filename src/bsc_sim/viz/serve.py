"""``bsc-sim viz``: serve the interactive view (:mod:`bsc_sim.viz.app`) with ``solara run``.

The server is Solara's own (``solara run``), started from the same Python environment as a
child process that ends with this one (:mod:`.child`); this module never imports Solara itself.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

# Environment variable through which base config overrides reach the app process (JSON list).
OVERRIDES_ENV = "BSC_SIM_VIZ_OVERRIDES"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
APP_MODULE = "bsc_sim.viz.app"
CHILD_MODULE = "bsc_sim.viz.child"
MAX_PORT = 65535


def app_path() -> Path:
    """The Solara app file (``bsc_sim/viz/app.py``)."""
    return Path(__file__).resolve().with_name("app.py")


def solara_command(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, *, dev: bool = False,
                   parent: int | None = None) -> list[str]:
    """The command that serves the view: Solara's ``solara run bsc_sim.viz.app --host H --port N``,
    started through :mod:`bsc_sim.viz.child` so that it ends when process ``parent`` (default:
    this one) ends, however that ends.

    The app is named as a module (not a file path) so that Solara imports it as part of the
    installed package.
    """
    parent = os.getpid() if parent is None else parent
    cmd = [sys.executable, "-m", CHILD_MODULE, str(parent), "run", APP_MODULE, "--host", host, "--port", str(port),
           "--no-open"]
    if dev:
        cmd.append("--auto-restart")
    else:
        cmd.append("--production")
    return cmd


class _OneLineParser(argparse.ArgumentParser):
    """Usage mistakes in one line (``bsc-sim viz: error: ...``) and exit status 2."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see bsc-sim viz --help)\n")


def _port(text: str) -> int:
    """A TCP port: a whole number from 0 (any free port) to 65535."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port: give a whole number from 0 to {MAX_PORT}") from None
    if not 0 <= port <= MAX_PORT:
        raise argparse.ArgumentTypeError(f"{text} is not a port: give 1 to {MAX_PORT}, or 0 for any free port")
    return port


def _parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(
        prog="bsc-sim viz",
        description="Serve the interactive view of bsc_sim in the browser (Solara). One collaborative: sliders "
                    "for the levers (learning sessions, modality, team, turnover, data capacity, leadership "
                    "support, cohort size, seed), headline numbers (classrooms reached, sustained, cost so far), "
                    "the staff and families of every programme coloured by adoption, and how far practices have "
                    "spread. Two designs side by side: e.g. bsc and coach on the same cohort, played together. "
                    "Play at four speeds (two years in about 52, 21, 10 or 4 s), step, reset; moving a slider "
                    "restarts the model at week 0 with the new value.",
        epilog="Example: bsc-sim viz --port 8800 design=bsc_large_cohort   (then open http://127.0.0.1:8800)",
    )
    parser.add_argument("overrides", nargs="*", metavar="KEY=VALUE",
                        help="base config for every model of the view (Hydra syntax, as for 'bsc-sim run'); "
                             "the sliders start from its values")
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"interface to listen on (default {DEFAULT_HOST}; "
                                                             "0.0.0.0 exposes the view to the network)")
    parser.add_argument("--port", type=_port, default=DEFAULT_PORT,
                        help=f"port (default {DEFAULT_PORT}; 0 picks a free one)")
    parser.add_argument("--dev", action="store_true", help="Solara development mode: restart when the code changes")
    parser.add_argument("--no-fetch-assets", dest="fetch_assets", action="store_false",
                        help="do not fetch Solara's front-end files with npm when they are missing from its cache "
                             "(then the browser needs a route to cdn.jsdelivr.net)")
    return parser


def port_problem(host: str, port: int) -> str | None:
    """Why the server could not listen on ``host:port`` (None if it can), checked the way uvicorn binds.

    Port 0 (any free port) is always fine. A busy port is reported with the next free one to suggest.
    """
    if port == 0:
        return None
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as exc:
        return f"cannot listen on {host}: {exc.strerror}; choose another --host"
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                return f"cannot listen on {host}:{port}: {exc.strerror}"
        else:
            return None
    spare = next((p for p in range(port + 1, min(port + 50, 65536)) if port_problem(host, p) is None), None)
    hint = f", e.g. bsc-sim viz --port {spare}" if spare else ""
    return f"port {port} on {host} is already in use (another bsc-sim viz?); choose another with --port N{hint}"


def exposure_warning(host: str) -> str | None:
    """What listening on ``host`` means when it is not this machine only (None for loopback)."""
    import ipaddress

    try:
        if ipaddress.ip_address(host).is_loopback:
            return None
    except ValueError:
        if host == "localhost":
            return None
    return (f"--host {host} opens the view to the network: anyone who can reach this machine on that port can "
            "use it (each browser tab has its own model and levers; nothing is saved or read from disk); "
            "use it on a trusted network, e.g. for a workshop room, and stop it with Ctrl-C afterwards")


def prepare_assets() -> None:
    """Fill Solara's CDN cache from the npm registry when files are missing (warn, never fail)."""
    from .assets import AssetsError, cdn_cache_dir, ensure_frontend_assets

    try:
        fetched = ensure_frontend_assets()
    except AssetsError as exc:
        print(f"bsc-sim: warning: {exc}; the page will load only if this machine reaches cdn.jsdelivr.net",
              file=sys.stderr)
        return
    if fetched:
        print(f"fetched Solara front-end files into {cdn_cache_dir()}: {', '.join(fetched)}", flush=True)


def cmd_viz(argv: list[str]) -> int:
    """Serve the view until interrupted (Ctrl-C); returns the server's exit status."""
    args = _parser().parse_args(argv)
    if args.overrides:
        from ..config import load_params
        from ..paramtools import ParamError

        try:
            load_params(args.overrides)  # fail here, with a one-line message, not inside the server
        except ParamError as exc:
            print(f"bsc-sim: error: {exc}", file=sys.stderr)
            return 2
    problem = port_problem(args.host, args.port)
    if problem:
        print(f"bsc-sim viz: error: {problem}", file=sys.stderr)
        return 2
    if args.fetch_assets:
        prepare_assets()
    env = {**os.environ, OVERRIDES_ENV: json.dumps(args.overrides)}
    cmd = solara_command(args.host, args.port, dev=args.dev)
    warning = exposure_warning(args.host)
    if warning:
        print(f"bsc-sim viz: warning: {warning}", file=sys.stderr, flush=True)
    shown = "localhost" if args.host in ("127.0.0.1", "0.0.0.0") else args.host
    print(f"bsc_sim view: http://{shown}:{args.port}  (Ctrl-C to stop)", flush=True)
    proc = subprocess.Popen(cmd, env=env)
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, lambda signum, frame: proc.terminate())
    try:
        return proc.wait()
    except KeyboardInterrupt:  # the terminal sent SIGINT to the server too; give it time to stop
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        return 0
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=10)
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
