"""`chainrule serve` under a full lecture hall: N simulated students answer one question within a
few seconds of each other, over real WebSockets on 127.0.0.1.

`crowd()` is the room's load: it joins N students, has the teacher ask, lets each student
answer after a random delay in [0, spread) seconds and wait for the server's receipt, then
reveals and waits for every verdict. It reports answers per second (over the burst), each
answer's round trip (sent to `received`), and the latency to the teacher's count (an answer
sent to the first count that includes it). tests/classroom/test_load.py runs it and checks
that nothing is lost; `python -m benchmarks.classroom` runs it against `chainrule serve` in a
process of its own and adds that process's memory (resident set) before and after.

Usage: python -m benchmarks.classroom [--students 200] [--spread 2] [--seed 0]
"""

import argparse
import asyncio
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time


async def crowd(ws_url, token, code, step, students=200, spread=2.0, seed=0, answer="-4"):
    """Run the question at player step `step` through `students` students; the figures."""
    from websockets.asyncio.client import connect

    rng = random.Random(seed)
    teacher = await connect(ws_url, max_size=None)
    await teacher.send(json.dumps({"type": "hello", "role": "teacher", "token": token}))
    await until(teacher, "welcome")
    pages = await asyncio.gather(*(join(connect, ws_url, code, k) for k in range(students)))
    await teacher.send(json.dumps({"type": "ask", "step": step}))
    question = (await until(teacher, "question"))["id"]
    counts = []  # (time, answers) of each count the teacher got

    async def watch():
        while True:
            message = await until(teacher, "count", "results")
            if message["type"] == "results":
                return message
            counts.append((time.perf_counter(), message["answers"]))
            if message["answers"] == students:
                return None

    watching = asyncio.create_task(watch())
    await asyncio.gather(*(until(page, "question") for page in pages))
    start = time.perf_counter()
    sent = await asyncio.gather(*(answer_after(page, question, rng.random() * spread, answer)
                                  for page in pages))  # fmt: skip
    end = time.perf_counter()
    await asyncio.wait_for(watching, 30)
    await teacher.send(json.dumps({"type": "reveal"}))
    results = await until(teacher, "results")
    verdicts = await asyncio.gather(*(until(page, "verdict") for page in pages))
    for page in (teacher, *pages):
        await page.close()
    times = sorted(at for at, _trip in sent)
    to_count = [first_count(counts, k + 1) - at for k, at in enumerate(times)]
    trips = [trip for _at, trip in sent]
    return {
        "students": students,
        "received": len(sent),
        "counted": counts[-1][1] if counts else 0,
        "results": results,
        "verdicts": verdicts,
        "answers_per_second": students / (end - start),
        "burst_seconds": end - start,
        "round_trip_ms": percentiles(trips),
        "to_teacher_count_ms": percentiles(to_count),
    }


async def join(connect, ws_url, code, k):
    page = await connect(ws_url, max_size=None)
    hello = {"type": "hello", "role": "student", "code": code, "name": f"student {k + 1}"}
    await page.send(json.dumps(hello))
    await until(page, "welcome")
    return page


async def answer_after(page, question, delay, text):
    """Wait `delay` seconds, answer, wait for the receipt: (when sent, round trip in s)."""
    await asyncio.sleep(delay)  # the students' spread, part of the load (not a timing test)
    at = time.perf_counter()
    await page.send(json.dumps({"type": "answer", "question": question, "text": text}))
    await until(page, "received")
    return at, time.perf_counter() - at


async def until(socket, *types):
    """The next message of one of `types`; anything else on the way is skipped."""
    while True:
        message = json.loads(await asyncio.wait_for(socket.recv(), 30))
        if message["type"] in types:
            return message
        if message["type"] == "error":
            raise RuntimeError(f"the server refused: {message['error']}")


def first_count(counts, k):
    return next(at for at, answers in counts if answers >= k)


def percentiles(seconds):
    ms = sorted(s * 1000 for s in seconds)
    return {
        "median": statistics.median(ms),
        "p95": ms[min(len(ms) - 1, int(0.95 * len(ms)))],
        "max": ms[-1],
    }


def rss_kib(pid):
    """A process's resident memory in KiB (Linux: /proc/PID/status)."""
    with open(f"/proc/{pid}/status", encoding="utf-8") as status:
        return int(re.search(r"VmRSS:\s+(\d+)", status.read()).group(1))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.classroom", description=__doc__)
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--spread", type=float, default=2.0, help="seconds the answers spread over")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    env = os.environ | {"LANGUAGE": "en", "PYTHONUNBUFFERED": "1"}
    server = subprocess.Popen(
        [sys.executable, "-m", "demos.cli", "serve", "--no-browser", "--port", "0"],
        stdout=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        teacher_url = next(line for line in server.stdout if "#token=" in line)
        url = re.search(r"http://[\w.:]+/teacher#token=[\w-]+", teacher_url).group(0)
        base, token = url.split("/teacher#token=")
        before = rss_kib(server.pid)
        from classroom.graph import ClassGraph

        step = ClassGraph.from_lesson("chain-rule").step_of("x")  # the server's ∂f/∂x
        ws = base.replace("http", "ws") + "/ws"
        got = asyncio.run(crowd(ws, token, "", step, args.students, args.spread, args.seed))
        after = rss_kib(server.pid)
    finally:
        server.terminate()
        server.wait(10)
    print(f"{args.students} students answering within {args.spread:g} s of each other:")
    print(
        f"  received {got['received']}, counted {got['counted']}, verdicts {len(got['verdicts'])}"
    )
    print(f"  answers per second over the burst: {got['answers_per_second']:.0f}")
    for key, what in (("round_trip_ms", "answer to its receipt"),
                      ("to_teacher_count_ms", "answer to the teacher's count")):  # fmt: skip
        p = got[key]
        print(
            f"  {what}: median {p['median']:.1f} ms, p95 {p['p95']:.1f} ms, max {p['max']:.1f} ms"
        )
    print(f"  server memory: {before / 1024:.1f} MiB before, {after / 1024:.1f} MiB after "
          f"({(after - before) / args.students:.0f} KiB a student)")  # fmt: skip


if __name__ == "__main__":
    main()
