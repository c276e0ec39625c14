"""Signed Slack message events through ``secondround run slack`` (HTTP mode), next to a bare Bolt app.

Usage: python -m bench.slack_bench [--events 2000] [--inflight 16] [--students 400]

Each server runs as a separate process on this machine, in this run, against the same local Slack
stand-in (tests/standins/slack.py, in this process), and gets the same load: correctly signed
``message.im`` events ("how do I handle a dinner interview?"), 16 requests in flight. Each of 400
students writes once first (first contact: users.info, a new user row; not measured); then 2,000
events come from those returning students in turn (5 each, under the flood guard's 10 per 10 s).

* bare Bolt AsyncApp: the framework's floor, a slack-bolt AsyncApp on an aiohttp server with one
  shared Web API session, whose listener only acknowledges and posts one message;
* adapter, canned coach: SecondRound's Slack adapter with the coach replaced by a fixed answer
  (signature check, the inbox record before the ack, rendering, the reply), so the
  adapter's own cost shows;
* secondround run slack: the real thing, coach included (understanding, database, advice).

Printed for each: events per second end to end (until the stand-in has every reply), acks per
second, and ack latency median/p99 as seen by the sender; then SecondRound's figures as a ratio of
the bare app's.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import socket
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from tests.standins.slack import TEAM_ID, Call, SlackStandIn, dm_channel

BOT_TOKEN = "xoxb-1111111111-2222222222-BenchBotTokenValue"
SIGNING_SECRET = "0123456789abcdef0123456789abcdef"
TEXT = "how do I handle a dinner interview?"
START_TIMEOUT = 180.0


@dataclass
class Figures:
    """What one server did under the load."""

    name: str
    events: int
    seconds: float  # first request sent → last reply received by the stand-in
    ack_seconds: float  # first request sent → last ack received
    latencies: list[float]

    @property
    def per_second(self) -> float:
        """Events answered per second, end to end."""
        return self.events / self.seconds

    @property
    def acks_per_second(self) -> float:
        """Events acknowledged per second."""
        return self.events / self.ack_seconds

    @property
    def median_ms(self) -> float:
        """Median ack latency in milliseconds."""
        return statistics.median(self.latencies) * 1000

    @property
    def p99_ms(self) -> float:
        """99th percentile ack latency in milliseconds."""
        return statistics.quantiles(self.latencies, n=100)[98] * 1000

    def line(self) -> str:
        """One row of the report."""
        return (
            f"{self.name:<22} {self.per_second:8.1f} events/s end to end   {self.acks_per_second:8.1f} acks/s   "
            f"ack latency median {self.median_ms:7.1f} ms, p99 {self.p99_ms:7.1f} ms"
        )


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


async def load(
    name: str, port: int, standin: SlackStandIn, users: list[str], inflight: int, replies_before: int
) -> Figures:
    """Send one event per user, ``inflight`` at a time; wait for every reply."""
    target = replies_before + len(users)
    done = asyncio.Event()
    counted = [replies_before]

    def count(call: Call) -> None:
        if call.method == "chat.postMessage" and call.ok:
            counted[0] += 1
            if counted[0] >= target:
                done.set()

    standin.on_call.append(count)
    latencies: list[float] = []
    busy = [0]  # 503 answers (retried)
    queue = list(users)
    url = f"http://127.0.0.1:{port}/slack/events"
    connector = aiohttp.TCPConnector(limit=inflight)
    try:
        async with aiohttp.ClientSession(connector=connector) as http:

            async def worker() -> None:
                while queue:
                    user = queue.pop(0)
                    body = event(user)
                    sent = time.perf_counter()
                    async with http.post(url, data=body.encode(), headers=signed(body)) as resp:
                        await resp.read()
                        if resp.status == 503:  # the bot's inbox is full: retry later, as Slack does
                            busy[0] += 1
                            queue.append(user)
                            await asyncio.sleep(0.05)
                            continue
                        if resp.status != 200:
                            raise SystemExit(f"{name}: HTTP {resp.status}")
                    latencies.append(time.perf_counter() - sent)

            started = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(inflight)))
            acked = time.perf_counter()
            await asyncio.wait_for(done.wait(), timeout=600)
            finished = time.perf_counter()
    finally:
        standin.on_call.remove(count)
    if busy[0]:
        print(f"  {name}: {busy[0]} answers of 503 (inbox full), retried", flush=True)
    return Figures(name, len(users), finished - started, acked - started, latencies)


async def measure(
    name: str, command: list[str], env: dict[str, str], standin: SlackStandIn, args: argparse.Namespace, port: int
) -> Figures:
    """Start a server process, warm it up, measure it, stop it."""
    proc = await asyncio.create_subprocess_exec(
        *command, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    try:
        await wait_listening(port, proc)
        prefix = uuid.uuid4().hex[:6].upper()
        students = [f"U{prefix}{i:05d}" for i in range(args.students)]
        replies = len(standin.calls_to("chat.postMessage"))
        await load(f"{name} warm-up", port, standin, students, args.inflight, replies)  # first contact for all
        replies = len(standin.calls_to("chat.postMessage"))
        users = [students[i % len(students)] for i in range(args.events)]  # returning students, in turn
        return await load(name, port, standin, users, args.inflight, replies)
    finally:
        if proc.returncode is None:
            proc.terminate()
            await proc.wait()


def adapter_server(port: int, api_url: str) -> None:
    """The Slack adapter with a canned coach: what the adapter itself costs (run in its own process).

    Everything but the coaching work: signature check, ack, event de-duplication in the database,
    users.info on first contact, rendering and posting the reply.
    """
    from adapters.slack import SlackAdapter
    from bot.app import App
    from bot.runtime import Runtime
    from bot.settings import load_settings
    from bot.types import IncomingMessage, Reply

    canned = [Reply("**Meals, drinks and office visits**\nA relaxed setting is still an interview.")]

    def coach(msg: IncomingMessage, receipt: object, **kw: object) -> list[Reply]:
        return canned

    async def main(data_dir: str) -> None:
        settings = load_settings(
            data_dir=data_dir,
            database_url=None,
            health_addr="",
            slack_bot_token=BOT_TOKEN,
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=api_url,
        )
        app = App.build(settings)
        runtime = Runtime(app, health=False, reminders=False)
        app.coach.handle_once = coach  # type: ignore[method-assign]
        await SlackAdapter(runtime, host="127.0.0.1", port=port).start()
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


async def run(args: argparse.Namespace) -> tuple[Figures, Figures, Figures]:
    """Measure the bare app, the adapter with a canned coach, then SecondRound, against one stand-in."""
    standin = await SlackStandIn(bot_token=BOT_TOKEN).start()
    try:
        bare_port = free_port()
        bare = await measure(
            "bare Bolt AsyncApp",
            [sys.executable, "-m", "bench.slack_bench", "--bare-server", str(bare_port), "--api-url", standin.api_url],
            dict(os.environ),
            standin,
            args,
            bare_port,
        )
        adapter_port = free_port()
        adapter = await measure(
            "adapter, canned coach",
            [
                sys.executable,
                "-m",
                "bench.slack_bench",
                "--adapter-server",
                str(adapter_port),
                "--api-url",
                standin.api_url,
            ],
            {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "SECONDROUND_DATABASE"))},
            standin,
            args,
            adapter_port,
        )
        with tempfile.TemporaryDirectory() as tmp:
            port = free_port()
            env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_"))}
            env.update(
                {
                    "SLACK_BOT_TOKEN": BOT_TOKEN,
                    "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                    "SECONDROUND_SLACK_API_URL": standin.api_url,
                    "SECONDROUND_DATA_DIR": str(Path(tmp) / "data"),
                    "SECONDROUND_DATABASE_URL": "",
                    "SECONDROUND_HEALTH_ADDR": "",
                    "SECONDROUND_LOG_LEVEL": "WARNING",
                }
            )
            exe = str(Path(sys.executable).parent / "secondround")
            ours = await measure(
                "secondround run slack",
                [exe, "run", "slack", "--host", "127.0.0.1", "--port", str(port)],
                env,
                standin,
                args,
                port,
            )
    finally:
        await standin.close()
    return bare, adapter, ours


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=2000, help="measured events per server")
    parser.add_argument("--inflight", type=int, default=16, help="requests in flight")
    parser.add_argument("--students", type=int, default=400, help="distinct students (each writes once to warm up)")
    parser.add_argument("--bare-server", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--adapter-server", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_server:
        bare_server(args.bare_server, args.api_url)
        return
    if args.adapter_server:
        adapter_server(args.adapter_server, args.api_url)
        return
    bare, adapter, ours = asyncio.run(run(args))
    print(
        f"{args.events} signed message events per server from {args.students} returning students, "
        f"{args.inflight} in flight, {os.cpu_count()} CPUs"
    )
    for figures in (bare, adapter, ours):
        print(figures.line())
    print(
        f"ratio (adapter with canned coach / bare): {adapter.per_second / bare.per_second:.2f}× events/s end to end, "
        f"ack latency {adapter.median_ms / bare.median_ms:.2f}× median, {adapter.p99_ms / bare.p99_ms:.2f}× p99"
    )
    print(
        f"ratio (SecondRound / bare): {ours.per_second / bare.per_second:.2f}× events/s end to end, "
        f"{ours.acks_per_second / bare.acks_per_second:.2f}× acks/s, "
        f"ack latency {ours.median_ms / bare.median_ms:.2f}× median, {ours.p99_ms / bare.p99_ms:.2f}× p99"
    )


if __name__ == "__main__":
    main()
