// Grafana's app plugin proxy (/api/plugin-proxy/<app id>/<path>) as the test host implements it, from
// the `routes` of the plugin's plugin.json. Follows Grafana's pkg/api/pluginproxy/pluginproxy.go:
//
// - routes are tried in order; a route's `method` (if set and not "*") must equal the request's;
// - a route's `path` is matched against the proxied path with Grafana's router tree (pkg/web/tree.go):
//   static segments must be equal, `:name` takes one segment, a trailing `*` takes one or more
//   segments (that rest is what is appended to the route's URL). A route without `*` matches its
//   path exactly: "sidecar" matches ".../sidecar" but NOT ".../sidecar/api/changes";
// - `url` and header `content` are Go templates over {{ .JsonData.<key> }} and
//   {{ .SecureJsonData.<key> }}; a key that is not set renders as "<no value>" (text/template's
//   default);
// - the target path is util.JoinURLFragments(url's path, rest); the query string is passed on.
// Pure functions, so that the host server and the docs can rely on one implementation.

export interface PluginRoute {
  path?: string;
  method?: string;
  url?: string;
  reqRole?: string;
  headers?: Array<{ name: string; content: string }>;
}

export interface TemplateData {
  JsonData: Record<string, unknown>;
  SecureJsonData: Record<string, string>;
}

export interface RouteMatch {
  route: PluginRoute;
  /** What the route's `*` matched (appended to the route's URL); "" when the route has no `*`. */
  rest: string;
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Grafana's tree match of one route path against the proxied path; undefined when it does not match. */
export function matchRoutePath(pattern: string, proxyPath: string): { rest: string } | undefined {
  const p = pattern.replace(/^\/+/, '').replace(/\/+$/, '');
  const u = proxyPath.replace(/^\/+/, '').replace(/\/+$/, '');
  const ps = p.split('/');
  const us = u.split('/');
  for (let i = 0; i < ps.length; i += 1) {
    const seg = ps[i];
    const last = i === ps.length - 1;
    if (seg === '*' && last) {
      if (i >= us.length) {
        return undefined;
      }
      return { rest: us.slice(i).map(decode).join('/') };
    }
    if (i >= us.length) {
      return undefined;
    }
    if (seg === '*' || seg.startsWith(':')) {
      continue;
    }
    if (decode(us[i]) !== seg) {
      return undefined;
    }
  }
  return us.length === ps.length ? { rest: '' } : undefined;
}

/** The first route that matches the method and path, as Grafana picks it. */
export function findRoute(routes: PluginRoute[], method: string, proxyPath: string): RouteMatch | undefined {
  for (const route of routes) {
    if (route.method && route.method !== '*' && route.method.toUpperCase() !== method.toUpperCase()) {
      continue;
    }
    const m = matchRoutePath(route.path ?? '', proxyPath);
    if (m) {
      return { route, rest: m.rest };
    }
  }
  return undefined;
}

/** The subset of Go's text/template that plugin routes use: {{ .JsonData.x }} and {{ .SecureJsonData.x }}. */
export function interpolate(template: string, data: TemplateData): string {
  return template.replace(
    /\{\{\s*\.(JsonData|SecureJsonData)\.([A-Za-z0-9_]+)\s*\}\}/g,
    (_, section: string, key: string) => {
      const source: Record<string, unknown> = section === 'JsonData' ? data.JsonData : data.SecureJsonData;
      const value = source[key];
      return value === undefined || value === null ? '<no value>' : String(value);
    },
  );
}

/** Go's util.JoinURLFragments. */
export function joinUrlFragments(a: string, b: string): string {
  if (b.length === 0) {
    return a;
  }
  const aSlash = a.endsWith('/');
  const bSlash = b.startsWith('/');
  if (aSlash && bSlash) {
    return a + b.slice(1);
  }
  if (!aSlash && !bSlash) {
    return `${a}/${b}`;
  }
  return a + b;
}

/** The upstream URL and headers of a matched route. Throws when the interpolated URL is not a URL. */
export function upstreamRequest(
  match: RouteMatch,
  data: TemplateData,
  search: string,
): { url: URL; headers: Record<string, string> } {
  const target = new URL(interpolate(match.route.url ?? '', data));
  target.pathname = joinUrlFragments(target.pathname, match.rest);
  target.search = search;
  const headers: Record<string, string> = {};
  for (const h of match.route.headers ?? []) {
    headers[h.name] = interpolate(h.content, data);
  }
  return { url: target, headers };
}
