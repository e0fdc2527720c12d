import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { ApiError, ApiErrorCode, SidecarStatus } from '../../src/review-model/code-review-api.ts';
import type { Sidecar } from '../sidecar.ts';

// /health (the process is up), /ready (it can do its job; a ready answer lists what degrades it),
// /metrics (Prometheus), and the query API under /api/, which requires the token the Grafana app's
// proxy route sends. The token is compared in constant time and never logged.

export type ApiHandler = (req: IncomingMessage, url: URL, res: ServerResponse) => Promise<boolean>;

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}

const ERROR_STATUS: Record<ApiErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  not_found: 404,
  internal: 500,
  tempo_unreachable: 502,
  api_disabled: 503,
};

/** An error answer (ApiError): its HTTP status follows from its code. */
export function sendError(res: ServerResponse, code: ApiErrorCode, message: string): void {
  const body: ApiError = { code, error: message };
  sendJson(res, ERROR_STATUS[code], body);
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const presented = /^Bearer (.+)$/i.exec(header ?? '')?.[1] ?? '';
  const a = Buffer.from(presented);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function readiness(sidecar: Sidecar): SidecarStatus {
  const depth = sidecar.store.outboxDepth();
  const ssh = sidecar.config.gerrit.ssh !== undefined;
  const connected = sidecar.stream?.connected ?? false;
  const watermark = sidecar.store.getWatermark();
  return {
    ready: (!ssh || connected) && sidecar.drainer.healthy && !sidecar.drainer.isFull(),
    gerrit: { configured: ssh, connected, lastError: sidecar.stream?.lastError },
    tempo: { accepting: sidecar.drainer.healthy, lastError: sidecar.drainer.lastError },
    outbox: { ...depth, fill: depth.spans / sidecar.config.export.maxOutboxSpans },
    deadLetters: sidecar.store.deadLetterCount(),
    watermark: watermark === undefined ? undefined : new Date(watermark).toISOString(),
    changeIndex: sidecar.changeIndex.status(),
    degraded: sidecar.degradations().map((d) => ({
      reason: d.reason,
      message: d.message,
      since: new Date(d.sinceMs).toISOString(),
    })),
    rebuilds: rebuildCounts(sidecar),
  };
}

function rebuildCounts(sidecar: Sidecar): SidecarStatus['rebuilds'] {
  const status = sidecar.rebuilds?.status();
  return status && { changes: status.changes, failing: status.failing, heldEvents: status.heldEvents };
}

export function startHttpServer(sidecar: Sidecar, api?: ApiHandler): Promise<Server> {
  const { host, port, apiToken } = sidecar.config.http;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const handle = async () => {
      if (url.pathname === '/health') {
        sendJson(res, 200, { status: 'ok' });
        return;
      }
      if (url.pathname === '/ready') {
        const r = readiness(sidecar);
        sendJson(res, r.ready ? 200 : 503, r);
        return;
      }
      if (url.pathname === '/metrics') {
        res.writeHead(200, { 'content-type': sidecar.metrics.registry.contentType });
        res.end(await sidecar.metrics.registry.metrics());
        return;
      }
      if (url.pathname.startsWith('/api/')) {
        if (!apiToken) {
          sendError(
            res,
            'api_disabled',
            'The query API is disabled: set http.apiToken (REVIEWTRACE_HTTP__API_TOKEN) and the same token in the Grafana app settings.',
          );
          return;
        }
        if (!tokenMatches(req.headers.authorization, apiToken)) {
          sendError(res, 'unauthorized', 'Missing or wrong API token (Authorization: Bearer <token>).');
          return;
        }
        if (url.pathname === '/api/status') {
          const status: SidecarStatus = readiness(sidecar);
          try {
            await sidecar.tempoReader.reachable();
            status.tempo.queryReachable = true;
          } catch (err) {
            status.tempo.queryReachable = false;
            status.tempo.queryError = (err as Error).message;
          }
          sendJson(res, 200, status);
          return;
        }
        if (api && (await api(req, url, res))) {
          return;
        }
      }
      sendError(res, 'not_found', `No route for ${req.method} ${url.pathname}`);
    };
    handle().catch((err: Error) => {
      sidecar.log.error({ err: err.message, stack: err.stack, path: url.pathname }, 'HTTP handler failed');
      if (!res.headersSent) {
        // The browser gets the code; the detail (which can name files, queries and addresses) is logged.
        sendError(res, 'internal', 'The sidecar failed to answer this request; its log says why.');
      } else {
        res.end();
      }
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
