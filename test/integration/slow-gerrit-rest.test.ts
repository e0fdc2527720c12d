import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { SidecarStatus } from '../../src/review-model/code-review-api.ts';
import { GerritServer, gerritReady } from '../support/gerrit.ts';
import { createProject } from '../support/review-scenarios.ts';
import { SidecarProcess, traceIdOf } from '../support/sidecar.ts';
import { TempoServer } from '../support/tempo.ts';
import { removeTestDir } from '../support/test-dirs.ts';
import { waitFor } from '../support/wait.ts';

// The live stream never waits on a slow Gerrit REST API: the sidecar reaches REST through a real
// local HTTP server that forwards to the real Gerrit, except that it never answers the history of
// one change. That change's events wait for its rebuild while the other changes reach the real
// Tempo, /ready says what is degraded, and once REST answers the change is complete, each span once.

const work = mkdtempSync(join(tmpdir(), 'reviewtrace-slow-rest-'));
const SERVER_ID = 'slow-rest.example';
let tempo: TempoServer;
let gerrit: GerritServer;
let rest: HangingRest;
let sidecar: SidecarProcess;

/** Forwards to Gerrit's REST API; requests for the history of a change in `hang` get no answer. */
class HangingRest {
  readonly hang = new Set<number>();
  hung = 0;
  private readonly server: Server;
  private readonly waiting = new Set<ServerResponse>();

  private constructor(server: Server) {
    this.server = server;
  }

  static async start(target: string): Promise<HangingRest> {
    const server = createServer();
    const proxy = new HangingRest(server);
    server.on('request', (req, res) => void proxy.handle(target, req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private async handle(target: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const change = /^\/a\/changes\/(\d+)(\?|$)/.exec(req.url ?? '')?.[1];
    if (change !== undefined && this.hang.has(Number(change))) {
      this.hung += 1;
      this.waiting.add(res);
      res.on('close', () => this.waiting.delete(res));
      return;
    }
    const answer = await fetch(`${target}${req.url}`, {
      method: req.method,
      headers: { authorization: req.headers.authorization ?? '', accept: 'application/json' },
    });
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
    res.end(Buffer.from(await answer.arrayBuffer()));
  }

  async close(): Promise<void> {
    this.waiting.forEach((res) => res.destroy());
    await new Promise((resolve) => this.server.close(resolve));
  }
}

async function readiness(): Promise<{ status: number; body: SidecarStatus }> {
  const r = await fetch(`${sidecar.url}/ready`);
  return { status: r.status, body: (await r.json()) as SidecarStatus };
}

async function spanNames(change: number): Promise<string[]> {
  return (await tempo.trace(traceIdOf(SERVER_ID, change))).map((s) => s.name).sort();
}

describe(
  'a hanging Gerrit REST API does not hold up the live stream (real Gerrit, real Tempo)',
  { timeout: 900_000 },
  () => {
    before(async () => {
      [tempo, gerrit] = await Promise.all([
        TempoServer.start(join(work, 'tempo')),
        GerritServer.start(join(work, 'gerrit')),
      ]);
      await gerritReady(gerrit.as('admin'));
      await createProject(gerrit, 'slow-rest');
      rest = await HangingRest.start(gerrit.url);
      sidecar = await SidecarProcess.start(
        [],
        {
          REVIEWTRACE_DATABASE_PATH: join(work, 'sidecar.db'),
          REVIEWTRACE_TEMPO__OTLP_ENDPOINT: tempo.otlpEndpoint,
          REVIEWTRACE_TEMPO__QUERY_URL: tempo.url,
          REVIEWTRACE_GERRIT__SERVER_ID: SERVER_ID,
          REVIEWTRACE_GERRIT__HTTP__URL: rest.url,
          REVIEWTRACE_GERRIT__HTTP__USERNAME: 'admin',
          REVIEWTRACE_GERRIT__HTTP__PASSWORD: gerrit.accounts.admin.httpPassword,
          REVIEWTRACE_GERRIT__HTTP__TIMEOUT_MS: '2000',
          REVIEWTRACE_GERRIT__RECONCILE_RETRY_INITIAL_MS: '500',
          REVIEWTRACE_GERRIT__RECONCILE_RETRY_MAX_MS: '2000',
          REVIEWTRACE_GERRIT__SSH__HOST: '127.0.0.1',
          REVIEWTRACE_GERRIT__SSH__PORT: String(gerrit.sshPort),
          REVIEWTRACE_GERRIT__SSH__USERNAME: 'admin',
          REVIEWTRACE_GERRIT__SSH__PRIVATE_KEY_FILE: gerrit.adminKeyPath,
          REVIEWTRACE_GERRIT__SSH__HOST_KEY__KNOWN_HOSTS_FILE: gerrit.knownHostsFor(
            gerrit.sshPort,
            join(work, 'known_hosts'),
          ),
          REVIEWTRACE_EXPORT__IDLE_MS: '200',
        },
        join(work, 'sidecar.log'),
      );
      await sidecar.ready();
    });

    after(async () => {
      await sidecar?.stop();
      await rest?.close();
      await Promise.all([tempo?.stop(), gerrit?.stop()]);
      removeTestDir(work);
    });

    it('rebuilds the stuck change beside the stream, says so in /ready and the metrics, and completes it once REST answers', async () => {
      const create = async (owner: string, subject: string) =>
        (
          await gerrit
            .as(owner)
            .request<{ _number: number }>('POST', '/changes/', { project: 'slow-rest', branch: 'master', subject })
        )._number;
      const stuck = await create('alice', 'waits for its history');
      await gerrit.as('alice').request('POST', `/changes/${stuck}/reviewers`, { reviewer: 'bob' });
      await waitFor('the stuck change’s reviewer in Tempo', async () =>
        (await spanNames(stuck)).includes('reviewer.added') ? true : undefined,
      );

      rest.hang.add(stuck);
      // Bob's first review sets a figure: the sidecar takes its time from Gerrit's REST record.
      await gerrit.as('bob').request('POST', `/changes/${stuck}/revisions/current/review`, {
        message: 'LGTM',
        labels: { 'Code-Review': 1 },
      });
      await gerrit.as('alice').request('POST', `/changes/${stuck}/revisions/current/review`, { message: 'Thanks!' });
      await waitFor('the stuck change’s two events held', async () =>
        (await sidecar.metric('reviewtrace_held_events')) === 2 ? true : undefined,
      );
      assert.equal(await sidecar.metric('reviewtrace_changes_awaiting_rebuild'), 1);

      // Other changes flow on meanwhile, all the way to Tempo.
      const others: number[] = [];
      for (const owner of ['bob', 'carol']) {
        const n = await create(owner, `flows on (${owner})`);
        await gerrit.as(owner).request('POST', `/changes/${n}/reviewers`, { reviewer: 'alice' });
        await gerrit.as(owner).request('POST', `/changes/${n}/revisions/current/review`, { message: 'Ready.' });
        others.push(n);
      }
      for (const n of others) {
        const names = await waitFor(`change ${n} in Tempo while the stuck change waits`, async () => {
          const got = await spanNames(n);
          return got.length === 2 ? got : undefined;
        });
        assert.deepEqual(names, ['comment', 'reviewer.added']);
      }
      assert.ok(rest.hung >= 1, 'the sidecar asked for the stuck change’s history');
      assert.deepEqual(await spanNames(stuck), ['reviewer.added'], 'its held events are not applied yet');

      const degraded = await waitFor('/ready to report the failing rebuild', async () => {
        const r = await readiness();
        return r.body.degraded?.some((d) => d.reason === 'rebuilds_failing') ? r : undefined;
      });
      assert.equal(degraded.status, 200, 'still ready: the stream and export go on');
      assert.equal(degraded.body.ready, true);
      assert.match(degraded.body.degraded?.[0].message ?? '', /1 change\(s\).*2 live event\(s\).*did not answer/);
      assert.deepEqual(degraded.body.rebuilds, { changes: 1, failing: 1, heldEvents: 2 });
      assert.ok(
        (await sidecar.metric('reviewtrace_reconcile_failures_total', { kind: 'change', reason: 'timeout' })) >= 1,
      );
      await waitFor('a retry with backoff', () => (rest.hung >= 2 ? true : undefined));

      rest.hang.delete(stuck);
      const names = await waitFor('the stuck change complete in Tempo once REST answers', async () => {
        const got = await spanNames(stuck);
        return got.length === 5 ? got : undefined;
      });
      assert.deepEqual(names, ['comment', 'comment', 'review', 'reviewer.added', 'vote'], 'each span once');
      await waitFor('/ready no longer degraded', async () => {
        const r = await readiness();
        return r.body.degraded?.length === 0 ? r : undefined;
      });
      assert.equal(await sidecar.metric('reviewtrace_held_events'), 0);
      assert.equal(await sidecar.metric('reviewtrace_changes_awaiting_rebuild'), 0);
    });
  },
);
