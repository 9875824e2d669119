#!/usr/bin/env python3
"""Drive a KiteTicker server with the unmodified official `kiteconnect` client.

Connects with `KiteTicker(api_key, access_token, root=URL)`, subscribes to the tokens given, then
streams each mode in turn (ltp, then quote, then full by default), switching once enough ticks of
the current mode have arrived. Every tick the client decodes is printed to stdout as one JSON line,
keys sorted, datetimes in ISO 8601 as the client makes them (naive, in this machine's local time);
diagnostics go to stderr.

Install the client once:   pip install kiteconnect   (add --break-system-packages on Debian's Python)

Invoke:
    python3 Tests/Scripts/kite_client.py ws://127.0.0.1:8080/ws/kite 408065 884737
    python3 Tests/Scripts/kite_client.py URL TOKEN [TOKEN ...] [--api-key KEY] [--access-token TOKEN]
        [--ticks-per-mode N] [--modes ltp,quote,full] [--timeout SECONDS] [--verbose]

Exit status: 0 once N ticks of every mode arrived; 1 if the connection failed or closed first, the
server sent an error text frame ({"type":"error","data":...}), or the timeout passed; 2 on bad arguments.
"""
import argparse
import datetime
import json
import logging
import sys
import threading

from kiteconnect import KiteTicker
from twisted.internet import reactor

MODES = (KiteTicker.MODE_LTP, KiteTicker.MODE_QUOTE, KiteTicker.MODE_FULL)


def parse_arguments(argv):
    parser = argparse.ArgumentParser(description="Stream ticks from a KiteTicker server with the official client.")
    parser.add_argument("url", help="WebSocket root, e.g. ws://127.0.0.1:8080/ws/kite")
    parser.add_argument("tokens", nargs="+", type=int, help="instrument tokens to subscribe to")
    parser.add_argument("--api-key", default="tape", help="sent as ?api_key= (default: tape)")
    parser.add_argument("--access-token", default="tape", help="sent as &access_token= (default: tape)")
    parser.add_argument("--ticks-per-mode", type=int, default=1, metavar="N",
                        help="ticks of each mode to receive before switching to the next (default: 1)")
    parser.add_argument("--modes", default=",".join(MODES),
                        help="modes to stream in order, comma-separated (default: ltp,quote,full)")
    parser.add_argument("--timeout", type=float, default=15.0, metavar="SECONDS",
                        help="give up after this long, including connecting (default: 15)")
    parser.add_argument("--verbose", action="store_true", help="log the client's debug output to stderr")
    arguments = parser.parse_args(argv)
    arguments.modes = arguments.modes.split(",")
    unknown = [mode for mode in arguments.modes if mode not in MODES]
    if unknown:
        parser.error("unknown mode(s) {}: use {}".format(", ".join(unknown), ", ".join(MODES)))
    if arguments.ticks_per_mode < 1 or arguments.timeout <= 0:
        parser.error("--ticks-per-mode and --timeout must be positive")
    return arguments


class Session:
    """Follows one connection through the modes; its callbacks run on the Twisted reactor thread."""

    def __init__(self, arguments):
        self.arguments = arguments
        self.mode_index = 0
        self.count_in_mode = 0
        self.total = 0
        self.done = threading.Event()
        self.status = None
        self.reason = None
        # reconnect_max_tries=0: a failed or lost connection ends the run instead of retrying for minutes.
        self.ticker = KiteTicker(arguments.api_key, arguments.access_token, root=arguments.url,
                                 debug=arguments.verbose, reconnect_max_tries=0,
                                 connect_timeout=max(1, int(arguments.timeout)))
        self.ticker.on_connect = self.on_connect
        self.ticker.on_ticks = self.on_ticks
        self.ticker.on_error = self.on_error
        self.ticker.on_close = self.on_close
        self.ticker.on_noreconnect = self.on_noreconnect

    @property
    def mode(self):
        return self.arguments.modes[self.mode_index]

    def finish(self, status, reason):
        if self.status is None:
            self.status, self.reason = status, reason
            self.done.set()

    def on_connect(self, ticker, response):
        ticker.subscribe(self.arguments.tokens)
        ticker.set_mode(self.mode, self.arguments.tokens)

    def on_ticks(self, ticker, ticks):
        for tick in ticks:
            print(json.dumps(tick, default=to_json, sort_keys=True), flush=True)
            self.total += 1
            # Ticks of the previous mode may still be in flight after a switch; only the current mode counts.
            if self.status is not None or tick.get("mode") != self.mode:
                continue
            self.count_in_mode += 1
            if self.count_in_mode < self.arguments.ticks_per_mode:
                continue
            if self.mode_index + 1 == len(self.arguments.modes):
                self.finish(0, "received {} ticks".format(self.total))
                continue
            self.mode_index += 1
            self.count_in_mode = 0
            ticker.set_mode(self.mode, self.arguments.tokens)

    def on_error(self, ticker, code, reason):
        # Code 0 is a server error text frame; others are WebSocket failures.
        self.finish(1, "error {}: {}".format(code, reason))

    def on_close(self, ticker, code, reason):
        self.finish(1, "connection closed: {} {}".format(code, reason))

    def on_noreconnect(self, ticker):
        self.finish(1, "could not connect to {}".format(self.arguments.url))

    def run(self):
        self.ticker.connect(threaded=True)
        if not self.done.wait(self.arguments.timeout):
            self.finish(1, "timed out after {}s in {} mode with {} ticks".format(
                self.arguments.timeout, self.mode, self.total))
        reactor.callFromThread(self.shut_down)
        self.ticker.websocket_thread.join(timeout=2)
        return self.status

    def shut_down(self):
        self.ticker.stop_retry()
        if self.ticker.ws is not None:
            self.ticker.ws.sendClose()
        # Give the close frame a moment to leave before the reactor stops.
        reactor.callLater(0.2, reactor.stop)


def to_json(value):
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    return str(value)


def main(argv):
    arguments = parse_arguments(argv)
    logging.basicConfig(stream=sys.stderr, level=logging.DEBUG if arguments.verbose else logging.CRITICAL,
                        format="kite_client: %(message)s")
    session = Session(arguments)
    try:
        status = session.run()
    except KeyboardInterrupt:
        return 130
    print("kite_client: {}".format(session.reason), file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
