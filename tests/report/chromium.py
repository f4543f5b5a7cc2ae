"""Open a page in headless Chromium over the DevTools pipe and record what it did.

Chromium is the Debian package `chromium`; no driver library is needed: with
``--remote-debugging-pipe`` the browser reads DevTools commands (JSON, NUL-terminated) from
file descriptor 3 and writes replies and events to descriptor 4.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
    "--no-default-browser-check",
    "--remote-debugging-pipe",
)
SAFETY_TIMEOUT = 60.0  # seconds: only so a wedged browser cannot hang the test run


def find_chromium() -> str | None:
    for name in (os.environ.get("PROPMAIL_CHROMIUM", ""), "chromium", "chromium-browser"):
        if name and (path := shutil.which(name)):
            return path
    return None


@dataclass
class PageVisit:
    text: str  # document.body.innerText
    summary: str  # innerText of the element with id "summary" ("" if none)
    requests: list[str] = field(default_factory=list)  # every URL the page asked for
    errors: list[str] = field(default_factory=list)  # console errors, exceptions, error logs


class _Pipe:
    def __init__(self, write_fd: int, read_fd: int) -> None:
        self.write_fd, self.read_fd = write_fd, read_fd
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict[str, Any]] = []
        self.deadline = time.monotonic() + SAFETY_TIMEOUT

    def _receive(self) -> dict[str, Any]:
        while b"\0" not in self.buffer:
            remaining = self.deadline - time.monotonic()
            ready, _, _ = select.select([self.read_fd], [], [], max(0.0, remaining))
            if not ready:
                raise TimeoutError("Chromium did not answer")
            chunk = os.read(self.read_fd, 1 << 16)
            if not chunk:
                raise EOFError("Chromium closed the DevTools pipe")
            self.buffer += chunk
        message, _, self.buffer = self.buffer.partition(b"\0")
        decoded: dict[str, Any] = json.loads(message)
        return decoded

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self.write_fd, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._receive()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result
            self.events.append(reply)

    def wait_for(self, method: str) -> None:
        while not any(e.get("method") == method for e in self.events):
            self.events.append(self._receive())


def visit(page: Path, profile: Path, binary: str, screenshot: Path | None = None) -> PageVisit:
    """Load `page` from the file system and report its text, requests and errors (and, given
    `screenshot`, write a PNG of the whole page there, to look at)."""
    # numbered above 4, so wiring one end to 3 or 4 in the child cannot clobber the other
    to_browser_r, to_browser_w, from_browser_r, from_browser_w = (
        _high(fd) for fd in (*os.pipe(), *os.pipe())
    )

    def wire() -> None:  # in the child: DevTools reads fd 3, writes fd 4
        os.dup2(to_browser_r, 3)
        os.dup2(from_browser_w, 4)

    process = subprocess.Popen(
        [binary, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
        pass_fds=(3, 4),
        preexec_fn=wire,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(to_browser_r)
    os.close(from_browser_w)
    pipe = _Pipe(to_browser_w, from_browser_r)
    try:
        target = pipe.call("Target.createTarget", url="about:blank")["targetId"]
        session = pipe.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Network", "Runtime", "Log", "Page"):
            pipe.call(f"{domain}.enable", session)
        url = page.resolve().as_uri()
        pipe.call("Page.navigate", session, url=url)
        pipe.wait_for("Page.loadEventFired")
        text = _evaluate(pipe, session, "document.body.innerText")
        summary = _evaluate(
            pipe, session, "(document.getElementById('summary') || {innerText: ''}).innerText"
        )
        if screenshot is not None:
            shot = pipe.call(
                "Page.captureScreenshot", session, format="png", captureBeyondViewport=True
            )
            screenshot.write_bytes(base64.b64decode(shot["data"]))
        pipe.call("Browser.close")
    finally:
        os.close(to_browser_w)
        os.close(from_browser_r)
        try:
            process.wait(timeout=SAFETY_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return PageVisit(
        text=text,
        summary=summary,
        requests=[
            e["params"]["request"]["url"]
            for e in pipe.events
            if e.get("method") == "Network.requestWillBeSent"
            and e["params"]["request"]["url"] != url
        ],
        errors=_errors(pipe.events),
    )


def _high(fd: int) -> int:
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return moved


def _evaluate(pipe: _Pipe, session: str, expression: str) -> str:
    result = pipe.call("Runtime.evaluate", session, expression=expression, returnByValue=True)
    return str(result["result"].get("value", ""))


def _errors(events: list[dict[str, Any]]) -> list[str]:
    found = []
    for e in events:
        method, params = e.get("method"), e.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            found.append(" ".join(str(a.get("value", "")) for a in params.get("args", [])))
        elif method == "Runtime.exceptionThrown":
            found.append(params["exceptionDetails"].get("text", "exception"))
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            found.append(params["entry"].get("text", ""))
    return found
