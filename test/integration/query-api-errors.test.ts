import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SidecarProcess } from '../support/sidecar.ts';
import { waitFor } from '../support/wait.ts';

// The query API when Tempo cannot be reached, and when a request asks too much: the browser gets an
// error code and plain advice (never Tempo's address or answer, which go to the log), and limits
// are said plainly. The real sidecar (`demo`, its live state only), with Tempo at a closed port.

const work = mkdtempSync(join(tmpdir(), 'reviewtrace-api-errors-'));
let sidecar: SidecarProcess;
let tempoPort = 0;

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

async function get(path: string): Promise<{ status: number; text: string }> {
  const r = await fetch(`${sidecar.url}${path}`, { headers: { authorization: `Bearer ${sidecar.apiToken}` } });
  return { status: r.status, text: await r.text() };
}

describe('query API errors (real sidecar, Tempo unreachable)', { timeout: 120_000 }, () => {
  before(async () => {
    tempoPort = await closedPort();
    sidecar = await SidecarProcess.start(
      ['demo', '--changes', '30'],
      {
        REVIEWTRACE_DATABASE_PATH: join(work, 'demo.db'),
        REVIEWTRACE_DATA_DIR: work,
        REVIEWTRACE_TEMPO__OTLP_ENDPOINT: `http://127.0.0.1:${tempoPort}/v1/traces`,
        REVIEWTRACE_TEMPO__QUERY_URL: `http://127.0.0.1:${tempoPort}`,
        REVIEWTRACE_TEMPO__TIMEOUT_MS: '2000',
      },
      join(work, 'sidecar.log'),
    );
    await waitFor(
      'the API',
      async () => ((await get('/api/waiting?from=0&to=1')).status === 200 ? true : undefined),
      60_000,
    );
  });

  after(async () => {
    await sidecar?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('says Tempo failed in plain words, and logs the detail', async () => {
    const now = Date.now();
    const list = await get(`/api/changes?from=${now - 30 * 86_400_000}&to=${now}`);
    assert.equal(list.status, 200, 'the open changes are still listed');
    const body = JSON.parse(list.text) as { sources: { tempo: string; tempoError?: string } };
    assert.equal(body.sources.tempo, 'error');
    assert.match(body.sources.tempoError ?? '', /could not query Tempo/);
    const detail = await get('/api/changes/1');
    for (const answer of [list, detail]) {
      assert.ok(!answer.text.includes(String(tempoPort)), `no Tempo address in ${answer.text.slice(0, 300)}`);
      assert.ok(!/ECONNREFUSED|fetch failed/i.test(answer.text), 'no internal error text');
    }
    assert.equal(detail.status, 502);
    assert.match(JSON.parse(detail.text).code, /tempo_unreachable/);
    await waitFor(
      'the log to name what failed',
      async () =>
        readFileSync(join(work, 'sidecar.log'), 'utf8').includes(`127.0.0.1:${tempoPort}`) ? true : undefined,
      10_000,
    );
  });

  it('refuses ranges and filter lists beyond its limits, saying which', async () => {
    const now = Date.now();
    const wide = await get(`/api/changes?from=${now - 800 * 86_400_000}&to=${now}`);
    assert.equal(wide.status, 400);
    assert.match(wide.text, /at most 731 days \(query\.maxRangeDays\)/);
    assert.equal((await get(`/api/changes?from=${now - 700 * 86_400_000}&to=${now}`)).status, 200);
    const many = Array.from({ length: 51 }, (_, i) => `project=p${i}`).join('&');
    const lists = await get(`/api/changes?from=${now - 86_400_000}&to=${now}&${many}`);
    assert.equal(lists.status, 400);
    assert.match(lists.text, /project/);
  });
});
