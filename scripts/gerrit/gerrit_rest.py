"""Tiny stdlib-only Gerrit REST client shared by bootstrap-gerrit.py and capture-fixtures.py."""

from __future__ import annotations

import base64
import http.cookiejar
import json
import time
import urllib.error
import urllib.parse
import urllib.request

XSSI_PREFIX = ")]}'"


class GerritError(Exception):
    def __init__(self, method: str, url: str, status: int, body: str):
        super().__init__(f"{method} {url} -> HTTP {status}: {body.strip()[:500]}")
        self.status = status
        self.body = body


def strip_xssi(text: str) -> str:
    if text.startswith(XSSI_PREFIX):
        text = text[len(XSSI_PREFIX):]
    return text.lstrip("\n")


def parse_json(text: str):
    text = strip_xssi(text)
    return json.loads(text) if text.strip() else None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D401
        return None


class Gerrit:
    """REST client. Either HTTP basic auth on /a/ (username+password) or a web session
    (GerritAccount cookie + X-Gerrit-Auth from the XSRF_TOKEN cookie)."""

    def __init__(self, base_url: str, username: str | None = None, password: str | None = None,
                 timeout: float = 60.0):
        self.base = base_url.rstrip("/") + "/"
        self.username = username
        self.password = password
        self.timeout = timeout
        self.cookies = http.cookiejar.CookieJar()
        self._opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))
        self._noredir = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect())

    # -- low level -----------------------------------------------------------------------
    def cookie(self, name: str) -> str | None:
        for c in self.cookies:
            if c.name == name:
                return c.value
        return None

    def raw(self, method: str, path: str, body=None, content_type: str | None = None,
            auth: bool = True, follow: bool = True, headers: dict | None = None):
        """Returns (status, text). `path` is relative to the base URL, without /a/."""
        use_basic = auth and self.username is not None and self.password is not None
        url = self.base + ("a/" if use_basic else "") + path.lstrip("/")
        data = None
        hdrs = dict(headers or {})
        if body is not None:
            if isinstance(body, (bytes, str)):
                data = body.encode() if isinstance(body, str) else body
                hdrs.setdefault("Content-Type", content_type or "text/plain; charset=UTF-8")
            else:
                data = json.dumps(body).encode()
                hdrs.setdefault("Content-Type", "application/json; charset=UTF-8")
        if use_basic:
            tok = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
            hdrs["Authorization"] = "Basic " + tok
        elif auth and method not in ("GET", "HEAD"):
            xsrf = self.cookie("XSRF_TOKEN")
            if xsrf:
                hdrs["X-Gerrit-Auth"] = xsrf
        req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
        opener = self._opener if follow else self._noredir
        try:
            with opener.open(req, timeout=self.timeout) as rsp:
                return rsp.status, rsp.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode("utf-8", "replace")

    def call(self, method: str, path: str, body=None, ok=(200, 201, 204), **kw):
        status, text = self.raw(method, path, body, **kw)
        if status not in ok:
            raise GerritError(method, self.base + path.lstrip("/"), status, text)
        return parse_json(text) if text and status != 204 else None

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def put(self, path, body=None, **kw):
        return self.call("PUT", path, body if body is not None else {}, **kw)

    def post(self, path, body=None, **kw):
        return self.call("POST", path, body if body is not None else {}, **kw)

    def delete(self, path, body=None, **kw):
        return self.call("DELETE", path, body, **kw)

    def exists(self, path) -> bool:
        status, text = self.raw("GET", path)
        if status == 200:
            return True
        if status == 404:
            return False
        raise GerritError("GET", self.base + path, status, text)


def q(s: str) -> str:
    """URL-encode one path segment (project names, file paths, ...)."""
    return urllib.parse.quote(s, safe="")


def wait_until_up(base_url: str, timeout: float = 180.0) -> str:
    """Polls GET /config/server/version until Gerrit answers; returns the version."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    g = Gerrit(base_url, timeout=5)
    while time.monotonic() < deadline:
        try:
            status, text = g.raw("GET", "config/server/version", auth=False)
            if status == 200:
                return parse_json(text)
            last = f"HTTP {status}"
        except OSError as e:  # connection refused / reset while starting
            last = str(e)
        time.sleep(0.5)
    raise SystemExit(f"Gerrit at {base_url} did not answer within {timeout:.0f}s ({last})")
