"""Headless Chromium driven over the DevTools protocol, for the live dashboard test.

The test waits for the page's own state (frames rendered) with a deadline, instead of Chromium's
``--virtual-time-budget``: with that flag one start in about fifteen hung here and never dumped the page,
with or without the flags below. Over the protocol every wait is bounded, and a failure says what the page
showed. It speaks the protocol through ``websockets`` (already a dependency), the few commands it needs."""

from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2
from websockets.sync.client import ClientConnection, connect

CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)

# Chromium's own traffic (update checks, field trials, sync, sign-in) goes nowhere on a closed network.
QUIET = ("--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-quic", "--disable-extensions", "--no-default-browser-check")  # fmt: skip


class Page:
    """One tab: a command waits for its own reply, skipping the events the protocol interleaves."""

    def __init__(self, socket: ClientConnection) -> None:
        self._socket = socket
        self._ids = itertools.count(1)

    def call(self, method: str, timeout: float = 30.0, **params: Any) -> dict[str, Any]:
        ident = next(self._ids)
        self._socket.send(json.dumps({"id": ident, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            message = json.loads(self._socket.recv(timeout=max(0.01, deadline - time.monotonic())))
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float, describe: str) -> None:
        """Poll a JS expression until it is truthy; on timeout fail with what ``describe`` evaluates to."""
        deadline = time.monotonic() + timeout
        while not self.evaluate(expression):
            if time.monotonic() > deadline:
                shown = self.evaluate(describe)
                raise TimeoutError(f"{expression!r} still false after {timeout} s; the page: {shown}")
            time.sleep(0.1)

    def open(self, url: str, timeout: float = 30.0) -> None:
        self.call("Page.navigate", url=url)
        self.wait_for("document.readyState === 'complete'", timeout, "document.readyState")

    def dom(self) -> str:
        return self.evaluate("document.documentElement.outerHTML")

    def screenshot(self, path: Path) -> None:
        path.write_bytes(base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"]))


@contextmanager
def chromium_page(profile: Path, width: int = 1400, height: int = 1000) -> Iterator[Page]:
    """A headless Chromium with a new profile in ``profile``, and its first tab; the browser is stopped by
    its PID on the way out."""
    assert CHROMIUM is not None
    command = [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", *QUIET,
               f"--user-data-dir={profile}", f"--window-size={width},{height}", "--remote-debugging-port=0",
               "--remote-debugging-address=127.0.0.1", "about:blank"]  # fmt: skip
    log = (profile.parent / f"{profile.name}.log").open("wb")
    # its own process group: Chromium's helpers (zygote, crash handler) are stopped with it
    browser = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        port_file = profile / "DevToolsActivePort"  # Chromium writes its chosen port here
        deadline = time.monotonic() + 60
        while not (port_file.exists() and port_file.read_text().count("\n") >= 1):
            if browser.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Chromium did not open its DevTools port; see {log.name}")
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        tabs = httpx2.get(f"http://127.0.0.1:{port}/json/list", timeout=10).json()
        url = next(tab["webSocketDebuggerUrl"] for tab in tabs if tab["type"] == "page")
        with connect(url, max_size=64 * 2**20, open_timeout=10) as socket:  # a screenshot is one message
            yield Page(socket)
    finally:
        _stop(browser)
        log.close()


def _stop(browser: subprocess.Popen[bytes]) -> None:
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        try:
            os.killpg(browser.pid, sig)
        except ProcessLookupError:
            return
        try:
            browser.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        deadline = time.monotonic() + wait  # the group's helpers outlive the main process briefly
        while time.monotonic() < deadline:
            try:
                os.killpg(browser.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)
