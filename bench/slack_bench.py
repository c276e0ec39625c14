"""Signed Slack message events through ``secondround run slack`` (HTTP mode), next to a bare Bolt app.

Usage: python -m bench.slack_bench [--events 600] [--levels 1,4,16] [--students 400] [--db sqlite,postgresql]
       [--rounds 5] [--no-canned] [--profile DIR]

Each server runs as a separate process, in this run, against the same local Slack stand-in
(tests/standins/slack.py, in this process), and gets the same load: correctly signed ``message.im``
events ("how do I handle a dinner interview?") from returning students (each wrote once first, not
measured), in a closed loop: ``k`` senders each send an event and wait until its reply has reached
the stand-in before sending the next, for ``k`` = 1, 4 and 16 events in flight. All servers run
for the whole measurement and take turns, in ``--rounds`` short rounds per level, so a load that
drifts on a shared machine falls on every server alike (each server's figures sum its rounds).

* bare Bolt AsyncApp: the framework's floor, a slack-bolt AsyncApp on an aiohttp server with one
  shared Web API session, whose listener only acknowledges and posts one message;
* adapter, canned coach: SecondRound's Slack adapter and runtime, with ``Coach.handle_once``
  replaced by a fixed answer that still records the inbox item as handled (the one write a real
  answer makes besides the user's data): signature check, the inbox record before the ack, the
  inbox work, rendering, the reply. The stand-in checks every reply is the canned one;
* secondround run slack: the real thing, coach included (understanding, database, advice), on
  SQLite and, when reachable, on PostgreSQL.

The load generator shares the machine's cores with the servers, so events per second are only
comparable within one run; the figure that is not distorted by it is **server CPU per event**: the
server process's CPU time (its threads' ``/proc/<pid>/task/*/schedstat``, in nanoseconds) over the
measured events, divided by their number. Printed per server and level: events/s, server CPU
ms/event, reply latency median/p99; then SecondRound's CPU per event as a ratio of the bare app's
(target: at most 3×).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import signal
import socket
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from tests.standins.slack import TEAM_ID, Call, SlackStandIn, dm_channel

BOT_TOKEN = "xoxb-1111111111-2222222222-BenchBotTokenValue"
SIGNING_SECRET = "0123456789abcdef0123456789abcdef"
TEXT = "how do I handle a dinner interview?"
CANNED = "**Meals, drinks and office visits**\nA relaxed setting is still an interview."
START_TIMEOUT = 180.0
# a few hundred student ids stand for many more students: the per-student flood guard (10 messages in
# 10 s) would otherwise turn fast runs into 503s and retries (which are counted and printed if any)
FLOOD_MESSAGES = 1_000_000
# the adapter posts at most about one message a second per conversation (as Slack asks): a sender waits
# until its next student's last event is this old, so the pacing of one student does not stall the run
PACE = 1.1
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Level:
    """One server at one number of events in flight."""

    inflight: int
    events: int
    seconds: float
    cpu_seconds: float
    latencies: list[float]
    sys_seconds: float = float("nan")  # the kernel's share of cpu_seconds (system calls, thread wake-ups)
    loop_seconds: float = float("nan")  # the share of cpu_seconds spent by the main thread (the event loop)
    threads: int = 0  # threads of the server that used CPU during the level

    @property
    def per_second(self) -> float:
        """Events answered per second, end to end."""
        return self.events / self.seconds

    @property
    def cpu_ms(self) -> float:
        """Server CPU per event, ms."""
        return self.cpu_seconds / self.events * 1000

    @property
    def median_ms(self) -> float:
        """Median time from sending an event to its reply reaching the stand-in, ms."""
        return statistics.median(self.latencies) * 1000

    @property
    def p99_ms(self) -> float:
        """99th percentile of the same, ms."""
        return statistics.quantiles(self.latencies, n=100)[98] * 1000


@dataclass
class Server:
    """What one server did: its levels, and its resident memory once warm."""

    name: str
    levels: list[Level] = field(default_factory=list)
    rss_started_mb: float = float("nan")
    rss_warm_mb: float = float("nan")
    heavy: list[str] = field(default_factory=list)  # scikit-learn / SciPy mapped into the process

    def at(self, inflight: int) -> Level:
        """The measurement at ``inflight`` events in flight."""
        return next(level for level in self.levels if level.inflight == inflight)

    def lines(self) -> list[str]:
        """Rows of the report."""
        return [
            f"{self.name:<30} {lv.inflight:>3} in flight  {lv.per_second:7.1f} events/s   "
            f"server CPU {lv.cpu_ms:6.2f} ms/event ({lv.sys_seconds / max(lv.cpu_seconds, 1e-9):4.0%} sys, "
            f"{lv.loop_seconds / max(lv.cpu_seconds, 1e-9):4.0%} loop, {lv.threads} threads)   "
            f"reply median {lv.median_ms:7.1f} ms, p99 {lv.p99_ms:7.1f} ms"
            for lv in self.levels
        ]


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (from /proc)."""
    return sum(process_times(pid))


def process_times(pid: int) -> tuple[float, float]:
    """User and system CPU seconds of process ``pid`` so far (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) / TICKS, int(fields[12]) / TICKS


def thread_cpu(pid: int) -> dict[int, float]:
    """CPU seconds of each thread of process ``pid`` so far, by thread id, to the nanosecond.

    From ``/proc/<pid>/task/<tid>/schedstat`` (time on a CPU, user and system): ``/proc/<pid>/stat``
    counts in clock ticks (10 ms), too coarse for a few hundred events of a fraction of a millisecond.
    """
    out: dict[int, float] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            out[int(task.name)] = int((task / "schedstat").read_text().split()[0]) / 1e9
        except (OSError, ValueError, IndexError):  # the thread ended meanwhile
            continue
    return out


def process_rss_mb(pid: int) -> float:
    """Resident memory of process ``pid``, MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def signed(body: str) -> dict[str, str]:
    """Slack's signature headers for ``body``."""
    ts = str(int(time.time()))
    digest = hmac.new(SIGNING_SECRET.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def event(user: str) -> str:
    """A message.im event from ``user``, as Slack would send it."""
    return json.dumps(
        {
            "token": "legacy",
            "team_id": TEAM_ID,
            "api_app_id": "A0APP",
            "type": "event_callback",
            "event_id": f"Ev{uuid.uuid4().hex[:12].upper()}",
            "event_time": int(time.time()),
            "event": {
                "type": "message",
                "channel_type": "im",
                "channel": dm_channel(user),
                "user": user,
                "text": TEXT,
                "ts": f"{time.time():.6f}",
                "team": TEAM_ID,
            },
        }
    )


async def wait_listening(port: int, proc: asyncio.subprocess.Process) -> None:
    """Wait until ``port`` accepts connections (the process is loading)."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.returncode is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.2)
            continue
        writer.close()
        await writer.wait_closed()
        return
    raise SystemExit(f"nothing listening on port {port}")


class Replies:
    """Waits for the first reply in each student's DM channel (told by the stand-in)."""

    def __init__(self, standin: SlackStandIn, expect: str | None) -> None:
        self.waiting: dict[str, asyncio.Future[Call]] = {}
        self.expect = expect
        self.unexpected = 0
        self.standin = standin
        standin.on_call.append(self._seen)

    def _seen(self, call: Call) -> None:
        if call.method != "chat.postMessage" or not call.ok:
            return
        waiter = self.waiting.pop(str(call.body.get("channel")), None)
        if waiter is None:  # (another server's student: every server's students are its own)
            return
        if self.expect is not None and self.expect not in json.dumps(call.body):
            self.unexpected += 1
        if not waiter.done():
            waiter.set_result(call)

    def expect_reply(self, user: str) -> asyncio.Future[Call]:
        """A future that the next reply to ``user`` completes."""
        future: asyncio.Future[Call] = asyncio.get_running_loop().create_future()
        self.waiting[dm_channel(user)] = future
        return future

    def close(self) -> None:
        """Stop listening."""
        self.standin.on_call.remove(self._seen)


async def closed_loop(
    port: int,
    replies: Replies,
    students: list[str],
    inflight: int,
    events: int,
    pid: int | None,
    last: dict[str, float] | None = None,
) -> Level:
    """``inflight`` senders, each sending an event and waiting for its reply before the next one.

    ``last``: when each student last sent (kept across calls, so PACE holds from one round to the next).
    """
    url = f"http://127.0.0.1:{port}/slack/events"
    latencies: list[float] = []
    remaining = [events]
    busy = [0]
    paced = [0]  # events that waited for their student's previous one to be a second old
    last = {} if last is None else last
    groups = [students[i::inflight] for i in range(inflight)]  # a sender's students are its own
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=inflight)) as http:

        async def sender(mine: list[str]) -> None:
            turn = 0
            while remaining[0] > 0:
                remaining[0] -= 1
                user = mine[turn % len(mine)]
                turn += 1
                wait = last.get(user, 0.0) + PACE - time.perf_counter()
                if wait > 0:
                    paced[0] += 1
                    await asyncio.sleep(wait)
                last[user] = time.perf_counter()
                body = event(user)
                sent = time.perf_counter()
                while True:
                    answered = replies.expect_reply(user)
                    async with http.post(url, data=body.encode(), headers=signed(body)) as resp:
                        await resp.read()
                    if resp.status == 503:  # not taken (full or flooded): retry later, as Slack does
                        replies.waiting.pop(dm_channel(user), None)
                        busy[0] += 1
                        await asyncio.sleep(0.05)
                        continue
                    if resp.status != 200:
                        raise SystemExit(f"HTTP {resp.status}")
                    break
                await asyncio.wait_for(answered, timeout=120)
                latencies.append(time.perf_counter() - sent)

        user0, sys0 = process_times(pid) if pid else (0.0, 0.0)
        threads0 = thread_cpu(pid) if pid else {}
        started = time.perf_counter()
        await asyncio.gather(*(sender(g) for g in groups))
        seconds = time.perf_counter() - started
        user1, sys1 = process_times(pid) if pid else (float("nan"), float("nan"))
        threads1 = thread_cpu(pid) if pid else {}
        used = {tid: t - threads0.get(tid, 0.0) for tid, t in threads1.items()}
        # CPU from the threads' nanosecond counters (a thread that ended during the level is missed:
        # the servers' threads live for the whole run); the system share from the clock ticks
        ticks = user1 - user0 + sys1 - sys0
        cpu = sum(used.values()) if pid else float("nan")
        kernel = cpu * (sys1 - sys0) / ticks if ticks > 0 else 0.0
        loop = used.get(pid, float("nan")) if pid else float("nan")
        busy_threads = sum(1 for t in used.values() if t > 0)
    if busy[0] or paced[0]:
        print(f"  ({busy[0]} answers of 503, retried; {paced[0]} events waited for PACE)", flush=True)
    return Level(inflight, events, seconds, cpu, latencies, kernel, loop, busy_threads)


@dataclass
class Running:
    """A server process being measured, with what its rounds add up to."""

    server: Server
    proc: asyncio.subprocess.Process
    port: int
    replies: Replies
    students: list[str] = field(default_factory=list)
    last: dict[str, float] = field(default_factory=dict)
    offset: int = 0  # the student the next round starts with (rounds go on where the last one stopped)
    spy: asyncio.subprocess.Process | None = None


async def start(
    name: str,
    command: list[str],
    env: dict[str, str],
    standin: SlackStandIn,
    args: argparse.Namespace,
    port: int,
    expect: str | None = None,
) -> Running:
    """Start a server process and warm it up (every student's first contact); its RSS started and warm."""
    proc = await asyncio.create_subprocess_exec(
        *command, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    running = Running(Server(name), proc, port, Replies(standin, expect))
    try:
        await wait_listening(port, proc)
    except BaseException:
        await stop(running)
        raise
    return running


async def warm(running: Running, args: argparse.Namespace) -> None:
    """Every student's first contact (not measured); the server's RSS before and after."""
    server, proc = running.server, running.proc
    server.rss_started_mb = process_rss_mb(proc.pid)
    prefix = uuid.uuid4().hex[:6].upper()
    running.students = [f"U{prefix}{i:05d}" for i in range(args.students)]
    await closed_loop(running.port, running.replies, running.students, 16, len(running.students), None, running.last)
    server.rss_warm_mb = process_rss_mb(proc.pid)
    maps = Path(f"/proc/{proc.pid}/maps").read_text()
    server.heavy = [name for name in ("sklearn", "scipy") if f"/{name}/" in maps]


async def measure_all(running: list[Running], args: argparse.Namespace) -> None:
    """Each level in ``args.rounds`` rounds; in each round every server in turn gets its share of the events.

    The machine is shared: its load drifts from one minute to the next, and servers measured one
    after the other (the bare app first, SecondRound minutes later) met different loads. Taking
    turns in short rounds gives every server the same mix of quiet and busy moments; each
    server's figures are the sums of its rounds.
    """
    for r in running:
        r.spy = await _profiler(args, r.server.name, r.proc.pid)
    try:
        for inflight in args.levels:
            share = [
                args.events // args.rounds + (1 if i < args.events % args.rounds else 0) for i in range(args.rounds)
            ]
            parts: dict[str, list[Level]] = {r.server.name: [] for r in running}
            for events in share:
                for r in running:
                    order = r.students[r.offset :] + r.students[: r.offset]
                    r.offset = (r.offset + events) % len(r.students)
                    got = await closed_loop(r.port, r.replies, order, inflight, events, r.proc.pid, r.last)
                    parts[r.server.name].append(got)
            for r in running:
                done = parts[r.server.name]
                r.server.levels.append(
                    Level(
                        inflight,
                        sum(p.events for p in done),
                        sum(p.seconds for p in done),
                        sum(p.cpu_seconds for p in done),
                        [x for p in done for x in p.latencies],
                        sum(p.sys_seconds for p in done),
                        sum(p.loop_seconds for p in done),
                        max(p.threads for p in done),
                    )
                )
    finally:
        for r in running:
            if r.spy is not None:
                r.spy.send_signal(signal.SIGINT)
                await r.spy.wait()
    for r in running:
        if r.replies.unexpected:
            raise SystemExit(f"{r.server.name}: {r.replies.unexpected} replies were not the expected text")
        print("\n".join(r.server.lines()), flush=True)


async def stop(running: Running) -> None:
    """Stop the server process and stop listening for its replies."""
    running.replies.close()
    if running.proc.returncode is None:
        running.proc.terminate()
        await running.proc.wait()


def adapter_server(port: int, api_url: str) -> None:
    """The Slack adapter and runtime with a canned coach: what they cost (run in its own process).

    Everything but the coaching work: signature check, the inbox record before the ack, the inbox
    work (the item is recorded as handled, in one transaction, as a real answer does), rendering and
    posting the reply.
    """
    from adapters.slack import SlackAdapter
    from adapters.slack.plugin import SlackSettings
    from bot.common.settings import load_settings
    from bot.common.types import IncomingMessage, Receipt, Reply
    from bot.ops.app import App
    from bot.ops.runtime import Runtime

    canned = [Reply(CANNED)]

    async def main(data_dir: str) -> None:
        settings = load_settings(
            data_dir=data_dir,
            database_url=None,
            health_addr="",
            flood_messages=FLOOD_MESSAGES,
        )
        slack = SlackSettings(
            SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET, SECONDROUND_SLACK_API_URL=api_url
        )
        app = App.build(settings)

        def coach(msg: IncomingMessage, receipt: Receipt | None, **_kw: object) -> list[Reply] | None:
            if receipt is None:
                return canned
            with app.db.session() as session:
                return canned if receipt.record(session, canned) else None

        app.coach.handle_once = coach  # type: ignore[method-assign]
        runtime = Runtime(app, health=False, reminders=False)
        runtime.add(SlackAdapter(runtime, settings=slack, host="127.0.0.1", port=port))
        await runtime.start()  # (as `secondround run slack` does, without the reminder engine)
        await asyncio.Event().wait()

    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(main(tmp))


def bare_server(port: int, api_url: str) -> None:
    """The framework's floor: AsyncApp that acks and posts one message (run in its own process)."""
    from aiohttp import web
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
    from slack_bolt.app.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    async def main() -> None:
        session = aiohttp.ClientSession()
        client = AsyncWebClient(token=BOT_TOKEN, base_url=api_url, session=session)
        app = AsyncApp(client=client, signing_secret=SIGNING_SECRET)

        @app.event("message")
        async def answer(event: dict, client: AsyncWebClient) -> None:
            await client.chat_postMessage(channel=event["channel"], text="Hello from the floor")

        async def handle(request: web.Request) -> web.Response:
            return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

        web_app = web.Application()
        web_app.router.add_post("/slack/events", handle)
        runner = web.AppRunner(web_app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        await asyncio.Event().wait()

    asyncio.run(main())


async def _profiler(args: argparse.Namespace, name: str, pid: int) -> asyncio.subprocess.Process | None:
    """``py-spy record`` attached to the server for the measured levels (``--profile DIR``), else None.

    py-spy is a developer's tool, not a dependency: ``pip install py-spy`` to use it. Writes
    collapsed stacks (one line per stack, its sample count last) to ``DIR/<server>.txt``.
    """
    if not args.profile:
        return None
    out = Path(args.profile) / ("".join(c if c.isalnum() else "_" for c in name).strip("_") + ".txt")
    out.parent.mkdir(parents=True, exist_ok=True)
    spy = str(Path(sys.executable).parent / "py-spy")
    command = [spy, "record", "--pid", str(pid), "--rate", "1000", "--gil", "--nonblocking", "--format", "raw"]
    proc = await asyncio.create_subprocess_exec(
        *command, "--output", str(out), stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    await asyncio.sleep(1.0)  # attached
    return proc


def _postgres(url: str) -> str | None:
    """A fresh, migrated PostgreSQL database for the run (its URL), or None when the server is away."""
    try:
        import psycopg

        name = f"secondround_slackbench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(url, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except Exception as exc:
        print(f"PostgreSQL not measured ({type(exc).__name__})", flush=True)
        return None
    from bot.storage import migrate
    from bot.storage.db import Database

    db_url = url.rpartition("/")[0] + "/" + name
    db = Database(db_url)
    migrate.upgrade(db)
    db.dispose()
    return db_url


def _drop_postgres(admin_url: str, db_url: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db_url.rpartition("/")[2]}" WITH (FORCE)')


async def run(args: argparse.Namespace) -> list[Server]:
    """Measure the bare app, the adapter with a canned coach, then SecondRound, against one stand-in.

    Every server runs for the whole measurement, and they take turns (:func:`measure_all`).
    """
    standin = await SlackStandIn(bot_token=BOT_TOKEN).start()
    own = [sys.executable, "-m", "bench.slack_bench", "--api-url", standin.api_url]
    plain = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "SECONDROUND_"))}
    running: list[Running] = []
    databases: list[str] = []
    with contextlib.ExitStack() as folders:
        try:
            port = free_port()
            running.append(
                await start(
                    "bare Bolt AsyncApp", [*own, "--bare-server", str(port)], plain, standin, args, port, "Hello from"
                )
            )
            if not args.no_canned:
                port = free_port()
                running.append(
                    await start(
                        "adapter, canned coach",
                        [*own, "--adapter-server", str(port)],
                        plain,
                        standin,
                        args,
                        port,
                        "Meals",
                    )
                )
            for db in args.db:
                url = "" if db == "sqlite" else _postgres(args.pg)
                if url is None:
                    continue
                if url:
                    databases.append(url)
                tmp = folders.enter_context(tempfile.TemporaryDirectory())
                port = free_port()
                env = dict(plain)
                env.update(
                    {
                        "SLACK_BOT_TOKEN": BOT_TOKEN,
                        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                        "SECONDROUND_SLACK_API_URL": standin.api_url,
                        "SECONDROUND_DATA_DIR": str(Path(tmp) / "data"),
                        "SECONDROUND_DATABASE_URL": url,
                        "SECONDROUND_HEALTH_ADDR": "",
                        "SECONDROUND_LOG_LEVEL": "WARNING",
                        "SECONDROUND_FLOOD_MESSAGES": str(FLOOD_MESSAGES),
                    }
                )
                if args.workers:
                    env["SECONDROUND_INBOX_WORKERS"] = str(args.workers)
                if os.environ.get("SECONDROUND_CACHE_DIR"):
                    env["SECONDROUND_CACHE_DIR"] = os.environ["SECONDROUND_CACHE_DIR"]
                exe = str(Path(sys.executable).parent / "secondround")
                command = [exe, "run", "slack", "--host", "127.0.0.1", "--port", str(port)]
                running.append(await start(f"secondround run slack ({db})", command, env, standin, args, port))
            for r in running:
                await warm(r, args)
            await measure_all(running, args)
        finally:
            for r in running:
                await stop(r)
            for url in databases:
                _drop_postgres(args.pg, url)
            await standin.close()
    return [r.server for r in running]


def ratios(servers: list[Server]) -> list[str]:
    """Each server's CPU per event as a multiple of the bare app's, level by level."""
    bare = servers[0]
    out = []
    for server in servers[1:]:
        parts = [f"{lv.inflight}: {lv.cpu_ms / bare.at(lv.inflight).cpu_ms:4.1f}×" for lv in server.levels]
        out.append(f"server CPU per event, {server.name} / bare (by events in flight): " + ", ".join(parts))
    return out


def options(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=600, help="measured events per server and level")
    parser.add_argument(
        "--rounds", type=int, default=5, help="turns the servers take at each level (each gets events/rounds a turn)"
    )
    parser.add_argument("--levels", default="1,4,16", help="events in flight, comma-separated")
    parser.add_argument(
        "--students", type=int, default=800, help="distinct students (each writes once to warm up; see PACE)"
    )
    parser.add_argument("--db", default="sqlite,postgresql", help="databases for secondround run slack")
    parser.add_argument(
        "--pg", default=os.environ.get("SECONDROUND_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    )
    parser.add_argument("--workers", type=int, help="SECONDROUND_INBOX_WORKERS for secondround run slack")
    parser.add_argument("--no-canned", action="store_true", help="leave out the adapter with a canned coach")
    parser.add_argument(
        "--profile", metavar="DIR", help="attach py-spy (pip install py-spy) to each server for the measured levels"
    )
    parser.add_argument("--bare-server", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--adapter-server", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.levels = [int(x) for x in str(args.levels).split(",") if x]
    args.db = [x for x in str(args.db).split(",") if x]
    return args


def main() -> None:
    """Run the benchmark and print the figures."""
    args = options()
    if args.bare_server:
        bare_server(args.bare_server, args.api_url)
        return
    if args.adapter_server:
        adapter_server(args.adapter_server, args.api_url)
        return
    servers = asyncio.run(run(args))
    print(
        f"{args.events} signed message events per server and level, {args.students} returning students, "
        f"{os.cpu_count()} CPUs"
    )
    for server in servers:
        print(f"{server.name}: RSS {server.rss_started_mb:.0f} MB started, {server.rss_warm_mb:.0f} MB warm")
    for line in ratios(servers):
        print(line)


if __name__ == "__main__":
    main()
