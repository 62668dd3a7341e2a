#!/usr/bin/env python3
"""Opens one page in headless Chromium, with scripts injected before the page's own, and prints
its DOM once the page settled.

Used by scripts/test-server-enterprise.sh to run the workbench page /h5/ "inside DingTalk": DingTalk's
container injects its JSAPI bridge into every page before the page's scripts run, and this does the
same with the emulation the test passes (`--inject`), through the DevTools protocol's
`Page.addScriptToEvaluateOnNewDocument`. Nothing here is served by the backend.

The page has settled when its `#status` element's `data-state` is no longer `working` (the page's
own contract, see server/backend/src/h5.html): an injected observer calls a DevTools binding at that
moment, so the wait is an event, not a sleep; `--timeout` only bounds a page that never settles.

Chromium is driven over `--remote-debugging-pipe` (fd 3: commands in, fd 4: answers out, each
message JSON ending in a NUL byte), so only the standard library is needed.

Prints the settled page's HTML on stdout; on a timeout or a browser failure prints what it has on
stderr and exits 1.
"""
import argparse
import json
import os
import select
import subprocess
import sys
import time
import urllib.request

SETTLED_BINDING = "__pageSettled"

# Calls the binding once, when #status leaves "working" (observed from document start, so a page
# that settles before its load event is seen too).
SETTLED_WATCHER = """
(function () {
  var done = false;
  function check() {
    var s = document.getElementById("status");
    if (done || !s || !s.dataset.state || s.dataset.state === "working") return;
    done = true;
    window.%s(s.dataset.state);
  }
  new MutationObserver(check).observe(document, {subtree: true, childList: true, attributes: true});
})();
""" % SETTLED_BINDING


class Browser:
    def __init__(self, user_data_dir, user_agent):
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def fds():
            os.dup2(to_browser_r, 3)
            os.dup2(from_browser_w, 4)

        args = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--remote-debugging-pipe", "--user-data-dir=" + user_data_dir]
        if user_agent:
            args.append("--user-agent=" + user_agent)
        self._log = open(os.path.join(user_data_dir, "chromium.log"), "wb")
        self.proc = subprocess.Popen(args + ["about:blank"], preexec_fn=fds, pass_fds=(3, 4),
                                     stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log)
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._next_id = 0
        self._buf = b""
        self.events = []

    def close(self):
        try:
            self.send("Browser.close", timeout=10)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)
        self._log.close()

    def _read_message(self, deadline):
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            ready, _, _ = select.select([self._from_browser], [], [], left)
            if ready:
                chunk = os.read(self._from_browser, 1 << 16)
                if not chunk:
                    raise RuntimeError("chromium closed its DevTools pipe")
                self._buf += chunk
        msg, self._buf = self._buf.split(b"\0", 1)
        return json.loads(msg)

    def send(self, method, params=None, session=None, timeout=30):
        self._next_id += 1
        msg = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to_browser, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            m = self._read_message(deadline)
            if m.get("id") == self._next_id:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            self.events.append(m)

    def wait_event(self, accept, timeout):
        deadline = time.monotonic() + timeout
        while True:
            while self.events:
                m = self.events.pop(0)
                report(m)
                if accept(m):
                    return m
            self.events.append(self._read_message(deadline))


def report(m):
    """Page console output and uncaught exceptions go to stderr: they explain a failed check."""
    if m.get("method") == "Runtime.consoleAPICalled":
        args = [a.get("value", a.get("description", "")) for a in m["params"].get("args", [])]
        print("page console:", *args, file=sys.stderr)
    elif m.get("method") == "Runtime.exceptionThrown":
        print("page exception:", json.dumps(m["params"]["exceptionDetails"])[:2000], file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("url")
    ap.add_argument("--user-data-dir", required=True)
    ap.add_argument("--user-agent")
    ap.add_argument("--inject", action="append", default=[],
                    help="URL of a script evaluated in every document before the page's own")
    ap.add_argument("--timeout", type=float, default=60)
    a = ap.parse_args()

    sources = []
    for url in a.inject:
        with urllib.request.urlopen(url) as r:
            sources.append(r.read().decode())

    os.makedirs(a.user_data_dir, exist_ok=True)
    b = Browser(a.user_data_dir, a.user_agent)
    try:
        target = b.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = b.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        b.send("Page.enable", session=session)
        b.send("Runtime.enable", session=session)
        b.send("Runtime.addBinding", {"name": SETTLED_BINDING}, session=session)
        for src in sources + [SETTLED_WATCHER]:
            b.send("Page.addScriptToEvaluateOnNewDocument", {"source": src}, session=session)
        b.send("Page.navigate", {"url": a.url}, session=session)
        settled = True
        try:
            b.wait_event(lambda m: m.get("method") == "Runtime.bindingCalled"
                         and m["params"]["name"] == SETTLED_BINDING, a.timeout)
        except TimeoutError:
            settled = False
        html = b.send("Runtime.evaluate", {"expression": "document.documentElement.outerHTML",
                                           "returnByValue": True}, session=session)
        html = html.get("result", {}).get("value", "")
        if not settled:
            print(html, file=sys.stderr)
            print("chromium_page.py: the page did not settle within %gs" % a.timeout,
                  file=sys.stderr)
            return 1
        print(html)
        return 0
    finally:
        b.close()


if __name__ == "__main__":
    sys.exit(main())
