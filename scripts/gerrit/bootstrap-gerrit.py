#!/usr/bin/env python3
"""Bootstrap a freshly started test Gerrit (dev mode) for ReviewTrace tests.

Usage: bootstrap-gerrit.py <http-url> <out-dir> [--site <site-dir>] [--timeout 180] [--no-ssh-check]
                           [--view-private-changes]

Idempotent: re-running against the same server and out-dir reuses what is there.

What it does
  1. waits until GET /config/server/version answers;
  2. becomes the administrator: logs in through the DEVELOPMENT_BECOME_ANY_ACCOUNT servlet
     (GET /login/?user_name=admin, else ?account_id=1000000, else ?action=create_account: the
     first account of a site joins Administrators), loads the front page to get the
     XSRF_TOKEN cookie and sends it back as X-Gerrit-Auth to
     PUT /accounts/self/password.http {"generate": true};
     from then on everything uses HTTP basic auth on /a/ with that password;
  3. ssh-keygen -t ed25519 -> <out-dir>/admin_key(.pub); POST /a/accounts/self/sshkeys;
  4. All-Projects: label Verified (-1 Fails, 0 No score, +1 Verified; function NoBlock) plus a
     submit requirement "Verified" (MAX and no MIN), label-Verified -1..+1 for Registered Users
     on refs/*, global capability streamEvents for Administrators (with --view-private-changes
     also View Private Changes on refs/*: otherwise admin's stream misses other users' private
     changes);
  5. accounts alice, bob, carol (humans) and ci-bot (ci-bot@example.com, member of
     "Service Users"), each with its own HTTP password;
  6. writes <out-dir>/admin.json, <out-dir>/accounts.json (passwords: keep them out of
     fixtures) and <out-dir>/known_hosts (the server's SSH host keys, from
     <site>/etc/ssh_host_*_key.pub when --site is given, else ssh-keyscan);
  7. checks `ssh -p <port> -i admin_key admin@<host> gerrit version` (strict host key check).
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import secrets
import subprocess
import sys
import urllib.parse

sys.dont_write_bytecode = True  # keep scripts/gerrit free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gerrit_rest import Gerrit, GerritError, q, wait_until_up  # noqa: E402

HUMANS = [
    ("alice", "Alice Anderson", "alice@example.com"),
    ("bob", "Bob Brown", "bob@example.com"),
    ("carol", "Carol Chen", "carol@example.com"),
]
BOT = ("ci-bot", "CI Bot", "ci-bot@example.com")
REGISTERED_USERS = "global:Registered-Users"


def log(msg: str) -> None:
    print(f"bootstrap-gerrit: {msg}", file=sys.stderr, flush=True)


def die(msg: str) -> None:
    print(f"bootstrap-gerrit: ERROR: {msg}", file=sys.stderr, flush=True)
    sys.exit(1)


def load_json(path: str):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def write_json(path: str, data) -> None:
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)


def password_works(base: str, user: str, pw: str | None) -> bool:
    if not pw:
        return False
    status, _ = Gerrit(base, user, pw, timeout=15).raw("GET", "accounts/self")
    return status == 200


# --- 2. become admin ---------------------------------------------------------------------
def become_admin(base: str, out: str) -> tuple[Gerrit, dict]:
    prev = load_json(os.path.join(out, "admin.json")) or {}
    if password_works(base, prev.get("username", "admin"), prev.get("httpPassword")):
        log("reusing admin HTTP password from admin.json")
        g = Gerrit(base, prev.get("username", "admin"), prev["httpPassword"])
        return g, g.get("accounts/self/detail")

    web = Gerrit(base)  # cookie session, no basic auth
    created = False
    for params in ("user_name=admin", "account_id=1000000"):
        status, _ = web.raw("GET", "login/?" + params, auth=False, follow=False)
        if status in (302, 303) and web.cookie("GerritAccount"):
            log(f"logged in via /login/?{params}")
            break
    else:
        status, text = web.raw("GET", "login/?action=create_account", auth=False, follow=False)
        if status not in (302, 303) or not web.cookie("GerritAccount"):
            die("cannot log in through the become-any-account servlet (is auth.type "
                f"DEVELOPMENT_BECOME_ANY_ACCOUNT?): HTTP {status} {text[:200]}")
        created = True
        log("no 'admin' account: created a fresh account (first account => Administrators)")

    # The front page sets the XSRF_TOKEN cookie (not served with `daemon --headless`).
    web.raw("GET", "", auth=False)
    me = web.get("accounts/self/detail")
    if not web.cookie("XSRF_TOKEN"):
        # Headless daemon: fall back to the HTTP password that `init --batch --dev` gives admin.
        if password_works(base, "admin", "secret"):
            log("no XSRF_TOKEN cookie (headless?); using init's default admin password once")
            web = Gerrit(base, "admin", "secret")
        else:
            die("no XSRF_TOKEN cookie after loading the front page (daemon started with "
                "--headless?) and the init default admin password does not work")
    if created or not me.get("username"):
        web.put("accounts/self/username", {"username": "admin"})
        web.put("accounts/self/name", {"name": "Administrator"})
    caps = web.get("accounts/self/capabilities")
    if not caps.get("administrateServer"):
        die(f"account {me.get('_account_id')} is not an administrator (capabilities: {caps})")
    pw = web.put("accounts/self/password.http", {"generate": True})
    if not isinstance(pw, str) or not pw:
        die(f"unexpected answer to password.http: {pw!r}")
    g = Gerrit(base, "admin", pw)
    if not password_works(base, "admin", pw):
        die("the generated HTTP password does not authenticate on /a/")
    log(f"admin is account {me['_account_id']}; generated a new HTTP password")
    return g, g.get("accounts/self/detail")


# --- 3. ssh key --------------------------------------------------------------------------
def ensure_ssh_key(g: Gerrit, out: str) -> str:
    key = os.path.join(out, "admin_key")
    if not (os.path.exists(key) and os.path.exists(key + ".pub")):
        for p in (key, key + ".pub"):
            if os.path.exists(p):
                os.remove(p)
        r = subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C",
                            "admin@reviewtrace-test", "-f", key], capture_output=True, text=True)
        if r.returncode != 0:
            die(f"ssh-keygen failed: {r.stderr.strip()}")
        log(f"generated {key}")
    pub = open(key + ".pub").read().strip()
    blob = pub.split()[1]
    keys = g.get("accounts/self/sshkeys") or []
    if any(k.get("encoded_key") == blob for k in keys):
        log("admin SSH key already registered")
    else:
        g.post("accounts/self/sshkeys", pub + "\n", content_type="text/plain")
        log("registered admin SSH key")
    return os.path.abspath(key)


# --- 4. All-Projects config ----------------------------------------------------------------
def ensure_verified_label(g: Gerrit) -> None:
    if g.exists("projects/All-Projects/labels/Verified"):
        log("label Verified already exists")
    else:
        g.put("projects/All-Projects/labels/Verified", {
            "commit_message": "Add Verified label (ReviewTrace test bootstrap)",
            "values": {"-1": "Fails", " 0": "No score", "+1": "Verified"},
            "default_value": 0,
            "function": "NoBlock",
        })
        log("created label Verified on All-Projects")
    if g.exists("projects/All-Projects/submit_requirements/Verified"):
        log("submit requirement Verified already exists")
    else:
        g.put("projects/All-Projects/submit_requirements/Verified", {
            "name": "Verified",
            "description": "CI has verified the latest patch set",
            "submittability_expression": "label:Verified=MAX AND -label:Verified=MIN",
            "can_override_in_child_projects": True,
            "commit_message": "Add Verified submit requirement (ReviewTrace test bootstrap)",
        })
        log("created submit requirement Verified on All-Projects")


def group_uuid(g: Gerrit, name: str) -> str | None:
    status, _ = g.raw("GET", f"groups/{q(name)}")
    if status == 404:
        return None
    return g.get(f"groups/{q(name)}")["id"]


def ensure_access(g: Gerrit, view_private: bool = False) -> None:
    access = g.get("projects/All-Projects/access")
    local = access.get("local", {})
    add: dict = {}

    rules = local.get("refs/*", {}).get("permissions", {}).get("label-Verified", {}).get("rules", {})
    r = rules.get(REGISTERED_USERS)
    if not (r and r.get("action") == "ALLOW" and r.get("min") == -1 and r.get("max") == 1):
        add.setdefault("refs/*", {"permissions": {}})["permissions"]["label-Verified"] = {
            "rules": {REGISTERED_USERS: {"action": "ALLOW", "min": -1, "max": 1}}}

    admins = group_uuid(g, "Administrators")
    if admins is None:
        die("group Administrators not found")
    caps = local.get("GLOBAL_CAPABILITIES", {}).get("permissions", {})
    if admins not in caps.get("streamEvents", {}).get("rules", {}):
        add.setdefault("GLOBAL_CAPABILITIES", {"permissions": {}})["permissions"]["streamEvents"] = {
            "rules": {admins: {"action": "ALLOW"}}}

    # "View Private Changes" is a ref permission (not a global capability).
    vp = local.get("refs/*", {}).get("permissions", {}).get("viewPrivateChanges", {}).get("rules", {})
    if view_private and admins not in vp:
        add.setdefault("refs/*", {"permissions": {}})["permissions"]["viewPrivateChanges"] = {
            "rules": {admins: {"action": "ALLOW"}}}

    if add:
        g.post("projects/All-Projects/access",
               {"add": add, "message": "ReviewTrace test bootstrap: Verified + streamEvents"})
        log(f"updated All-Projects access: {sorted(add)}")
    else:
        log("All-Projects access already set up")


# --- 5. accounts -------------------------------------------------------------------------
def ensure_account(g: Gerrit, base: str, username: str, name: str, email: str,
                   prev: dict | None) -> dict:
    status, _ = g.raw("GET", f"accounts/{q(username)}")
    if status == 404:
        pw = secrets.token_urlsafe(24)
        info = g.put(f"accounts/{q(username)}",
                     {"name": name, "email": email, "http_password": pw}, ok=(201,))
        log(f"created account {username} ({info['_account_id']})")
    else:
        info = g.get(f"accounts/{q(username)}/detail")
        pw = (prev or {}).get("httpPassword")
        if not password_works(base, username, pw):
            pw = secrets.token_urlsafe(24)
            g.put(f"accounts/{info['_account_id']}/password.http", {"http_password": pw})
            log(f"account {username} exists; set a new HTTP password")
        else:
            log(f"account {username} exists; password in accounts.json still valid")
    if not password_works(base, username, pw):
        die(f"HTTP password of {username} does not authenticate")
    return {"accountId": info["_account_id"], "username": username, "name": name,
            "email": email, "httpPassword": pw}


def ensure_service_user(g: Gerrit, username: str) -> None:
    if group_uuid(g, "Service Users") is None:
        log("no 'Service Users' group; ci-bot stays a normal user")
        return
    members = g.get(f"groups/{q('Service Users')}/members") or []
    if not any(m.get("username") == username for m in members):
        g.put(f"groups/{q('Service Users')}/members/{q(username)}", ok=(200, 201))
        log(f"added {username} to Service Users")


# --- 6. ssh host keys ----------------------------------------------------------------------
def ssh_endpoint(g: Gerrit) -> tuple[str, int]:
    status, text = g.raw("GET", "ssh_info", auth=False)
    if status != 200 or len(text.split()) != 2:
        die(f"cannot read /ssh_info (sshd disabled?): HTTP {status} {text[:100]}")
    host, port = text.split()
    return host, int(port)


def write_known_hosts(out: str, host: str, port: int, site: str | None) -> tuple[str, list]:
    hostspec = host if port == 22 else f"[{host}]:{port}"
    lines = []
    if site:
        pubs = sorted(glob.glob(os.path.join(site, "etc", "ssh_host_*_key.pub")))
        if not pubs:
            die(f"no ssh host keys in {site}/etc")
        for p in pubs:
            parts = open(p).read().split()
            lines.append(f"{hostspec} {parts[0]} {parts[1]}")
    else:
        r = subprocess.run(["ssh-keyscan", "-p", str(port), host], capture_output=True, text=True,
                           timeout=30)
        lines = [ln for ln in r.stdout.splitlines() if ln and not ln.startswith("#")]
        if not lines:
            die(f"ssh-keyscan {host}:{port} returned no keys: {r.stderr.strip()}")
    path = os.path.join(out, "known_hosts")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    fps = []
    r = subprocess.run(["ssh-keygen", "-l", "-f", path], capture_output=True, text=True)
    for kh, ln in zip(lines, r.stdout.splitlines()):  # same order as the file
        bits = ln.split()
        if len(bits) >= 2:
            fps.append({"keyType": kh.split()[1], "bits": int(bits[0]), "sha256": bits[1]})
    return os.path.abspath(path), fps


def ssh_check(user: str, key: str, host: str, port: int, known_hosts: str) -> str:
    cmd = ["ssh", "-p", str(port), "-i", key, "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
           "-o", "StrictHostKeyChecking=yes", "-o", f"UserKnownHostsFile={known_hosts}",
           "-o", "ConnectTimeout=20", f"{user}@{host}", "gerrit", "version"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        die(f"ssh check failed ({' '.join(cmd)}): {r.stderr.strip()}")
    return r.stdout.strip()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("http_url")
    ap.add_argument("out_dir")
    ap.add_argument("--site", help="Gerrit site dir (host keys are read from <site>/etc)")
    ap.add_argument("--timeout", type=float, default=180.0, help="seconds to wait for Gerrit")
    ap.add_argument("--no-ssh-check", action="store_true")
    ap.add_argument("--view-private-changes", action="store_true",
                    help="also grant Administrators 'View Private Changes' on refs/*: without it the "
                         "stream-events of admin miss every event of other users' private changes")
    a = ap.parse_args()

    base = a.http_url.rstrip("/") + "/"
    if urllib.parse.urlparse(base).scheme not in ("http", "https"):
        die(f"not an http(s) URL: {a.http_url}")
    out = os.path.abspath(a.out_dir)
    os.makedirs(out, exist_ok=True)

    version = wait_until_up(base, a.timeout)
    log(f"Gerrit {version} is up at {base}")
    try:
        g, me = become_admin(base, out)
        key = ensure_ssh_key(g, out)
        ensure_verified_label(g)
        ensure_access(g, a.view_private_changes)
        prev = load_json(os.path.join(out, "accounts.json")) or {}
        accounts = {"admin": {"accountId": me["_account_id"], "username": "admin",
                              "name": me.get("name"), "email": me.get("email"),
                              "httpPassword": g.password, "sshKey": key}}
        for username, name, email in HUMANS + [BOT]:
            accounts[username] = ensure_account(g, base, username, name, email,
                                                prev.get(username))
        ensure_service_user(g, BOT[0])
        host, port = ssh_endpoint(g)
    except GerritError as e:
        die(str(e))

    known_hosts, fps = write_known_hosts(out, host, port, a.site)
    admin = {"username": "admin", "httpPassword": g.password, "sshKey": key,
             "accountId": me["_account_id"], "email": me.get("email"), "httpUrl": base,
             "sshHost": host, "sshPort": port, "knownHosts": known_hosts,
             "hostKeyFingerprints": fps, "gerritVersion": version}
    write_json(os.path.join(out, "admin.json"), admin)
    write_json(os.path.join(out, "accounts.json"), accounts)
    if not a.no_ssh_check:
        log("ssh check: " + ssh_check("admin", key, host, port, known_hosts))
    log(f"done: {out}/admin.json {out}/accounts.json {known_hosts}")


if __name__ == "__main__":
    main()
