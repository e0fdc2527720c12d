#!/usr/bin/env python3
"""Capture REAL Gerrit event fixtures for ReviewTrace.

Usage: capture-fixtures.py [--out server/gerrit/fixtures] [--workdir DIR] [--keep]

Starts a throw-away Gerrit (start-gerrit.sh, free loopback ports, temp site), bootstraps it
(bootstrap-gerrit.py), attaches `ssh ... gerrit stream-events` as admin, drives a realistic
review scenario over REST with several accounts, then writes to --out:

  stream-events.jsonl  raw stream-events stdout, byte for byte, one JSON object per line
  rest-changes.json    GET /a/changes/?q=project:reviewtrace-demo&o=ALL_REVISIONS&o=MESSAGES
                       &o=DETAILED_LABELS&o=DETAILED_ACCOUNTS&o=REVIEWER_UPDATES&o=ALL_COMMITS
                       &o=SUBMITTABLE after the scenario ()]}' stripped, re-indented)
  ssh-query.jsonl      raw `gerrit query --format=JSON --all-approvals --patch-sets --comments
                       --all-reviewers --files project:reviewtrace-demo`
  scenario.json        what the driver did (steps with wall-clock times, change numbers,
                       accounts without passwords, timings, host key fingerprints)
  README.md            version, scenario, event types and the event-vs-REST comparison,
                       generated from the files above by fixture_report.py

Gerrit is stopped at the end (SIGTERM to the daemon this script started), also on errors.
Python 3 stdlib only; needs java, ssh, ssh-keygen (see install-gerrit.sh / start-gerrit.sh).
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import difflib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # keep scripts/gerrit free of __pycache__
sys.path.insert(0, HERE)
from gerrit_rest import Gerrit, GerritError, parse_json, q, wait_until_up  # noqa: E402
from fixture_report import write_readme  # noqa: E402

REPO_ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
PROJECT = "reviewtrace-demo"
REST_OPTIONS = ["ALL_REVISIONS", "MESSAGES", "DETAILED_LABELS", "DETAILED_ACCOUNTS",
                "REVIEWER_UPDATES", "ALL_COMMITS", "SUBMITTABLE"]
QUERY_CMD = ["gerrit", "query", "--format=JSON", "--all-approvals", "--patch-sets", "--comments",
             "--all-reviewers", "--files", f"project:{PROJECT}"]
STEP_PAUSE = 1.2  # seconds between scenario actions: distinct timestamps, realistic pacing


def log(msg: str) -> None:
    print(f"capture-fixtures: {msg}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ------------------------------------------------------------------------------------------
# stream-events reader
class EventStream:
    def __init__(self, cmd: list[str], path: str):
        self.lines: list[bytes] = []
        self.last_rx = time.monotonic()
        self.cond = threading.Condition()
        self.out = open(path, "wb")
        self.err = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=self.err)
        self.thread = threading.Thread(target=self._pump, daemon=True)
        self.thread.start()

    def _pump(self):
        for raw in iter(self.proc.stdout.readline, b""):
            self.out.write(raw)
            self.out.flush()
            with self.cond:
                self.lines.append(raw)
                self.last_rx = time.monotonic()
                self.cond.notify_all()

    def events(self) -> list[dict]:
        with self.cond:
            return [json.loads(ln) for ln in self.lines]

    def wait_for(self, pred, timeout=30.0) -> dict:
        deadline = time.monotonic() + timeout
        with self.cond:
            seen = 0
            while True:
                for ln in self.lines[seen:]:
                    ev = json.loads(ln)
                    if pred(ev):
                        return ev
                seen = len(self.lines)
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    self.err.seek(0)
                    raise SystemExit("stream-events: expected event did not arrive "
                                     f"(ssh rc={self.proc.poll()}, stderr={self.err.read()[:300]!r})")
                self.cond.wait(left)

    def drain(self, idle=4.0, timeout=60.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if time.monotonic() - self.last_rx >= idle:
                return
            time.sleep(0.2)

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.thread.join(5)
        self.out.close()


# ------------------------------------------------------------------------------------------
# scenario helpers
def new_file_patch(path: str, text: str) -> str:
    lines = text.splitlines(keepends=True)
    body = "".join("+" + ln for ln in lines)
    return (f"diff --git a/{path} b/{path}\nnew file mode 100644\n--- /dev/null\n+++ b/{path}\n"
            f"@@ -0,0 +1,{len(lines)} @@\n{body}")


def modify_patch(path: str, old: str, new: str) -> str:
    diff = difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                f"a/{path}", f"b/{path}")
    return f"diff --git a/{path} b/{path}\n" + "".join(diff)


README_V1 = """# reviewtrace-demo

Demo project for ReviewTrace fixtures.
"""
CONFIG_V1 = """import json


def load_config(path):
    with open(path) as f:
        return json.load(f)
"""
GREET_V1 = """def greet(name):
    # TODO handle empty names
    return "Helo, " + name + "!"


def farewell(name):
    return "Bye, " + name


def unused():
    pass
"""
GREET_V2 = """def greet(name):
    \"\"\"Return a friendly greeting for name.\"\"\"
    if not name:
        name = "stranger"
    return "Hello, " + name + "!"


def farewell(name):
    \"\"\"Return a goodbye message for name.\"\"\"
    return "Bye, " + name
"""
README_V2 = README_V1 + """
## Usage

    python -c 'from src.greet import greet; print(greet("world"))'
"""
CONFIG_V2 = """import json
import os


def load_config(path, env=None):
    env = env if env is not None else os.environ
    with open(path) as f:
        cfg = json.load(f)
    cfg.update({k[4:].lower(): v for k, v in env.items() if k.startswith("RTD_")})
    return cfg
"""


class Scenario:
    def __init__(self, base: str, accounts: dict, stream: EventStream):
        self.base = base
        self.acc = accounts
        self.g = {u: Gerrit(base, u, a["httpPassword"]) for u, a in accounts.items()}
        self.stream = stream
        self.steps: list[dict] = []
        self.changes: dict[str, int] = {}

    def step(self, actor: str, desc: str, fn, *args, **kw):
        time.sleep(STEP_PAUSE)
        t = time.time()
        try:
            res = fn(self.g[actor], *args, **kw)
        except GerritError as e:
            raise SystemExit(f"scenario step failed: {actor}: {desc}: {e}")
        self.steps.append({"n": len(self.steps) + 1, "actor": actor, "desc": desc,
                           "at": dt.datetime.fromtimestamp(t, dt.timezone.utc).isoformat(
                               timespec="milliseconds")})
        log(f"step {len(self.steps):2d} [{actor}] {desc}")
        return res

    def cid(self, key: str) -> str:
        return f"{q(PROJECT)}~{self.changes[key]}"

    def create(self, actor, key, subject, patch=None, **extra):
        body = {"project": PROJECT, "branch": "master", "subject": subject, **extra}
        if patch:
            body["patch"] = {"patch": patch}
        info = self.step(actor, f"create change '{subject}'" +
                         (f" ({', '.join(f'{k}={v}' for k, v in extra.items())})" if extra else ""),
                         lambda g: g.post("changes/", body, ok=(201,)))
        self.changes[key] = info["_number"]
        return info

    def review(self, actor, key, desc, message=None, labels=None, comments=None, tag=None,
               revision="current", **extra):
        body = dict(extra)
        if message is not None:
            body["message"] = message
        if labels:
            body["labels"] = labels
        if comments:
            body["comments"] = comments
        if tag:
            body["tag"] = tag
        return self.step(actor, desc, lambda g: g.post(
            f"changes/{self.cid(key)}/revisions/{revision}/review", body))

    def edit_publish(self, actor, key, path, content, desc):
        def fn(g):
            g.put(f"changes/{self.cid(key)}/edit/{q(path)}", content,
                  content_type="application/octet-stream")
            g.post(f"changes/{self.cid(key)}/edit:publish", {"notify": "NONE"}, ok=(204,))
        return self.step(actor, desc, fn)

    # ------------------------------------------------------------------------------------
    def run(self):
        s = self
        # --- setup ------------------------------------------------------------------------
        s.step("admin", "create group reviewtrace-maintainers {bob, carol}",
               lambda g: g.put("groups/reviewtrace-maintainers",
                               {"description": "may +2 and submit in reviewtrace-demo",
                                "members": ["bob", "carol"]}, ok=(201,)))
        maint = s.g["admin"].get("groups/reviewtrace-maintainers")["id"]
        s.step("admin", f"create project {PROJECT} (empty initial commit)",
               lambda g: g.put(f"projects/{PROJECT}",
                               {"description": "ReviewTrace fixture project",
                                "create_empty_commit": True, "submit_type": "REBASE_IF_NECESSARY"},
                               ok=(201,)))
        self.stream.wait_for(lambda e: e.get("type") == "project-created"
                             and e.get("projectName") == PROJECT)
        s.step("admin", "grant Code-Review -2..+2 and Submit on refs/heads/* to reviewtrace-maintainers",
               lambda g: g.post(f"projects/{PROJECT}/access", {"add": {"refs/heads/*": {
                   "permissions": {
                       "label-Code-Review": {"rules": {maint: {"action": "ALLOW", "min": -2,
                                                               "max": 2}}},
                       "submit": {"rules": {maint: {"action": "ALLOW"}}}}}}}))

        # --- change "seed": initial skeleton, merged -----------------------------------------
        s.create("admin", "seed", "Add project skeleton",
                 new_file_patch("README.md", README_V1) + new_file_patch("src/config.py", CONFIG_V1))
        s.review("ci-bot", "seed", "ci-bot: Verified+1 on seed PS1",
                 message="Build #100 succeeded", labels={"Verified": 1}, tag="autogenerated:ci")
        s.review("admin", "seed", "admin: Code-Review+2 and Verified+1 in one review on seed PS1",
                 labels={"Code-Review": 2, "Verified": 1})
        s.step("admin", "submit seed change",
               lambda g: g.post(f"changes/{s.cid('seed')}/revisions/current/submit"))

        # --- change B (created early, rebased later => TRIVIAL_REBASE) ---------------------------
        s.create("bob", "B", "Document usage in README",
                 modify_patch("README.md", README_V1, README_V2))
        s.review("bob", "B", "bob: add reviewers alice + carol via set-review",
                 reviewers=[{"reviewer": "alice"}, {"reviewer": "carol"}])
        s.review("alice", "B", "alice: Code-Review+1 on B PS1", message="Nice.",
                 labels={"Code-Review": 1})
        s.review("carol", "B", "carol: Code-Review+2 on B PS1", labels={"Code-Review": 2})

        # --- change A: full review loop, merged ---------------------------------------------
        s.create("alice", "A", "Add greeting module", new_file_patch("src/greet.py", GREET_V1))
        s.step("alice", "alice: add reviewer bob (POST /reviewers)",
               lambda g: g.post(f"changes/{s.cid('A')}/reviewers", {"reviewer": "bob"}))
        s.step("alice", "alice: add reviewer carol (POST /reviewers)",
               lambda g: g.post(f"changes/{s.cid('A')}/reviewers", {"reviewer": "carol"}))
        s.step("alice", "alice: add admin as CC (POST /reviewers state=CC)",
               lambda g: g.post(f"changes/{s.cid('A')}/reviewers",
                                {"reviewer": "admin", "state": "CC"}))
        s.review("ci-bot", "A", "ci-bot: Verified-1 on A PS1",
                 message="Build #101 failed: 2 unit tests failing", labels={"Verified": -1},
                 tag="autogenerated:ci")
        s.review("bob", "A", "bob: Code-Review-1 + 2 inline comments on A PS1",
                 message="A few nits.", labels={"Code-Review": -1},
                 comments={"src/greet.py": [
                     {"line": 3, "message": "Typo: 'Helo'.", "unresolved": True},
                     {"line": 10, "message": "Is this still needed?", "unresolved": True}]})
        bob_comments = [c for c in s.g["alice"].get(f"changes/{s.cid('A')}/comments")["src/greet.py"]
                        if c["author"]["username"] == "bob"]
        s.review("alice", "A", "alice: reply to bob's inline comments (no votes)",
                 message="Thanks, fixing.",
                 comments={"src/greet.py": [
                     {"line": c["line"], "in_reply_to": c["id"], "message": "Done",
                      "unresolved": False} for c in bob_comments]})
        s.review("bob", "A", "bob: changes his vote on A PS1 from -1 to +1 after the reply",
                 message="OK, fine once fixed.", labels={"Code-Review": 1})
        s.edit_publish("alice", "A", "src/greet.py", GREET_V2,
                       "alice: change edit of src/greet.py + edit:publish => A PS2")
        s.review("ci-bot", "A", "ci-bot: Verified+1 on A PS2", message="Build #102 succeeded",
                 labels={"Verified": 1}, tag="autogenerated:ci")
        s.review("bob", "A", "bob: Code-Review+1 on A PS2", message="Looks better now.",
                 labels={"Code-Review": 1})
        s.review("carol", "A", "carol: Code-Review+2 + patchset-level comment on A PS2",
                 message="LGTM", labels={"Code-Review": 2},
                 comments={"/PATCHSET_LEVEL": [{"message": "Ship it.", "unresolved": False}]})
        s.review("bob", "A", "bob: message only, no labels (his +1 unchanged)",
                 message="Thanks for the quick turnaround!")
        s.review("carol", "A", "carol: re-sends Code-Review+2 (same value) with a message",
                 message="Still +2.", labels={"Code-Review": 2})
        s.review("ci-bot", "A", "ci-bot: Verified+1 again (same value) and Code-Review 0 (no-op)",
                 message="Build #103 succeeded (re-run)", labels={"Verified": 1, "Code-Review": 0},
                 tag="autogenerated:ci")
        s.step("alice", "alice: set topic 'greetings'",
               lambda g: g.put(f"changes/{s.cid('A')}/topic", {"topic": "greetings"}))
        s.step("alice", "alice: add hashtags feature, demo",
               lambda g: g.post(f"changes/{s.cid('A')}/hashtags", {"add": ["feature", "demo"]}))
        s.step("alice", "alice: remove hashtag demo",
               lambda g: g.post(f"changes/{s.cid('A')}/hashtags", {"remove": ["demo"]}))
        s.step("carol", "carol: submit A",
               lambda g: g.post(f"changes/{s.cid('A')}/revisions/current/submit"))

        # --- change B continued: rebase onto A => PS2 kind TRIVIAL_REBASE, votes copied -------
        s.step("bob", "bob: rebase B onto new master (=> B PS2, TRIVIAL_REBASE)",
               lambda g: g.post(f"changes/{s.cid('B')}/rebase", {}))
        s.review("ci-bot", "B", "ci-bot: Verified+1 on B PS2", message="Build #104 succeeded",
                 labels={"Verified": 1}, tag="autogenerated:ci")
        s.review("carol", "B", "carol: Code-Review 0 on B PS2 (removes her copied +2)",
                 labels={"Code-Review": 0})
        s.review("carol", "B", "carol: Code-Review+2 on B PS2 again, with message",
                 message="Re-approving after rebase.", labels={"Code-Review": 2})

        # --- change C: WIP / private / vote deleted / reviewer removed / abandon-restore ------
        s.create("alice", "C", "Read config overrides from environment",
                 modify_patch("src/config.py", CONFIG_V1, CONFIG_V2), work_in_progress=True)
        s.step("alice", "alice: mark C ready for review (WIP off)",
               lambda g: g.post(f"changes/{s.cid('C')}/ready", {"message": "Ready for review"}))
        s.review("alice", "C", "alice: add reviewers bob + carol via set-review",
                 reviewers=[{"reviewer": "bob"}, {"reviewer": "carol"}])
        s.review("bob", "C", "bob: Code-Review+1 on C PS1", labels={"Code-Review": 1})
        s.review("carol", "C", "carol: Code-Review-2 on C PS1",
                 message="This conflicts with the config redesign.", labels={"Code-Review": -2})
        s.step("alice", "alice: set C WIP again",
               lambda g: g.post(f"changes/{s.cid('C')}/wip",
                                {"message": "Reworking after feedback"}))
        s.step("alice", "alice: mark C private",
               lambda g: g.post(f"changes/{s.cid('C')}/private", {}, ok=(200, 201)))
        s.step("alice", "alice: unmark C private",
               lambda g: g.delete(f"changes/{s.cid('C')}/private"))
        s.step("alice", "alice: set C ready again",
               lambda g: g.post(f"changes/{s.cid('C')}/ready", {}))
        s.step("admin", "admin: delete carol's Code-Review-2 vote on C",
               lambda g: g.post(f"changes/{s.cid('C')}/reviewers/carol/votes/Code-Review/delete",
                                {"notify": "NONE"}, ok=(200, 204)))
        s.step("alice", "alice: remove reviewer bob from C",
               lambda g: g.delete(f"changes/{s.cid('C')}/reviewers/bob"))
        s.step("alice", "alice: abandon C",
               lambda g: g.post(f"changes/{s.cid('C')}/abandon",
                                {"message": "Superseded by the config redesign."}))
        s.step("alice", "alice: restore C",
               lambda g: g.post(f"changes/{s.cid('C')}/restore",
                                {"message": "Restoring to salvage the tests."}))
        s.step("alice", "alice: abandon C again",
               lambda g: g.post(f"changes/{s.cid('C')}/abandon", {"message": "Abandoning for good."}))

        # --- change D: open, no reviewers, commit-message-only PS2 (NO_CODE_CHANGE) ---------
        s.create("carol", "D", "Experiment: cache greetings",
                 new_file_patch("src/cache.py", "CACHE = {}\n"))
        s.step("carol", "carol: edit commit message of D (=> D PS2, NO_CODE_CHANGE)",
               lambda g: g.put(f"changes/{s.cid('D')}/message", {
                   "message": "Experiment: cache greetings in memory\n\nNot ready for review yet.\n\n"
                              f"Change-Id: {g.get('changes/' + s.cid('D'))['change_id']}\n"}))

        # --- change E: created and deleted ----------------------------------------------
        s.create("alice", "E", "Scratch change (to be deleted)",
                 new_file_patch("scratch.txt", "scratch\n"))
        s.step("admin", "admin: delete change E",
               lambda g: g.delete(f"changes/{s.cid('E')}", ok=(204,)))


# ------------------------------------------------------------------------------------------
def ssh_base(admin: dict) -> list[str]:
    return ["ssh", "-p", str(admin["sshPort"]), "-i", admin["sshKey"], "-o", "BatchMode=yes",
            "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=yes",
            "-o", f"UserKnownHostsFile={admin['knownHosts']}", "-o", "ConnectTimeout=20",
            "-o", "ServerAliveInterval=15", f"admin@{admin['sshHost']}"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(REPO_ROOT, "server", "gerrit", "fixtures"))
    ap.add_argument("--workdir", help="where the site + credentials go (default: a temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the workdir (site, logs, creds)")
    a = ap.parse_args()

    work = os.path.abspath(a.workdir) if a.workdir else tempfile.mkdtemp(prefix="rt-gerrit-")
    os.makedirs(work, exist_ok=True)
    os.makedirs(a.out, exist_ok=True)
    site, creds = os.path.join(work, "site"), os.path.join(work, "creds")
    http_port, ssh_port = free_port(), free_port()
    while ssh_port == http_port:
        ssh_port = free_port()
    base = f"http://127.0.0.1:{http_port}/"

    r = subprocess.run([os.path.join(HERE, "install-gerrit.sh")], capture_output=True, text=True)
    if r.returncode != 0:
        sys.stderr.write(r.stderr)
        raise SystemExit("install-gerrit.sh failed")
    war = r.stdout.strip().splitlines()[-1]

    timings = {}
    daemon_log = open(os.path.join(work, "daemon.log"), "wb")
    t0 = time.monotonic()
    daemon = subprocess.Popen([os.path.join(HERE, "start-gerrit.sh"), site, str(http_port),
                               str(ssh_port)], stdin=subprocess.DEVNULL, stdout=daemon_log,
                              stderr=subprocess.STDOUT, env=dict(os.environ, GERRIT_WAR=war))
    stream = None
    try:
        version = wait_until_up(base, 240)
        timings["init_and_start_s"] = round(time.monotonic() - t0, 1)
        t1 = time.monotonic()
        subprocess.run([sys.executable, os.path.join(HERE, "bootstrap-gerrit.py"), base, creds,
                        "--site", site], check=True)
        timings["bootstrap_s"] = round(time.monotonic() - t1, 1)
        admin = json.load(open(os.path.join(creds, "admin.json")))
        accounts = json.load(open(os.path.join(creds, "accounts.json")))

        raw_events = os.path.join(a.out, "stream-events.jsonl")
        stream = EventStream(ssh_base(admin) + ["gerrit", "stream-events"], raw_events)
        time.sleep(2.0)  # let the stream-events command register its listener
        scen = Scenario(base, accounts, stream)
        t2 = time.monotonic()
        scen.run()
        timings["scenario_s"] = round(time.monotonic() - t2, 1)
        stream.drain()
        stream.close()

        g = Gerrit(base, "admin", admin["httpPassword"])
        path = f"changes/?q={q('project:' + PROJECT)}&" + "&".join(f"o={o}" for o in REST_OPTIONS)
        status, text = g.raw("GET", path)
        if status != 200:
            raise SystemExit(f"GET {path}: HTTP {status} {text[:300]}")
        rest = parse_json(text)
        with open(os.path.join(a.out, "rest-changes.json"), "w") as f:
            json.dump(rest, f, indent=2, ensure_ascii=False)
            f.write("\n")
        r = subprocess.run(ssh_base(admin) + QUERY_CMD, capture_output=True, timeout=120)
        if r.returncode != 0:
            raise SystemExit(f"gerrit query failed: {r.stderr.decode()[:300]}")
        with open(os.path.join(a.out, "ssh-query.jsonl"), "wb") as f:
            f.write(r.stdout)

        meta = {
            "gerritVersion": version,
            "war": os.path.basename(war),
            "timings": timings,
            "project": PROJECT,
            "changes": scen.changes,
            "accounts": {u: {k: v for k, v in acc.items() if k in ("accountId", "username",
                                                                   "name", "email")}
                         for u, acc in accounts.items()},
            "sshHostKeyFingerprints": admin["hostKeyFingerprints"],
            "restQuery": "/a/" + path,
            "sshQuery": " ".join(QUERY_CMD),
            "steps": scen.steps,
        }
        with open(os.path.join(a.out, "scenario.json"), "w") as f:
            json.dump(meta, f, indent=2)
            f.write("\n")
        write_readme(a.out)
        log(f"fixtures written to {a.out}; timings {timings}")
    finally:
        if stream is not None:
            stream.close()
        if daemon.poll() is None:
            daemon.send_signal(signal.SIGTERM)
            try:
                daemon.wait(60)
            except subprocess.TimeoutExpired:
                daemon.kill()
                daemon.wait()
        daemon_log.close()
        if a.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
