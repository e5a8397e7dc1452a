"""Headless Chromium (Debian's ``chromium``) driven over the DevTools protocol, for replay tests.

A small CDP client over one websocket (``websocket-client``): open a page, record every
network response (URL, status, resource type) and failure, wait until the network is idle,
take a full-page PNG screenshot, evaluate JavaScript. The browser is started with its own
profile directory, bound to 127.0.0.1, with every host name except 127.0.0.1 unresolvable
(tests never reach the internet), and stopped by PID.

``tools/ensure-chromium.sh`` installs the browser (``make test`` runs it).
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websocket

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
WIDTH, HEIGHT = 1280, 1600


def chromium_binary() -> str | None:
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class NetEntry:
    url: str
    status: int | None
    type: str
    failed: str | None = None


@dataclass
class PageLoad:
    url: str
    entries: list[NetEntry] = field(default_factory=list)
    screenshot: bytes = b""

    def loaded(self, *types: str) -> list[NetEntry]:
        return [e for e in self.entries if e.type in types]


class Browser:
    """One Chromium process and one page target; ``with Browser.start(tmp) as b: b.load(url)``."""

    def __init__(self, proc: subprocess.Popen[bytes], port: int) -> None:
        self.proc = proc
        self.port = port
        self.ws: websocket.WebSocket | None = None
        self._id = 0
        self.events: list[dict[str, Any]] = []

    @classmethod
    @contextlib.contextmanager
    def start(cls, profile: Path) -> Iterator[Browser]:
        binary = chromium_binary()
        if binary is None:
            raise RuntimeError("chromium not found; run tools/ensure-chromium.sh")
        port = free_port()
        args = [
            binary,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--mute-audio",
            "--force-device-scale-factor=1",
            "--font-render-hinting=none",
            f"--window-size={WIDTH},{HEIGHT}",
            "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
            "--remote-debugging-address=127.0.0.1",
            f"--remote-debugging-port={port}",
            f"--user-data-dir={profile}",
            "about:blank",
        ]
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        browser = cls(proc, port)
        try:
            browser._connect()
            yield browser
        finally:
            if browser.ws is not None:
                with contextlib.suppress(Exception):
                    browser.ws.close()
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)

    def _connect(self) -> None:
        deadline = time.monotonic() + 30
        targets: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"chromium exited with {self.proc.returncode}")
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{self.port}/json/list", timeout=2
                ) as r:
                    targets = [t for t in json.load(r) if t.get("type") == "page"]
                if targets:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        if not targets:
            raise RuntimeError("chromium's DevTools endpoint did not come up")
        self.ws = websocket.create_connection(
            targets[0]["webSocketDebuggerUrl"], timeout=60, suppress_origin=True
        )
        self.call("Page.enable")
        self.call("Network.enable")
        self.call("Network.setCacheDisabled", {"cacheDisabled": True})
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False},
        )

    # -- protocol ---------------------------------------------------------------------

    def _send(self, method: str, params: dict[str, Any] | None = None) -> int:
        assert self.ws is not None
        self._id += 1
        self.ws.send(json.dumps({"id": self._id, "method": method, "params": params or {}}))
        return self._id

    def _recv(self, timeout: float) -> dict[str, Any] | None:
        assert self.ws is not None
        self.ws.settimeout(max(0.05, timeout))
        try:
            return dict(json.loads(self.ws.recv()))
        except websocket.WebSocketTimeoutException:
            return None

    def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send a command and return its result (events meanwhile go to :attr:`events`)."""
        ident = self._send(method, params)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            message = self._recv(deadline - time.monotonic())
            if message is None:
                continue
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return dict(message.get("result") or {})
            self.events.append(message)
        raise TimeoutError(method)

    # -- high level --------------------------------------------------------------------

    def load(self, url: str, *, idle: float = 1.5, limit: float = 60.0) -> PageLoad:
        """Navigate, wait for the load event and ``idle`` seconds without network activity,
        and return the responses seen and a full-page screenshot."""
        self.events = []
        self.call("Page.navigate", {"url": url})
        pending: set[str] = set()
        loaded = False
        last = time.monotonic()
        deadline = time.monotonic() + limit
        seen = 0
        while time.monotonic() < deadline:
            while seen < len(self.events):
                self._track(self.events[seen], pending)
                if self.events[seen].get("method") == "Page.loadEventFired":
                    loaded = True
                seen += 1
                last = time.monotonic()
            if loaded and not pending and time.monotonic() - last >= idle:
                break
            message = self._recv(0.2)
            if message is not None:
                self.events.append(message)
        page = PageLoad(url, self._entries())
        page.screenshot = self.screenshot()
        return page

    @staticmethod
    def _track(event: dict[str, Any], pending: set[str]) -> None:
        method, params = event.get("method"), event.get("params") or {}
        if method == "Network.requestWillBeSent":
            pending.add(params["requestId"])
        elif method in ("Network.loadingFinished", "Network.loadingFailed"):
            pending.discard(params["requestId"])

    def _entries(self) -> list[NetEntry]:
        by_id: dict[str, NetEntry] = {}
        for event in self.events:
            method, params = event.get("method"), event.get("params") or {}
            if method == "Network.responseReceived":
                response = params["response"]
                by_id[params["requestId"]] = NetEntry(
                    response["url"], int(response["status"]), params.get("type", "")
                )
            elif method == "Network.loadingFailed":
                entry = by_id.get(params["requestId"])
                if entry is None:
                    url = next(
                        (
                            e["params"]["request"]["url"]
                            for e in self.events
                            if e.get("method") == "Network.requestWillBeSent"
                            and e["params"]["requestId"] == params["requestId"]
                        ),
                        "?",
                    )
                    entry = NetEntry(url, None, params.get("type", ""))
                    by_id[params["requestId"]] = entry
                entry.failed = params.get("errorText") or "failed"
        return list(by_id.values())

    def evaluate(self, expression: str) -> Any:
        result = self.call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        return result.get("result", {}).get("value")

    def screenshot(self) -> bytes:
        result = self.call(
            "Page.captureScreenshot",
            {
                "format": "png",
                "clip": {"x": 0, "y": 0, "width": WIDTH, "height": HEIGHT, "scale": 1},
                "captureBeyondViewport": True,
            },
        )
        return base64.b64decode(result["data"])


def image_difference(a: bytes, b: bytes) -> float:
    """Share of pixels (0..1) that differ by more than a small tolerance between two PNGs."""
    from PIL import Image, ImageChops

    first = Image.open(io.BytesIO(a)).convert("RGB")
    second = Image.open(io.BytesIO(b)).convert("RGB")
    if first.size != second.size:
        return 1.0
    diff = ImageChops.difference(first, second).convert("L").point(lambda v: 255 if v > 24 else 0)
    histogram = diff.histogram()
    changed = histogram[255]
    return changed / (first.size[0] * first.size[1])
