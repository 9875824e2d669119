#!/usr/bin/env python3
"""Drive Tape's chart page in headless Chromium over the DevTools protocol, as a user would.

    python3 Tests/Scripts/chart_check.py BASE_URL KEY SYMBOL SCREENSHOT.png

Steps: open BASE_URL/?symbol=SYMBOL; wait for candles to be drawn; post two ticks through
POST /ticks and wait for the last candle to move to the second price; add an alert through
the page's form; post a tick that crosses it and wait for the alert marker; save a
screenshot. Prints one JSON line of what it saw; exit 0 on success, 1 on failure.
Needs `chromium` (apt) and `websockets` (pip).
"""
import base64, json, os, shutil, socket, subprocess, sys, tempfile, time, urllib.request

from websockets.sync.client import connect


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Page:
    def __init__(self, ws):
        self.ws, self.next_id = ws, 0

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv(timeout=30))
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def eval(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait(self, expression, what, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.eval(expression):
                return
            time.sleep(0.1)
        raise RuntimeError(f"timed out waiting for {what} ({expression}); page state: {self.eval(STATE)}")


STATE = "JSON.stringify({candles: tape.candles.length, last: tape.candles[tape.candles.length-1] || null, " \
        "markers: tape.markers, ticks: tape.ticks, status: document.getElementById('status').textContent, " \
        "form: document.getElementById('formstatus').textContent})"


def post_tick(base, key, token, price):
    body = json.dumps([{"token": token, "price": price, "volume": 1}]).encode()
    request = urllib.request.Request(base + "/ticks", data=body, method="POST",
                                     headers={"X-API-Key": key, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        answer = json.loads(response.read())
        if answer.get("accepted") != 1:
            raise RuntimeError(f"tick not accepted: {answer}")


def main(base, key, symbol, screenshot):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        raise RuntimeError("chromium is not installed (apt-get install chromium)")
    port, profile = free_port(), tempfile.mkdtemp(prefix="tape-chromium-")
    browser = subprocess.Popen([chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                f"--remote-debugging-port={port}", f"--user-data-dir={profile}",
                                "--window-size=1280,800", "about:blank"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline, targets = time.time() + 30, []
        while time.time() < deadline and not targets:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=2) as response:
                    targets = [t for t in json.loads(response.read()) if t.get("type") == "page"]
            except OSError:
                time.sleep(0.2)
        if not targets:
            raise RuntimeError("chromium did not open its DevTools port")
        with connect(targets[0]["webSocketDebuggerUrl"], max_size=None) as ws:
            page = Page(ws)
            page.call("Page.enable")
            page.call("Page.navigate", url=f"{base}/?symbol={symbol}")
            page.wait("window.tape && tape.candles.length > 0 && document.getElementById('status').textContent === 'live'",
                      "candles drawn and the stream live")
            token = page.eval("tape.instrument.instrument_token")
            drawn = page.eval("Number(document.getElementById('chart').dataset.candles)")
            last = page.eval("tape.candles[tape.candles.length - 1].close")
            first_price, second_price = round(last + 1.00, 2), round(last + 1.50, 2)
            post_tick(base, key, token, first_price)
            page.wait(f"tape.candles[tape.candles.length - 1].close === {first_price}", "the first tick's candle")
            candles_after_first = page.eval("tape.candles.length")
            post_tick(base, key, token, second_price)
            page.wait(f"tape.candles[tape.candles.length - 1].close === {second_price}", "the last candle to move")
            moved = page.eval("tape.candles.length") == candles_after_first

            level = round(second_price + 0.50, 2)
            page.eval(f"document.getElementById('condition').value = 'price_above';"
                      f"document.getElementById('level').value = '{level}';"
                      f"document.querySelector('#alertform button').click(); true")
            page.wait("document.getElementById('formstatus').textContent.includes('created')", "the alert to be created")
            # The rule's event is in the log before this tick, and the engine evaluates in log order.
            post_tick(base, key, token, round(level + 0.25, 2))
            page.wait("tape.markers.some(m => m.label === 'A')", "the alert marker")
            shot = page.call("Page.captureScreenshot", format="png")
            with open(screenshot, "wb") as f:
                f.write(base64.b64decode(shot["data"]))
            print(json.dumps({"candles_drawn": drawn, "last_candle_moved": moved, "alert_markers":
                              page.eval("tape.markers.filter(m => m.label === 'A').length"), "screenshot": screenshot}))
            return 0 if drawn > 0 and moved else 1
    finally:
        browser.terminate()
        try:
            browser.wait(timeout=10)
        except subprocess.TimeoutExpired:
            browser.kill()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    try:
        sys.exit(main(*sys.argv[1:]))
    except Exception as error:  # one line saying what failed, for the test's message
        print(f"chart_check: {error}", file=sys.stderr)
        sys.exit(1)
