// The browser tests' stand-in for Grafana's server (no Grafana can be installed here; see
// docs/testing.md). It serves what Grafana serves to an app plugin and nothing more:
//
//   GET  /a/<app id>/...                  the app's root page (the host page: host bundle + SystemJS)
//   GET  /plugins/<app id>                the plugin's configuration page (same host page)
//   GET  /d-solo/panel/<panel id>         one panel as a dashboard renders it (same host page; see main.tsx)
//   GET  /public/plugins/<nested id>/*    a plugin nested in the app (dist/<dir>/), under its own id
//   GET  /api/plugins/<nested id>/settings  the nested plugin's meta
//   GET  /public/plugins/<app id>/*       the built plugin (dist/), as Grafana serves plugin assets
//   GET  /public/build/*                  the host bundle (Grafana's frontend stand-in) and @grafana/ui's icons
//   GET  /api/plugins/<app id>/settings   the app's meta + settings; secureJsonData is never returned,
//                                         only secureJsonFields (which keys are set)
//   POST /api/plugins/<app id>/settings   saves enabled/pinned/jsonData; merges secureJsonData (kept in memory)
//   *    /api/plugin-proxy/<app id>/...   plugin.json `routes`, implemented as Grafana does (plugin-routes.ts),
//                                         forwarded to the sidecar; 502/504 with no body when it cannot be reached
//   GET  /static/blank.html               a plain static page (the UI benchmark's reference)
//
// plugin.json is read from the plugin's dist/ folder when the host starts.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createReadStream, existsSync, globSync, readFileSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { findRoute, upstreamRequest, type PluginRoute } from './plugin-routes.ts';

const repo = new URL('../../', import.meta.url).pathname;

export interface AppSettingsInput {
  jsonData?: Record<string, unknown>;
  secureJsonData?: Record<string, string>;
  enabled?: boolean;
  pinned?: boolean;
}

export interface TestHostOptions {
  /** The built plugin (default: the repository's dist/). */
  pluginDist?: string;
  /** The built host bundle (host.js, host.css); see build-host.ts. */
  bundleDir: string;
  /** The app's settings at start, as provisioning would set them. */
  settings: AppSettingsInput;
  /** Port on 127.0.0.1 (default: any free port). */
  port?: number;
  /** Upstream timeout of the plugin proxy (Grafana's dataproxy.timeout, default 30 s). */
  proxyTimeoutMs?: number;
}

interface PluginJson {
  id: string;
  type: string;
  name: string;
  info?: Record<string, unknown>;
  includes?: Array<{
    type: string;
    name: string;
    path?: string;
    role?: string;
    addToNav?: boolean;
    defaultNav?: boolean;
  }>;
  dependencies?: Record<string, unknown>;
  routes?: PluginRoute[];
}

const MIME: Record<string, string> = {
  '.js': 'application/javascript; charset=utf-8',
  '.mjs': 'application/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.md': 'text/markdown; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.woff2': 'font/woff2',
};

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'cookie',
  'origin',
  'referer',
  'content-length',
]);

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolveBody(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** A file under `root`, or undefined (no path escapes). */
function fileUnder(root: string, rel: string): string | undefined {
  const path = normalize(join(root, decodeURIComponent(rel)));
  if (path !== root && !path.startsWith(root.endsWith(sep) ? root : root + sep)) {
    return undefined;
  }
  return existsSync(path) && statSync(path).isFile() ? path : undefined;
}

function sendFile(res: ServerResponse, path: string, cache = 'no-cache'): void {
  res.writeHead(200, {
    'content-type': MIME[extname(path)] ?? 'application/octet-stream',
    'cache-control': cache,
    'content-length': statSync(path).size,
  });
  createReadStream(path).pipe(res);
}

export class TestHost {
  readonly pluginDist: string;
  readonly bundleDir: string;
  readonly pluginJson: PluginJson;
  /** Plugins nested in the app (dist/<dir>/plugin.json), by id: Grafana serves each under its own id. */
  readonly nested: Map<string, { dir: string; pluginJson: PluginJson }>;
  /** Every request the host could not answer (a plugin calling a Grafana API the host lacks shows here). */
  readonly unhandled: string[] = [];
  private readonly server: Server;
  private readonly proxyTimeoutMs: number;
  private enabled: boolean;
  private pinned: boolean;
  private jsonData: Record<string, unknown>;
  private secureJsonData: Record<string, string>;

  private constructor(options: TestHostOptions) {
    this.pluginDist = resolve(options.pluginDist ?? join(repo, 'dist'));
    this.bundleDir = resolve(options.bundleDir);
    const pluginJsonPath = join(this.pluginDist, 'plugin.json');
    if (!existsSync(pluginJsonPath)) {
      throw new Error(`${pluginJsonPath} is missing: build the plugin first (npm run build)`);
    }
    this.pluginJson = JSON.parse(readFileSync(pluginJsonPath, 'utf8')) as PluginJson;
    this.nested = new Map();
    for (const rel of globSync('**/plugin.json', { cwd: this.pluginDist })) {
      if (rel !== 'plugin.json') {
        const json = JSON.parse(readFileSync(join(this.pluginDist, rel), 'utf8')) as PluginJson;
        this.nested.set(json.id, { dir: join(this.pluginDist, dirname(rel)), pluginJson: json });
      }
    }
    this.proxyTimeoutMs = options.proxyTimeoutMs ?? 30_000;
    this.enabled = options.settings.enabled ?? true;
    this.pinned = options.settings.pinned ?? true;
    this.jsonData = { ...options.settings.jsonData };
    this.secureJsonData = { ...options.settings.secureJsonData };
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: Error) => {
        if (!res.headersSent) {
          sendJson(res, 500, { message: `test host: ${err.message}` });
        } else {
          res.destroy(err);
        }
      });
    });
  }

  static async start(options: TestHostOptions): Promise<TestHost> {
    const host = new TestHost(options);
    await new Promise<void>((ok, fail) => {
      host.server.once('error', fail);
      host.server.listen(options.port ?? 0, '127.0.0.1', () => ok());
    });
    return host;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  get pluginId(): string {
    return this.pluginJson.id;
  }

  /** Changes the settings as POST /api/plugins/<id>/settings would. */
  updateSettings(update: AppSettingsInput): void {
    if (update.enabled !== undefined) {
      this.enabled = update.enabled;
    }
    if (update.pinned !== undefined) {
      this.pinned = update.pinned;
    }
    if (update.jsonData !== undefined) {
      this.jsonData = { ...update.jsonData };
    }
    for (const [k, v] of Object.entries(update.secureJsonData ?? {})) {
      this.secureJsonData[k] = String(v);
    }
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((ok) => this.server.close(() => ok()));
  }

  /** A file of a nested plugin, served under the nested plugin's own id as Grafana does. */
  private nestedFile(path: string): string | undefined {
    const m = /^\/public\/plugins\/([^/]+)\/(.+)$/.exec(path);
    const nested = m ? this.nested.get(m[1]) : undefined;
    return nested && m ? fileUnder(nested.dir, m[2]) : undefined;
  }

  /** The settings DTO Grafana answers GET /api/plugins/<id>/settings with (the app's meta). */
  meta(): Record<string, unknown> {
    const p = this.pluginJson;
    const defaultNav = p.includes?.find((i) => i.defaultNav && i.path);
    return {
      id: p.id,
      type: p.type,
      name: p.name,
      info: p.info ?? {},
      includes: p.includes ?? [],
      dependencies: p.dependencies ?? {},
      module: `public/plugins/${p.id}/module.js`,
      baseUrl: `public/plugins/${p.id}`,
      enabled: this.enabled,
      pinned: this.pinned,
      autoEnabled: false,
      jsonData: this.jsonData,
      secureJsonFields: Object.fromEntries(Object.keys(this.secureJsonData).map((k) => [k, true])),
      defaultNavUrl: defaultNav?.path ?? `/plugins/${p.id}/`,
      latestVersion: '',
      hasUpdate: false,
      state: '',
      signature: 'unsigned',
      signatureType: '',
      signatureOrg: '',
      loadingStrategy: 'script',
    };
  }

  private page(res: ServerResponse): void {
    const bootData = {
      settings: {
        appUrl: `${this.url}/`,
        appSubUrl: '',
        buildInfo: {
          version: '13.x (ReviewTrace test host)',
          commit: 'test-host',
          env: 'production',
          edition: 'Open Source',
        },
        datasources: {
          Tempo: {
            id: 1,
            uid: 'tempo',
            name: 'Tempo',
            type: 'tempo',
            access: 'proxy',
            url: '/api/datasources/proxy/uid/tempo',
            isDefault: false,
            readOnly: true,
            jsonData: {},
            meta: {
              id: 'tempo',
              type: 'datasource',
              name: 'Tempo',
              tracing: true,
              info: { logos: { small: 'public/build/img/icons/unicons/compass.svg', large: '' } },
            },
          },
        },
        defaultDatasource: 'Tempo',
        featureToggles: {},
        exploreEnabled: true,
      },
      user: {
        id: 1,
        uid: 'admin',
        login: 'admin',
        name: 'admin',
        email: 'admin@localhost',
        orgId: 1,
        orgName: 'Main Org.',
        orgRole: 'Admin',
        isGrafanaAdmin: true,
        isSignedIn: true,
        theme: 'dark',
        timezone: 'browser',
        locale: 'en-US',
        language: 'en-US',
        permissions: {},
      },
      navTree: [],
      assets: { dark: '', light: '' },
    };
    const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<base href="/">
<title>ReviewTrace test host (stand-in for Grafana)</title>
<style>body { margin: 0; } /* as in Grafana: the app's page spans the window, no browser margin */</style>
<script>window.__grafana_public_path__ = '/public/'; window.grafanaBootData = ${JSON.stringify(bootData)};</script>
${existsSync(join(this.bundleDir, 'host.css')) ? '<link rel="stylesheet" href="/public/build/host.css">' : ''}
</head>
<body class="theme-dark">
<div id="reactRoot"></div>
<script src="/public/build/host.js"></script>
</body>
</html>`;
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(html);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://host.invalid');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const id = this.pluginId;

    if (path === '/' && method === 'GET') {
      res.writeHead(302, { location: `/a/${id}/` });
      res.end();
      return;
    }
    if (
      method === 'GET' &&
      (path.startsWith('/a/') || path === '/plugins' || path.startsWith('/plugins/') || path.startsWith('/d-solo/'))
    ) {
      this.page(res);
      return;
    }
    if (method === 'GET' && path === '/static/blank.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' });
      res.end('<!doctype html><html><head><title>blank</title></head><body><p id="static">static</p></body></html>');
      return;
    }
    if (method === 'GET' && path.startsWith('/public/build/img/icons/')) {
      const icons = join(repo, 'node_modules/@grafana/ui/dist/public/img/icons');
      const file = fileUnder(icons, path.slice('/public/build/img/icons/'.length));
      if (file) {
        sendFile(res, file, 'max-age=3600');
        return;
      }
    } else if (method === 'GET' && path.startsWith('/public/build/')) {
      const file = fileUnder(this.bundleDir, path.slice('/public/build/'.length));
      if (file) {
        sendFile(res, file);
        return;
      }
    } else if (method === 'GET' && path.startsWith(`/public/plugins/${id}/`)) {
      const file = fileUnder(this.pluginDist, path.slice(`/public/plugins/${id}/`.length));
      if (file) {
        sendFile(res, file);
        return;
      }
    } else if (path === `/api/plugins/${id}/settings`) {
      if (method === 'GET') {
        sendJson(res, 200, this.meta());
        return;
      }
      if (method === 'POST') {
        let body: AppSettingsInput;
        try {
          body = JSON.parse((await readBody(req)).toString('utf8') || '{}') as AppSettingsInput;
        } catch {
          sendJson(res, 400, { message: 'bad request data' });
          return;
        }
        this.updateSettings(body);
        sendJson(res, 200, { message: 'Plugin settings updated' });
        return;
      }
    } else if (method === 'GET' && this.nestedFile(path)) {
      sendFile(res, this.nestedFile(path) as string);
      return;
    } else if (path.startsWith('/api/plugins/') && path.endsWith('/settings')) {
      const nested = this.nested.get(path.slice('/api/plugins/'.length, -'/settings'.length));
      if (nested && method === 'GET') {
        const p = nested.pluginJson;
        sendJson(res, 200, {
          id: p.id,
          type: p.type,
          name: p.name,
          info: p.info ?? {},
          dependencies: p.dependencies ?? {},
          module: `public/plugins/${p.id}/module.js`,
          baseUrl: `public/plugins/${p.id}`,
          enabled: true,
          jsonData: {},
          signature: 'unsigned',
          loadingStrategy: 'script',
        });
        return;
      }
      sendJson(res, 404, { message: 'Plugin not found, no installed plugin with that id' });
      return;
    } else if (path === `/api/plugin-proxy/${id}` || path.startsWith(`/api/plugin-proxy/${id}/`)) {
      await this.proxy(req, res, path.slice(`/api/plugin-proxy/${id}`.length).replace(/^\//, ''), url.search);
      return;
    }
    this.unhandled.push(`${method} ${path}`);
    if (path.startsWith('/api/')) {
      sendJson(res, 404, { message: 'Not found' });
    } else {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('Not found');
    }
  }

  private async proxy(req: IncomingMessage, res: ServerResponse, proxyPath: string, search: string): Promise<void> {
    const match = findRoute(this.pluginJson.routes ?? [], req.method ?? 'GET', proxyPath);
    if (!match) {
      await readBody(req);
      sendJson(res, 404, { message: 'plugin route match not found' });
      return;
    }
    let target: ReturnType<typeof upstreamRequest>;
    try {
      target = upstreamRequest(match, { JsonData: this.jsonData, SecureJsonData: this.secureJsonData }, search);
    } catch {
      // Grafana parses the interpolated URL leniently and then fails in the transport: 502, no body.
      await readBody(req);
      res.writeHead(502);
      res.end();
      return;
    }
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v !== undefined && !HOP_BY_HOP.has(k.toLowerCase())) {
        headers[k] = v;
      }
    }
    Object.assign(headers, target.headers);
    const body = await readBody(req);
    if (body.length > 0) {
      headers['content-length'] = String(body.length);
    }
    const send = target.url.protocol === 'https:' ? httpsRequest : httpRequest;
    await new Promise<void>((done) => {
      const upstream = send(target.url, { method: req.method, headers, timeout: this.proxyTimeoutMs }, (up) => {
        const out: Record<string, string | string[]> = {};
        for (const [k, v] of Object.entries(up.headers)) {
          if (v !== undefined && !HOP_BY_HOP.has(k.toLowerCase()) && k.toLowerCase() !== 'set-cookie') {
            out[k] = v;
          }
        }
        // proxyutil.SetProxyResponseHeaders
        out['content-security-policy'] = 'sandbox';
        res.writeHead(up.statusCode ?? 502, out);
        up.pipe(res);
        up.on('end', () => done());
        up.on('error', () => {
          res.destroy();
          done();
        });
      });
      upstream.on('timeout', () => upstream.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
      upstream.on('error', (err: NodeJS.ErrnoException) => {
        if (!res.headersSent) {
          // proxyutil's errorHandler: 504 on a timeout, 502 otherwise, no body.
          res.writeHead(err.code === 'ETIMEDOUT' ? 504 : 502);
          res.end();
        } else {
          res.destroy();
        }
        done();
      });
      upstream.end(body);
    });
  }
}
