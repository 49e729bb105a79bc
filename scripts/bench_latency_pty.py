#!/usr/bin/env python3
"""Pty driver for scripts/bench-latency: runs the release binary in a real pty and times,
on this side with a monotonic clock, (1) start -> first complete frame with every provider
unreachable, (2) keystroke -> the frame that redraws the tab bar while Retell hangs, and
(3) a broadcast_queue row change in PostgreSQL -> on the Calls screen.

A frame is complete when the synchronized-update end (ESC [ ? 2026 l) the console wraps
every frame in has arrived; the screen is kept by a minimal terminal model (cursor moves,
clears, printable text), enough for what ratatui's crossterm backend writes.

    bench_latency_pty.py --bin PATH --database-url URL [--reps N]
"""

import argparse
import codecs
import fcntl
import os
import random
import re
import select
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time

COLS, ROWS = 120, 40
FRAME_END = "\x1b[?2026l"
DEADLINE_S = 30.0
DUMMY_SECRET = "bench-latency-not-a-real-key"

# One escape sequence: CSI (params, final byte), OSC (up to BEL or ST), or ESC + one char.
ESCAPE = re.compile(
    r"\x1b\[([0-9;:?<=>]*)[ -/]*([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[^\[\]]"
)


class Screen:
    """The visible grid: what a terminal would show after the bytes fed so far."""

    def __init__(self, cols, rows):
        self.cols, self.rows = cols, rows
        self.clear()
        self.row = self.col = 0

    def clear(self):
        self.grid = [[" "] * self.cols for _ in range(self.rows)]

    def line(self, n):
        return "".join(self.grid[n])

    def text(self):
        return "\n".join(self.line(n) for n in range(self.rows))

    def feed(self, text):
        pos = 0
        for m in ESCAPE.finditer(text):
            self._print(text[pos : m.start()])
            if m.group(2):
                self._csi(m.group(1), m.group(2))
            pos = m.end()
        self._print(text[pos:])

    def _print(self, chunk):
        for ch in chunk:
            if ch == "\r":
                self.col = 0
            elif ch == "\n":
                self.row = min(self.row + 1, self.rows - 1)
            elif ch >= " ":
                if self.col < self.cols:
                    self.grid[self.row][self.col] = ch
                self.col += 1

    def _csi(self, params, final):
        if params.startswith("?"):
            return
        nums = [int(p) if p.isdigit() else 0 for p in re.split("[;:]", params)] if params else []
        first = nums[0] if nums else 0
        if final in "Hf":
            row = nums[0] if nums and nums[0] else 1
            col = nums[1] if len(nums) > 1 and nums[1] else 1
            self.row, self.col = min(row, self.rows) - 1, min(col, self.cols) - 1
        elif final == "J" and first == 2:
            self.clear()
        elif final == "K":
            start = self.col if first == 0 else 0
            end = self.cols if first in (0, 2) else self.col + 1
            for c in range(start, min(end, self.cols)):
                self.grid[self.row][c] = " "
        elif final == "C":
            self.col = min(self.col + max(first, 1), self.cols)
        elif final == "G":
            self.col = min(max(first, 1), self.cols) - 1


class Console:
    """The binary in a 120x40 pty; `wait_frame` reads until a complete frame passes a test."""

    def __init__(self, binary, env):
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
        self.master = master
        self.screen = Screen(COLS, ROWS)
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self.pending = ""
        self.frames = 0
        self.proc = subprocess.Popen(
            [binary],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            close_fds=True,
            preexec_fn=_controlling_tty,
        )
        os.close(slave)

    def _read(self, timeout):
        """Reads what is there within `timeout`; returns (arrival time, frames completed)."""
        ready, _, _ = select.select([self.master], [], [], max(timeout, 0))
        if not ready:
            return None, 0
        try:
            data = os.read(self.master, 65536)
        except OSError:
            data = b""
        now = time.monotonic()
        if not data:
            raise RuntimeError(f"launchdeck exited (status {self.proc.poll()}); screen:\n{self.screen.text()}")
        self.pending += self.decoder.decode(data)
        completed = 0
        while FRAME_END in self.pending:
            frame, self.pending = self.pending.split(FRAME_END, 1)
            self.screen.feed(frame)
            completed += 1
        self.frames += completed
        return now, completed

    def wait_frame(self, what, test, deadline_s=DEADLINE_S):
        """Time (monotonic) at which a complete frame satisfying `test(screen)` arrived."""
        end = time.monotonic() + deadline_s
        while time.monotonic() < end:
            at, completed = self._read(end - time.monotonic())
            if completed and test(self.screen):
                return at
        raise RuntimeError(f"timed out waiting for {what}; screen:\n{self.screen.text()}")

    def drain(self, seconds):
        """Keeps reading (so the console never blocks on a full pty) for `seconds`."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self._read(end - time.monotonic())

    def send(self, keys):
        os.write(self.master, keys.encode())

    def stop(self):
        if self.proc.poll() is None:
            try:
                self.send("q")
                end = time.monotonic() + 10
                while self.proc.poll() is None and time.monotonic() < end:
                    self._read(0.05)
            except (OSError, RuntimeError):
                pass
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        os.close(self.master)


def _controlling_tty():
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class ClosedPort:
    """A loopback port bound but not listening: every connection is refused at once."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"


class HangingServer:
    """Accepts connections, reads the requests and never answers; counts the connections
    the client still holds open."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.accepted = 0
        self.open = 0
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.accepted += 1
                self.open += 1
            threading.Thread(target=self._hold, args=(conn,), daemon=True).start()

    def _hold(self, conn):
        try:
            while conn.recv(65536):
                pass
        except OSError:
            pass
        conn.close()
        with self.lock:
            self.open -= 1

    def open_connections(self):
        with self.lock:
            return self.open


def console_env(database_url, data_dir, urls, extra=None):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "HOME": data_dir,
        "LAUNCHDECK_DATA_DIR": data_dir,
        "LAUNCHDECK_DATABASE_URL": database_url,
        # Every provider configured, so the console really tries to reach it.
        "RETELL_AI_API_KEY": DUMMY_SECRET,
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "TWILIO_AUTH_TOKEN": DUMMY_SECRET,
        "ELEVENLABS_API_KEY": DUMMY_SECRET,
        "GOOGLE_CLIENT_ID": DUMMY_SECRET,
        "GOOGLE_CLIENT_SECRET": DUMMY_SECRET,
        "LAUNCHDECK_RETELL_BASE_URL": urls["retell"],
        "LAUNCHDECK_TWILIO_BASE_URL": urls["other"],
        "LAUNCHDECK_TWILIO_TRUNKING_BASE_URL": urls["other"],
        "LAUNCHDECK_ELEVENLABS_BASE_URL": urls["other"],
        "LAUNCHDECK_GOOGLE_TOKEN_URL": urls["other"] + "/token",
        "LAUNCHDECK_GOOGLE_CALENDAR_BASE_URL": urls["other"],
    }
    env.update(extra or {})
    return env


def header_drawn(screen):
    return screen.line(0).startswith(" launchdeck") and "[1 Overview]" in screen.line(1)


def in_flight(screen):
    m = re.search(r"Calls in flight (\d+)", screen.text())
    return int(m.group(1)) if m else None


def measure_first_frame(args, closed):
    times = []
    for _ in range(args.reps):
        with tempfile.TemporaryDirectory() as data_dir:
            urls = {"retell": closed.url, "other": closed.url}
            start = time.monotonic()
            console = Console(args.bin, console_env(args.database_url, data_dir, urls))
            try:
                at = console.wait_frame("the first frame", header_drawn)
                times.append(at - start)
            finally:
                console.stop()
    return times, ""


def measure_keystroke(args, closed, retell_hangs=True):
    """Keys 2 and 1 alternately; with `retell_hangs`, Retell accepts and never answers,
    otherwise every provider refuses (the control: nothing in flight but the pollers)."""
    hang = HangingServer()
    times, held = [], []
    with tempfile.TemporaryDirectory() as data_dir:
        urls = {"retell": hang.url if retell_hangs else closed.url, "other": closed.url}
        # Readiness every 5 s (default 60 s) so a run towards the hanging Retell is in flight.
        extra = {"LAUNCHDECK_POLL_READINESS_INTERVAL": "5s"} if retell_hangs else {}
        console = Console(args.bin, console_env(args.database_url, data_dir, urls, extra))
        try:
            console.wait_frame("the first frame", header_drawn)
            if retell_hangs:
                _wait_until("Retell holding a connection", lambda: hang.open_connections() > 0, console)
            console.drain(1.0)
            for i in range(args.reps):
                key, label = ("2", "[2 Readiness]") if i % 2 == 0 else ("1", "[1 Overview]")
                console.drain(0.2 + random.random() * 0.3)
                held.append(hang.open_connections())
                sent = time.monotonic()
                console.send(key)
                at = console.wait_frame(f"tab {label}", lambda s: label in s.line(1))
                times.append(at - sent)
        finally:
            console.stop()
    if not retell_hangs:
        return times, "control: every provider refuses, default intervals"
    note = (
        f"Retell connections held open at each keystroke: {min(held)}-{max(held)} "
        f"({hang.accepted} accepted in all)"
    )
    return times, note


def measure_freshness(args, closed):
    """A call starting (the row goes `calling` and its broadcast's counter goes up, as the
    engine does on every dial) and a call ending (back to `pending`), alternately, each
    at a random phase of the 1 s live poll -> the frame whose count shows it. Returns the
    start times and the end times."""
    row_id = _psql(args.database_url,
                   "SELECT q.id FROM broadcast_queue q JOIN voice_broadcasts b ON b.id = q.broadcast_id "
                   "WHERE q.status = 'pending' AND b.status = 'active' ORDER BY q.id LIMIT 1")
    if not row_id:
        raise RuntimeError("no pending row of an active broadcast to move: is the database seeded?")
    psql = subprocess.Popen(
        ["psql", "-qAtX", "-v", "ON_ERROR_STOP=1", args.database_url],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    )
    starts, ends = [], []
    with tempfile.TemporaryDirectory() as data_dir:
        urls = {"retell": closed.url, "other": closed.url}
        console = Console(args.bin, console_env(args.database_url, data_dir, urls))
        try:
            console.wait_frame("the first frame", header_drawn)
            console.send("3")
            console.wait_frame("the Calls screen", lambda s: in_flight(s) is not None)
            for i in range(2 * args.reps):
                # A random phase of the 1 s poll cycle for each change.
                console.drain(0.5 + random.random())
                before = in_flight(console.screen)
                if before is None:
                    raise RuntimeError(f"the Calls screen lost its count:\n{console.screen.text()}")
                starting = i % 2 == 0
                if starting:
                    sql = (f"BEGIN; UPDATE broadcast_queue SET status = 'calling', updated_at = now() "
                           f"WHERE id = '{row_id}'; UPDATE voice_broadcasts "
                           f"SET calls_made = coalesce(calls_made, 0) + 1 WHERE id = "
                           f"(SELECT broadcast_id FROM broadcast_queue WHERE id = '{row_id}'); COMMIT;\n")
                else:
                    sql = (f"UPDATE broadcast_queue SET status = 'pending', updated_at = now() "
                           f"WHERE id = '{row_id}';\n")
                change = 1 if starting else -1
                sent = time.monotonic()
                psql.stdin.write(sql)
                psql.stdin.flush()
                at = console.wait_frame(
                    f"calls in flight {before + change}",
                    lambda s: in_flight(s) == before + change,
                )
                (starts if starting else ends).append(at - sent)
        finally:
            # Leave the row as it was (the last change left it pending).
            psql.stdin.write(f"UPDATE broadcast_queue SET status = 'pending' WHERE id = '{row_id}';\n")
            console.stop()
            psql.stdin.close()
            psql.wait()
    note = "change made with a running psql (statement time included)"
    return (starts, note), (ends, "an ended call leaves at the next check (ARCHITECTURE.md)")


def _psql(url, sql):
    out = subprocess.run(["psql", "-qAtX", url, "-c", sql], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def _wait_until(what, cond, console):
    end = time.monotonic() + DEADLINE_S
    while not cond():
        if time.monotonic() > end:
            raise RuntimeError(f"timed out waiting for {what}")
        console.drain(0.1)


def percentile(sorted_values, p):
    """Nearest-rank percentile."""
    rank = max(1, -(-len(sorted_values) * p // 100))
    return sorted_values[int(rank) - 1]


def row(name, budget_ms, times, note):
    ms = sorted(t * 1000 for t in times)
    figures = [ms[0], statistics.median(ms), percentile(ms, 95), ms[-1]]
    verdict = "within budget" if ms[-1] <= budget_ms else f"OVER BUDGET (max > {budget_ms} ms)"
    cells = " | ".join(f"{v:7.1f}" for v in figures)
    print(f"| {name:<18} | {len(ms):2d} | {cells} | <= {budget_ms:5d} | {verdict} |", flush=True)
    if note:
        print(f"    {note}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bin", required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--reps", type=int, default=20)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    closed = ClosedPort()
    print(f"{args.reps} repetitions, 120x40 pty, times in ms (driver-side monotonic clock, "
          "pty read latency included)", flush=True)
    print("| what               |  n |     min |     p50 |     p95 |     max | budget   | verdict |")
    print("|---|---|---|---|---|---|---|---|", flush=True)
    row("first frame", 200, *measure_first_frame(args, closed))
    row("keystroke -> frame", 16, *measure_keystroke(args, closed))
    row("keystroke, control", 16, *measure_keystroke(args, closed, retell_hangs=False))
    started, ended = measure_freshness(args, closed)
    row("freshness, start", 1200, *started)
    # Decision (ARCHITECTURE.md): an ended call leaves at the next check, every
    # full_read_interval (5 s) -- the budget here is that interval + 200 ms.
    row("freshness, end", 5200, *ended)


if __name__ == "__main__":
    try:
        main()
    except (RuntimeError, subprocess.CalledProcessError) as e:
        print(f"bench-latency: {e}", file=sys.stderr)
        sys.exit(1)
