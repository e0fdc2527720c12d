#!/usr/bin/env python3
"""Analyse captured Gerrit fixtures and (re)generate their README.md.

Usage: fixture_report.py <fixtures-dir>        (capture-fixtures.py calls write_readme())

Reads stream-events.jsonl, rest-changes.json, ssh-query.jsonl and scenario.json and compares
stream events with REST data: timestamps, approvals/oldValue, comment texts, account fields.
Every number and example in the README is computed from those files.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import os
import re
import sys

ACCOUNT_KEYS = {"_account_id", "name", "email", "username", "display_name", "tags",
                "secondary_emails", "status", "inactive", "avatars"}


def rest_ts(s: str) -> int:
    """REST timestamp 'YYYY-MM-DD hh:mm:ss.nnnnnnnnn' (UTC) -> epoch seconds, floored."""
    return int(dt.datetime.strptime(s[:19], "%Y-%m-%d %H:%M:%S")
               .replace(tzinfo=dt.timezone.utc).timestamp())


def iso(sec: int) -> str:
    return dt.datetime.fromtimestamp(sec, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def load(out: str):
    with open(os.path.join(out, "stream-events.jsonl"), "rb") as f:
        raw = f.read()
    events = [json.loads(ln) for ln in raw.splitlines() if ln.strip()]
    rest = json.load(open(os.path.join(out, "rest-changes.json")))
    query = [json.loads(ln) for ln in open(os.path.join(out, "ssh-query.jsonl")) if ln.strip()]
    meta = json.load(open(os.path.join(out, "scenario.json")))
    return raw, events, rest, query, meta


def account_shapes(obj, path="", acc=None):
    """Collects {path: set-of-keysets} of account-like objects (dicts with username/email)."""
    if acc is None:
        acc = collections.defaultdict(set)
    if isinstance(obj, dict):
        keys = set(obj)
        if ("username" in keys or "email" in keys or "_account_id" in keys) and keys <= ACCOUNT_KEYS:
            acc[path].add(tuple(sorted(keys)))
            return acc
        for k, v in obj.items():
            k = re.sub(r"^[0-9a-f]{40}$", "<sha1>", k)
            k = re.sub(r"^[0-9]{5,}$", "<account_id>", k)
            account_shapes(v, f"{path}.{k}" if path else k, acc)
    elif isinstance(obj, list):
        for v in obj:
            account_shapes(v, path + "[]", acc)
    return acc


def first_line(s: str, n=70) -> str:
    s = s.replace("\n", "\\n")
    return s if len(s) <= n else s[: n - 1] + "…"


def md_code(s: str) -> str:
    return "`" + s.replace("`", "'").replace("|", "\\|") + "`"


class Analysis:
    def __init__(self, events, rest, meta):
        self.events = events
        self.rest = {c["_number"]: c for c in rest}
        self.meta = meta

    # -- comment-added <-> REST messages ----------------------------------------------------
    def comment_added(self):
        rows = []
        for e in self.events:
            if e["type"] != "comment-added":
                continue
            ch = self.rest.get(e["change"]["number"])
            cands = [m for m in (ch or {}).get("messages", [])
                     if m.get("author", {}).get("username") == e["author"].get("username")
                     and m.get("_revision_number") == e["patchSet"]["number"]]
            exact = [m for m in cands if m["message"] == e["comment"]]
            pool = exact or cands
            m = min(pool, key=lambda m: abs(rest_ts(m["date"]) - e["eventCreatedOn"])) if pool else None
            rows.append({"ev": e, "msg": m, "text_equal": bool(exact),
                         "delta": None if m is None else e["eventCreatedOn"] - rest_ts(m["date"])})
        return rows

    # -- patchset-created <-> revisions ------------------------------------------------------
    def patchset_created(self):
        rows = []
        for e in self.events:
            if e["type"] != "patchset-created":
                continue
            ch = self.rest.get(e["change"]["number"])
            rev = None
            if ch:
                rev = next((r for r in ch["revisions"].values()
                            if r["_number"] == e["patchSet"]["number"]), None)
            rows.append({"ev": e, "rev": rev, "change": ch,
                         "delta": None if rev is None else e["eventCreatedOn"] - rest_ts(rev["created"]),
                         "ps_delta": None if rev is None else
                         e["patchSet"]["createdOn"] - rest_ts(rev["created"])})
        return rows

    # -- reviewer-added <-> reviewer_updates ------------------------------------------------
    def reviewer_added(self):
        rows, used = [], set()
        for e in self.events:
            if e["type"] != "reviewer-added":
                continue
            ch = self.rest.get(e["change"]["number"], {})
            ups = [(i, u) for i, u in enumerate(ch.get("reviewer_updates", []))
                   if u["reviewer"].get("username") == e["reviewer"].get("username")
                   and u["state"] == "REVIEWER"]
            best = min(ups, key=lambda iu: abs(rest_ts(iu[1]["updated"]) - e["eventCreatedOn"]),
                       default=None)
            if best:
                used.add((e["change"]["number"], best[0]))
            rows.append({"ev": e, "upd": best and best[1],
                         "delta": None if not best else e["eventCreatedOn"] - rest_ts(best[1]["updated"])})
        unmatched = []
        for num, ch in self.rest.items():
            for i, u in enumerate(ch.get("reviewer_updates", [])):
                if (num, i) not in used and u["state"] in ("REVIEWER", "CC"):
                    unmatched.append((num, u))
        return rows, unmatched

    def reviewer_groups(self):
        """reviewer-added events of one operation (same change, adder, second) vs the REST
        reviewer_updates written by that operation."""
        groups = collections.OrderedDict()
        for e in self.events:
            if e["type"] == "reviewer-added":
                key = (e["change"]["number"], e["adder"]["username"], e["eventCreatedOn"])
                groups.setdefault(key, []).append(e["reviewer"]["username"])
        out = []
        for (num, adder, sec), got in groups.items():
            ups = [u["reviewer"]["username"] for u in self.rest.get(num, {}).get("reviewer_updates", [])
                   if u["state"] == "REVIEWER" and u["updated_by"].get("username") == adder
                   and abs(rest_ts(u["updated"]) - sec) <= 1]
            out.append({"change": num, "adder": adder, "sec": sec, "events": got, "rest": ups})
        return out

    # -- other events with a change message -------------------------------------------------
    TAGS = {
        "wip-state-changed": ("autogenerated:gerrit:setWorkInProgress",
                              "autogenerated:gerrit:setReadyForReview"),
        "private-state-changed": ("autogenerated:gerrit:setPrivate",
                                  "autogenerated:gerrit:unsetPrivate"),
        "topic-changed": ("autogenerated:gerrit:setTopic",),
        "hashtags-changed": ("autogenerated:gerrit:setHashtag",),
        "change-merged": ("autogenerated:gerrit:merged",),
        "change-abandoned": ("autogenerated:gerrit:abandon",),
        "change-restored": ("autogenerated:gerrit:restore",),
        "vote-deleted": ("autogenerated:gerrit:deleteVote",),
        "reviewer-deleted": ("autogenerated:gerrit:deleteReviewer",),
    }

    def other_events(self):
        rows = []
        for e in self.events:
            tags = self.TAGS.get(e["type"])
            if not tags:
                continue
            ch = self.rest.get(e.get("change", {}).get("number"))
            cands = [m for m in (ch or {}).get("messages", []) if m.get("tag") in tags]
            m = min(cands, key=lambda m: abs(rest_ts(m["date"]) - e["eventCreatedOn"]), default=None)
            rows.append({"ev": e, "msg": m,
                         "delta": None if m is None else e["eventCreatedOn"] - rest_ts(m["date"])})
        return rows

    # -- approvals / oldValue --------------------------------------------------------------
    def approvals(self):
        """For each comment-added approval: previous value of that author+label on that patch
        set (from earlier events: comment-added, vote-deleted), and whether oldValue is set."""
        state: dict = {}
        rows = []
        for e in self.events:
            if e["type"] == "patchset-created" and e["patchSet"]["number"] > 1:
                # Copied votes (copy conditions of this site): Code-Review is copied for
                # NO_CHANGE / TRIVIAL_REBASE and when it is -2 (is:MIN); Verified never.
                num, ps = e["change"]["number"], e["patchSet"]["number"]
                kind = e["patchSet"].get("kind")
                for (n, p, who, label), v in list(state.items()):
                    if n == num and p == ps - 1 and label == "Code-Review" and (
                            kind in ("NO_CHANGE", "TRIVIAL_REBASE") or v == "-2"):
                        state[(n, ps, who, label)] = v
                continue
            if e["type"] not in ("comment-added", "vote-deleted"):
                continue
            num, ps = e["change"]["number"], e["patchSet"]["number"]
            who = (e.get("author") or e.get("reviewer") or {}).get("username")
            for a in e.get("approvals", []):
                key = (num, ps, who, a["type"])
                prev = state.get(key, "0")
                if e["type"] == "comment-added":
                    rows.append({"ev": e, "label": a["type"], "value": a["value"], "prev": prev,
                                 "changed": a["value"] != prev, "old": a.get("oldValue")})
                state[key] = a["value"]
        return rows


def pct(n, d):
    return f"{n}/{d}"


def delta_summary(rows):
    c = collections.Counter(r["delta"] for r in rows)
    return ", ".join(f"Δ={k:+d}s: {v}" if k is not None else f"unmatched: {v}"
                     for k, v in sorted(c.items(), key=lambda kv: (kv[0] is None, kv[0] or 0)))


def write_readme(out: str) -> None:
    raw, events, rest, query, meta = load(out)
    an = Analysis(events, rest, meta)
    types = collections.Counter(e["type"] for e in events)
    ca = an.comment_added()
    pc = an.patchset_created()
    ra, ra_unmatched = an.reviewer_added()
    oth = an.other_events()
    ap = an.approvals()
    acc = {u: a for u, a in meta["accounts"].items()}
    changes = meta["changes"]
    t = meta["timings"]
    L = []
    w = L.append

    w("# Gerrit fixtures (real captures)")
    w("")
    w("Captured from a real Gerrit by `scripts/gerrit/capture-fixtures.py` (this README is "
      "generated by `scripts/gerrit/fixture_report.py` from the files next to it; every number "
      "and example below is computed from them).")
    w("")
    w("| | |")
    w("|---|---|")
    w(f"| Gerrit version | **{meta['gerritVersion']}** (`{meta['war']}`, Java 17, "
      "NoteDb, lucene index, auth `DEVELOPMENT_BECOME_ANY_ACCOUNT`) |")
    w(f"| timings on the 2-core box | init + daemon start until REST answers: "
      f"{t.get('init_and_start_s')} s; bootstrap: {t.get('bootstrap_s')} s; scenario: "
      f"{t.get('scenario_s')} s |")
    w(f"| project | `{meta['project']}` (branch `master`, submit type REBASE_IF_NECESSARY) |")
    w(f"| changes | " + ", ".join(f"{k} = #{v}" for k, v in changes.items()) + " |")
    w(f"| stream | `ssh -p <port> admin@127.0.0.1 gerrit stream-events` ({len(events)} lines) |")
    w(f"| REST | `GET {meta['restQuery']}` |")
    w(f"| SSH query | `{meta['sshQuery']}` |")
    w("")
    w("The war is the one `scripts/gerrit/install-gerrit.sh` produces. "
      "`com.google.gerrit:gerrit-war` does not resolve from Maven Central (tried 3.10.0–3.10.12; "
      "Gerrit ships release wars from its own download site, unreachable here), and "
      "`gerrit-plugin-api` / `gerrit-acceptance-framework` exist on Central for 3.10.0–3.10.2 "
      "only, so 3.10.2 is the newest 3.10.x obtainable. The script assembles a war with the "
      "release layout (`WEB-INF/lib/*.jar` + `GerritLauncher` as Main-Class) from those two "
      "release jars (+ Bouncy Castle 1.72): the server classes of the " + meta["gerritVersion"] +
      " release (`gerrit version` reports " + meta["gerritVersion"] + "), without bundled "
      "plugins and without the PolyGerrit JS bundle.")
    w("")
    w("## Files")
    w("")
    w("- `stream-events.jsonl`: stdout of `gerrit stream-events` **byte for byte** (one JSON "
      "object per line, in arrival order) for the whole scenario.")
    w("- `rest-changes.json`: the REST query above after the scenario, `)]}'` stripped, "
      "re-indented. Deleted change E is (necessarily) absent.")
    w("- `ssh-query.jsonl`: raw stdout of the SSH query (one change per line + a final "
      "`{\"type\":\"stats\"}` line).")
    w("- `scenario.json`: what the driver did, with wall-clock times (UTC, ms), change numbers, "
      "accounts (ids, usernames, names, e-mails; no passwords), SSH host key fingerprints.")
    w("")
    w("Accounts:")
    w("")
    w("| username | account id | name | email | note |")
    w("|---|---|---|---|---|")
    for u, a in acc.items():
        note = {"admin": "Administrators; created by `init --batch --dev`; runs the stream",
                "ci-bot": "member of *Service Users* (REST marks it `tags: [\"SERVICE_USER\"]`)"
                }.get(u, "member of reviewtrace-maintainers (may +2/submit)"
                      if u in ("bob", "carol") else "")
        w(f"| {u} | {a['accountId']} | {a['name']} | {a['email']} | {note} |")
    w("")

    w("## Scenario")
    w("")
    w("Each step is one REST call (or two for the change edit) by the named account, about "
      "1.2 s apart.")
    w("")
    for s in meta["steps"]:
        w(f"{s['n']}. `{s['at'][11:23]}` **{s['actor']}**: {s['desc']}")
    w("")

    w("## Event types captured")
    w("")
    w("| type | count |")
    w("|---|---|")
    for k, v in sorted(types.items(), key=lambda kv: -kv[1]):
        w(f"| `{k}` | {v} |")
    w("")
    chev = [(i, e) for i, e in enumerate(events) if "change" in e]
    preceded, not_preceded = 0, []
    for i, e in chev:
        meta_ref = None
        num = e["change"]["number"]
        for prev in reversed(events[:i]):
            if prev["type"] == "ref-updated":
                if prev["refUpdate"]["refName"].endswith(f"/{num}/meta"):
                    meta_ref = prev
                break
            # only events of the same update (e.g. a second reviewer-added) may sit in between
            if prev["type"] != e["type"] or prev.get("change", {}).get("number") != num:
                break
        if meta_ref is not None:
            preceded += 1
        else:
            not_preceded.append(e["type"])
    w(f"{preceded} of {len(chev)} change events come right after a `ref-updated` of "
      "`refs/changes/NN/N/meta` (the NoteDb commit; several events of one update share it, "
      "e.g. two `reviewer-added`); without one: " +
      (", ".join(f"`{t}`" for t in sorted(set(not_preceded))) or "none") + ". New patch sets also "
      "update `refs/changes/NN/N/P`, submits `refs/heads/master` (all before the change "
      "event, same `eventCreatedOn` second in this capture).")
    tagged_rest = sorted({m["tag"] for c in an.rest.values() for m in c["messages"]
                          if m.get("tag") and not m["tag"].startswith("autogenerated:gerrit")})
    tagged_stream = sum(1 for e in events if e["type"] == "comment-added" and "tag" in e)
    w("")
    w(f"`comment-added` events carry no review `tag` ({tagged_stream} of "
      f"{types.get('comment-added', 0)} have one) while REST messages/votes do "
      f"(tags seen: {', '.join(f'`{t}`' for t in tagged_rest) or 'none'}); the stream has no "
      "notion of service users either (REST: `tags: [\"SERVICE_USER\"]` on the account).")
    w("")

    # --- what is NOT in the stream ------------------------------------------------------------
    w("### Things the stream did NOT deliver (important for the sidecar)")
    w("")
    priv_msgs = [(n, m) for n, c in an.rest.items() for m in c["messages"]
                 if m.get("tag") == "autogenerated:gerrit:setPrivate"]
    priv_events = [e for e in events if e["type"] == "private-state-changed"]
    if priv_msgs:
        n, m = priv_msgs[0]
        w(f"- **Events of a private change are invisible to the stream user.** Change #{n} was "
          f"made private at {m['date'][:19]} and un-made private one step later: the stream got "
          f"{len(priv_events)} `private-state-changed` event(s) (only the *unset*, at "
          + ", ".join(iso(e['eventCreatedOn']) for e in priv_events) +
          ") and not even the `ref-updated` of the meta ref for the *set*. Gerrit filters stream "
          "events by the listener's visibility of the change, and `admin` (Administrators, "
          "without the *View Private Changes* capability) cannot see another user's private "
          "change. Any event while a change is private is lost for such a user; the REST "
          "messages (`autogenerated:gerrit:setPrivate`) still show it afterwards.")
    groups = an.reviewer_groups()
    bad = [g for g in groups if sorted(g["events"]) != sorted(g["rest"])]
    if bad:
        w(f"- **`reviewer-added` can name the wrong reviewer when one operation adds several "
          f"reviewers.** In {len(bad)} of {len(groups)} add-reviewer operations the events "
          "did not match what REST `reviewer_updates` recorded: " + "; ".join(
              f"#{g['change']} by {g['adder']} at {iso(g['sec'])}: events name "
              f"{g['events']}, REST added {g['rest']}" for g in bad) +
          ". Cause (Gerrit `StreamEventsApiListener.onReviewersAdded`): one `ReviewerAddedEvent` "
          "object is reused, its `reviewer` field is overwritten in the loop and the object is "
          "serialised asynchronously, so several posted events may all show the last reviewer "
          "(racy: an earlier capture of the same scenario got the right names). Reconcile "
          "reviewer additions with REST `reviewer_updates`; never trust a burst of "
          "`reviewer-added` with identical payloads.")
    cc = [(n, u) for n, u in ra_unmatched if u["state"] == "CC"]
    implicit = [(n, u) for n, u in ra_unmatched if u["state"] == "REVIEWER"
                and u["updated_by"].get("username") == u["reviewer"].get("username")]
    if cc:
        w("- **Adding a CC emits no `reviewer-added`** (only a meta `ref-updated`): "
          + "; ".join(f"#{n} {u['reviewer']['username']} CC by {u['updated_by']['username']} "
                      f"at {u['updated'][:19]}" for n, u in cc) + ".")
    if implicit:
        w("- **Becoming a reviewer by voting emits no `reviewer-added`**: REST "
          "`reviewer_updates` has entries with `state: REVIEWER` for accounts that simply "
          "voted (the account is its own `updated_by`): "
          + "; ".join(f"#{n} {u['reviewer']['username']} at {u['updated'][:19]}"
                      for n, u in implicit) + ".")
    removed = [e for e in events if e["type"] == "change-deleted"]
    if removed:
        e = removed[0]
        w(f"- Deleting change #{e['change']['number']} produced `change-deleted` (by "
          f"`{e['deleter']['username']}`) but no `ref-updated` for the removed refs.")
    w("- No attention-set events exist in the stream (REST has `attention_set`).")
    w("")

    # --- comparison: timestamps ---------------------------------------------------------------
    w("## Comparison: `eventCreatedOn` vs REST timestamps")
    w("")
    w("REST timestamps (message `date`, revision `created`, reviewer_updates `updated`, vote "
      "`date`) are UTC "
      "`YYYY-MM-DD hh:mm:ss.000000000`: NoteDb stores whole seconds, so the nanoseconds are "
      "always zero and \"floored to seconds\" is the value itself. Δ below = `eventCreatedOn` − "
      "REST seconds.")
    w("")
    eq = sum(1 for r in ca if r["delta"] == 0)
    w(f"**comment-added vs message `date`**: equal in {pct(eq, len(ca))} ({delta_summary(ca)}). "
      f"Text identical (`comment` == REST `message`) in "
      f"{pct(sum(r['text_equal'] for r in ca), len(ca))}.")
    w("")
    eqp = sum(1 for r in pc if r["delta"] == 0)
    eqps = sum(1 for r in pc if r["ps_delta"] == 0)
    w(f"**patchset-created vs revision `created`**: `eventCreatedOn` equal in {pct(eqp, len(pc))} "
      f"({delta_summary(pc)}; unmatched = the deleted change); `patchSet.createdOn` equal in "
      f"{pct(eqps, len(pc))}.")
    w("")
    eqr = sum(1 for r in ra if r["delta"] == 0)
    w(f"**reviewer-added vs reviewer_updates `updated`**: equal in {pct(eqr, len(ra))} "
      f"({delta_summary(ra)}; matched by change + reviewer username, so a mislabelled "
      "duplicate, see above, still compares against the right operation's second).")
    w("")
    eqo = sum(1 for r in oth if r["delta"] == 0)
    w(f"**other change events vs the change message they write** (wip, private, topic, "
      f"hashtags, merged, abandoned, restored, vote-deleted, reviewer-deleted): equal in "
      f"{pct(eqo, len(oth))} ({delta_summary(oth)}).")
    w("")
    allrows = ca + pc + ra + oth
    off = [r for r in allrows if r["delta"] not in (0, None)]
    w("So `eventCreatedOn` is **not** the NoteDb timestamp: it is the wall clock when the event "
      "object is built, after the NoteDb commit. It matched the REST second in "
      f"{pct(len(allrows) - len(off), len(allrows))} cases here and was later in "
      f"{len(off)}; a consumer must allow `eventCreatedOn` ∈ [REST, REST + 1 s] (use a "
      "tolerance, never equality, to correlate). Mismatches seen:")
    w("")
    if off:
        w("| event | change/PS | eventCreatedOn | REST timestamp | Δ |")
        w("|---|---|---|---|---|")
        for r in off:
            e = r["ev"]
            rts = (r.get("msg") or {}).get("date") or (r.get("rev") or {}).get("created") or \
                  (r.get("upd") or {}).get("updated")
            w(f"| `{e['type']}` | #{e['change']['number']}/"
              f"{e.get('patchSet', {}).get('number', '-')} | {e['eventCreatedOn']} "
              f"({iso(e['eventCreatedOn'])}) | {rts} | {r['delta']:+d} s |")
    else:
        w("(none in this capture; earlier captures showed +1 s, e.g. a `patchset-created` "
          "whose `patchSet.createdOn` was one second before `eventCreatedOn`)")
    w("")
    w("Within `patchset-created`, `patchSet.createdOn` (and `change.createdOn` for PS 1) is the "
      "NoteDb/REST `created` value; `eventCreatedOn` may be later by a second:")
    w("")
    w("| change/PS | kind | patchSet.createdOn | eventCreatedOn | REST revision.created | "
      "sizeInsertions/sizeDeletions (stream) |")
    w("|---|---|---|---|---|---|")
    for r in pc:
        e = r["ev"]
        w(f"| #{e['change']['number']}/{e['patchSet']['number']} | {e['patchSet']['kind']} | "
          f"{e['patchSet']['createdOn']} | {e['eventCreatedOn']} | "
          f"{(r['rev'] or {}).get('created', '(change deleted)')} | "
          f"+{e['patchSet'].get('sizeInsertions')}/-{abs(e['patchSet'].get('sizeDeletions', 0))} |")
    w("")
    ins = []
    for r in pc:
        ch = r["change"]
        if ch and ch["current_revision_number"] == r["ev"]["patchSet"]["number"]:
            ins.append((r["ev"], ch))
    if ins:
        w("`sizeInsertions`/`sizeDeletions` count the `/COMMIT_MSG` pseudo-file too, unlike REST "
          "`insertions`/`deletions`: " + "; ".join(
              f"#{ch['_number']} stream +{e['patchSet']['sizeInsertions']}/"
              f"-{abs(e['patchSet']['sizeDeletions'])} vs REST +{ch['insertions']}/-{ch['deletions']}"
              for e, ch in ins) + ".")
        w("")

    # --- approvals --------------------------------------------------------------------------
    w("## comment-added `approvals` and `oldValue`")
    w("")
    ch_ok = [r for r in ap if r["changed"]]
    un = [r for r in ap if not r["changed"]]
    w(f"`approvals` lists **every label** of the change for the comment's author with the "
      f"author's current value on that patch set (`\"0\"` when not voted), values as strings. "
      f"`oldValue` is present exactly when the vote changed in this review: changed votes "
      f"{pct(sum(1 for r in ch_ok if r['old'] is not None), len(ch_ok))} carry `oldValue` "
      f"(and it equals the previous value in "
      f"{pct(sum(1 for r in ch_ok if r['old'] == r['prev']), len(ch_ok))}); unchanged votes "
      f"{pct(sum(1 for r in un if r['old'] is None), len(un))} carry **no** `oldValue` — "
      "including a vote re-sent with the same value and a label explicitly sent as 0 when "
      "it was 0. A first vote on a new patch set has `oldValue: \"0\"` even when the author "
      "voted on the previous patch set (votes are per patch set; non-copied votes do not "
      "carry over).")
    copied = [r for r in ap if r["changed"] and r["prev"] != "0" and r["old"] == r["prev"]
              and r["ev"]["patchSet"]["number"] > 1]
    if copied:
        r = copied[0]
        w("")
        w(f"A vote copied to a new patch set counts as the previous value: "
          f"#{r['ev']['change']['number']}/{r['ev']['patchSet']['number']} "
          f"{r['ev']['author']['username']} {r['label']} {r['value']} ← {r['old']} (the +2 was "
          "copied by the TRIVIAL_REBASE copy condition; REST shows copied votes with the date of "
          "the new patch set).")
    w("")
    w("| change/PS | author | comment (first 70 chars) | approvals (value ← oldValue) |")
    w("|---|---|---|---|")
    for e in events:
        if e["type"] != "comment-added":
            continue
        apps = ", ".join(f"{a['type']} {a['value']}" + (f" ← {a['oldValue']}" if 'oldValue' in a else "")
                         for a in e.get("approvals", []))
        w(f"| #{e['change']['number']}/{e['patchSet']['number']} | {e['author']['username']} | "
          f"{md_code(first_line(e['comment']))} | {apps} |")
    w("")
    vd = [e for e in events if e["type"] in ("vote-deleted", "reviewer-deleted")]
    for e in vd:
        w(f"- `{e['type']}` also carries approvals: " + ", ".join(
            f"{a['type']} {a['value']}" + (f" ← {a['oldValue']}" if 'oldValue' in a else "")
            for a in e.get("approvals", [])) + f"; `comment`: {md_code(first_line(e.get('comment', ''), 120))}")
    w("")

    # --- comment texts ---------------------------------------------------------------------
    w("## The `comment` text of votes")
    w("")
    w("Format: `Patch Set <n>: <Label><+|-><v>[ <Label><+|-><v>…]` for the votes that changed "
      "(`+` also for positive values, e.g. `Code-Review+2`, `Verified+1`, `Code-Review-1`), "
      "then `\\n\\n(<k> comment[s])` when inline comments were published, then "
      "`\\n\\n<message>` if a message was given. A vote removed by voting 0 is written "
      "`-<Label>` (e.g. `Patch Set 2: -Code-Review`). Unchanged votes are not repeated, so a "
      "review without changed votes is `Patch Set <n>:` directly followed by `\\n\\n…`. "
      "Examples "
      "(JSON-escaped):")
    w("")
    seen = set()
    for e in events:
        if e["type"] == "comment-added":
            c = e["comment"]
            shape = (re.sub(r"[0-9]+", "N", c.split("\n")[0]), "comment" in c,
                     len(c.split("\n\n")))
            if shape in seen:
                continue
            seen.add(shape)
            w(f"- {md_code(json.dumps(c))}")
    w("")
    diff_text = [r for r in ca if not r["text_equal"] and r["msg"]]
    if diff_text:
        w("**Stream `comment` ≠ REST `message`** in these cases:")
        w("")
        for r in diff_text:
            w(f"- #{r['ev']['change']['number']}/{r['ev']['patchSet']['number']} "
              f"{r['ev']['author']['username']}: stream {md_code(json.dumps(r['ev']['comment']))} "
              f"vs REST {md_code(json.dumps(r['msg']['message']))}")
        w("")
        w("When the review includes a patch-set-level comment (`/PATCHSET_LEVEL`), the stream "
          "`comment` is `Patch Set <n>:\\n\\n<patch-set-level comment text>`: the vote summary "
          "and the review `message` are dropped, while REST keeps `Patch Set <n>: "
          "Code-Review+2\\n\\n(1 comment)\\n\\n<message>`. Match comment-added to REST messages "
          "by change + patch set + author + time (±1 s), not by text.")
        w("")
    tmpl = [(n, m) for n, c in an.rest.items() for m in c["messages"] if "<GERRIT_ACCOUNT_" in m["message"]]
    if tmpl:
        n, m = tmpl[0]
        ev = next((e for e in events if e["type"] in ("vote-deleted", "reviewer-deleted")
                   and e["change"]["number"] == n), None)
        w("REST messages keep account **templates** where the stream resolves them: REST "
          f"#{n} {md_code(json.dumps(m['message']))}" +
          (f" vs stream `{ev['type']}` comment {md_code(json.dumps(ev.get('comment', '')))}"
           if ev else "") + ".")
        w("")

    # --- accounts ----------------------------------------------------------------------------
    w("## Account fields: stream vs REST vs SSH query")
    w("")
    s_shapes = account_shapes(events)
    r_shapes = account_shapes(rest)
    q_shapes = account_shapes(query)

    def shapes_table(title, shapes):
        w(f"**{title}**")
        w("")
        by = collections.defaultdict(list)
        for p, ks in shapes.items():
            for k in ks:
                by[k].append(p)
        for k, ps in sorted(by.items()):
            ps = sorted(set(ps))
            w(f"- `{{{', '.join(k)}}}` at " + ", ".join(f"`{p}`" for p in ps[:24]) +
              (f" (+{len(ps) - 24} more)" if len(ps) > 24 else ""))
        w("")

    shapes_table("stream-events", s_shapes)
    shapes_table("REST (with DETAILED_ACCOUNTS)", r_shapes)
    shapes_table("SSH query", q_shapes)
    w("Stream events and SSH query identify accounts by `name`, `email`, `username` only — "
      "**no numeric account id** — while REST adds `_account_id` (and `tags: "
      "[\"SERVICE_USER\"]` for ci-bot; without DETAILED_ACCOUNTS REST gives only "
      "`_account_id`). Correlate stream ↔ REST by `username` (or `email`). (Null fields are "
      "omitted by Gerrit's JSON serialiser; every account here has all three.)")
    w("")
    w("## SSH host keys")
    w("")
    w("The daemon's host keys are `<site>/etc/ssh_host_{ed25519,ecdsa,ecdsa_384,ecdsa_521,rsa}"
      "_key.pub`; `bootstrap-gerrit.py --site <site>` writes them to `<out>/known_hosts` and "
      "`admin.json` (`hostKeyFingerprints`) so the sidecar can connect with "
      "`StrictHostKeyChecking=yes`. Fingerprints of the captured server (throw-away):")
    w("")
    for fp in meta.get("sshHostKeyFingerprints", []):
        w(f"- {fp.get('keyType')} {fp.get('bits')} `{fp.get('sha256')}`")
    w("")
    with open(os.path.join(out, "README.md"), "w") as f:
        f.write("\n".join(L))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: fixture_report.py <fixtures-dir>")
    write_readme(sys.argv[1])
