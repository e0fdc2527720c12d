// npm run bench:load — one JSON line: the real sidecar (`reviewtrace-server run`, its own process,
// with the heap flags of `npm run server`) following `gerrit stream-events` over real SSH at a
// steady --rate events/s for --seconds, exporting through the OTLP counting proxy
// (test/support/otlp-proxy.ts) into a real Tempo.
//
// The SSH server is not Gerrit: it is an in-process ssh2 Server that answers `gerrit stream-events`
// with the demo generator's review events (server/demo/review-history.ts: every change starts with
// its first patchset-created, so the sidecar needs no REST history, and runs without gerrit.http).
// Event times are the generator's (a history ending before now), not the wall clock; the abandon
// finalization is pushed out of reach so that nothing depends on the clock.
//
// lag: for each event that completes at least one span, from the moment the generator wrote its
// line to the SSH channel until Tempo acknowledged (a 2xx at the proxy) the last span that event
// completed. Which spans an event completes comes from the span contract's mapper run here over the
// same lines (instant facts go out at their event; an interval or a root at the event that closes
// it); events that complete none (a change's first patch set only opens intervals) produce nothing
// Tempo could acknowledge and are not counted.
// lost / duplicated: the spans the mapper says the sent events complete, against what the proxy saw
// Tempo acknowledge (missing, or acknowledged more than once) and what Tempo returns for each trace
// read back by id (missing, or the same span id twice).
// Reference, same run: the delivery lag of the same SSH server to a plain ssh2 client in this
// process that only splits lines, fed the same lines at the same moments.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import ssh2, { type ServerChannel } from 'ssh2';
import { demoStreamEvents } from '../server/demo/review-history.ts';
import { parseStreamEventLine } from '../server/gerrit/stream-events.ts';
import { ChangeMapper, reviveOpenChange, type OpenChange } from '../server/mapping/change-mapper.ts';
import { OtlpProxy } from '../test/support/otlp-proxy.ts';
import { SidecarProcess } from '../test/support/sidecar.ts';
import { TempoServer } from '../test/support/tempo.ts';
import { waitFor } from '../test/support/wait.ts';

// ssh2 is CommonJS and its Server and utils are not found as named exports.
const { Client, Server, utils } = ssh2;

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '300' },
    keep: { type: 'boolean', default: false },
  },
});
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const totalEvents = Math.round(rate * seconds);

const SERVER_ID = 'loadbench';
const BOT_PATTERNS = ['(^|[-_.])(ci|bot|jenkins|zuul)([-_.@]|$)'];
const COMMENT_MAX_CHARS = 1000;
const CI_LABEL = 'Verified';
/** Ten years: no abandon becomes final during the run, in the sidecar or in the mapper here. */
const ABANDON_FINAL_AFTER_MS = 10 * 365 * 86_400_000;

const progress = (message: string) => process.stderr.write(`[bench:load] ${message}\n`);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) {
    return NaN;
  }
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

/** The stream's lines, and per line the span ids the span contract says it completes. */
function generateStream(): {
  lines: string[];
  completes: string[][];
  traceOf: Map<string, string>;
  skippedBeforeCreation: number;
} {
  const events = demoStreamEvents({
    seed: 12,
    changes: totalEvents, // more than needed: the stream is cut at totalEvents
    startMs: Date.now() - 40 * 86_400_000,
    meanArrivalMs: 2 * 60_000,
    url: 'http://gerrit.loadbench.invalid',
  });
  const mapper = new ChangeMapper({
    serverId: SERVER_ID,
    botPatterns: BOT_PATTERNS.map((p) => new RegExp(p, 'i')),
    commentMaxChars: COMMENT_MAX_CHARS,
    ciLabel: CI_LABEL,
    abandonFinalAfterMs: ABANDON_FINAL_AFTER_MS,
  });
  const open = new Map<number, OpenChange>();
  const seen = new Set<number>();
  const lines: string[] = [];
  const completes: string[][] = [];
  const traceOf = new Map<string, string>();
  let skippedBeforeCreation = 0;
  for (const event of events) {
    if (lines.length === totalEvents) {
      break;
    }
    const line = JSON.stringify(event);
    const parsed = parseStreamEventLine(line);
    if (parsed.kind === 'changeless') {
      // ref-updated and the like: counted by the sidecar, no span
      completes.push([]);
      lines.push(line);
      continue;
    }
    if (parsed.kind !== 'change') {
      throw new Error(`the generator made a line the sidecar would not map: ${line.slice(0, 200)}`);
    }
    const n = parsed.event.change.number;
    if (!seen.has(n)) {
      // Without REST history the sidecar can only start a change at its first patch set. The
      // generator sometimes dates a topic change a second before the change's creation, which
      // Gerrit never streams: such lines are left out.
      if (parsed.event.type !== 'patchset-created' || parsed.event.patchSet?.number !== 1) {
        skippedBeforeCreation += 1;
        continue;
      }
      seen.add(n);
    }
    const result = mapper.applyEvent(open.get(n), parsed.event);
    // Stored as the sidecar stores it (JSON in its database, revived on the next event).
    if (result.change) {
      open.set(n, reviveOpenChange(JSON.parse(JSON.stringify(result.change)) as OpenChange));
    } else {
      open.delete(n);
    }
    completes.push(result.spans.map((s) => s.spanId));
    for (const s of result.spans) {
      traceOf.set(s.spanId, s.traceId);
    }
    lines.push(line);
  }
  if (lines.length < totalEvents) {
    throw new Error(`the generator ran out after ${lines.length} events`);
  }
  return { lines, completes, traceOf, skippedBeforeCreation };
}

/** An SSH server that answers `gerrit stream-events` (and `gerrit version`, the sidecar's probe). */
async function startStreamServer(
  clientPublicKey: ReturnType<typeof utils.parseKey>,
  hostKey: string,
): Promise<{ server: ssh2.Server; port: number; streams: Map<string, ServerChannel> }> {
  const streams = new Map<string, ServerChannel>();
  const allowed = clientPublicKey instanceof Error ? undefined : clientPublicKey;
  if (!allowed) {
    throw new Error('cannot parse the generated client key');
  }
  const server = new Server({ hostKeys: [hostKey] }, (client) => {
    let user = '';
    client.on('authentication', (ctx) => {
      user = ctx.username;
      const ok =
        ctx.method === 'publickey' &&
        ctx.key.algo === allowed.type &&
        ctx.key.data.equals(allowed.getPublicSSH()) &&
        (!ctx.signature || allowed.verify(ctx.blob ?? Buffer.alloc(0), ctx.signature, ctx.hashAlgo) === true);
      if (ok) {
        ctx.accept();
      } else {
        ctx.reject(['publickey']);
      }
    });
    client.on('ready', () => {
      client.on('session', (acceptSession) => {
        const session = acceptSession();
        session.on('exec', (acceptExec, _reject, info) => {
          const channel = acceptExec();
          if (info.command === 'gerrit stream-events') {
            streams.set(user, channel);
            channel.on('close', () => {
              if (streams.get(user) === channel) {
                streams.delete(user);
              }
            });
          } else if (info.command === 'gerrit version') {
            channel.write('gerrit version 3.10.0\n');
            channel.exit(0);
            channel.end();
          } else {
            channel.stderr.write(`fatal: ${info.command}: not a Gerrit command here\n`);
            channel.exit(1);
            channel.end();
          }
        });
      });
    });
    client.on('error', () => undefined); // a client going away is not the bench's failure
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port, streams };
}

/** The reference: a plain ssh2 client that follows the stream and only splits lines. */
function startReferenceClient(port: number, privateKey: string, receivedAt: number[]): Promise<ssh2.Client> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    client.on('error', reject);
    client.on('ready', () => {
      client.exec('gerrit stream-events', (err, channel) => {
        if (err) {
          reject(err);
          return;
        }
        let partial = '';
        channel.on('data', (chunk: Buffer) => {
          const now = performance.now();
          const text = partial + chunk.toString('utf8');
          let start = 0;
          for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
            receivedAt.push(now);
            start = nl + 1;
          }
          partial = text.slice(start);
        });
        resolve(client);
      });
    });
    client.connect({ host: '127.0.0.1', port, username: 'reference', privateKey });
  });
}

function vmHwmMb(pid: number | undefined): number {
  if (pid === undefined) {
    return NaN;
  }
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'reviewtrace-bench-load-'));
  progress(`generating ${totalEvents} events (${rate}/s for ${seconds} s); work dir ${work}`);
  const { lines, completes, traceOf, skippedBeforeCreation } = generateStream();
  const expected = new Set(completes.flat());
  progress(`${lines.length} lines, ${expected.size} spans expected in ${new Set(traceOf.values()).size} traces`);

  const tempo = await TempoServer.start(join(work, 'tempo'));
  const proxy = await OtlpProxy.start(tempo.otlpEndpoint);
  const hostKey = utils.generateKeyPairSync('ed25519');
  const clientKey = utils.generateKeyPairSync('ed25519');
  const keyFile = join(work, 'id_ed25519');
  writeFileSync(keyFile, clientKey.private, { mode: 0o600 });
  const ssh = await startStreamServer(utils.parseKey(clientKey.public), hostKey.private);
  const hostBlob = (utils.parseKey(hostKey.public) as Exclude<ReturnType<typeof utils.parseKey>, Error>).getPublicSSH();
  const fingerprint = `SHA256:${createHash('sha256').update(hostBlob).digest('base64').replace(/=+$/, '')}`;

  const referenceReceivedAt: number[] = [];
  const reference = await startReferenceClient(ssh.port, clientKey.private, referenceReceivedAt);
  const sidecar = await SidecarProcess.start(
    ['run'],
    {
      // The heap flags users run the sidecar with (package.json "server", docs/deployment.md).
      NODE_OPTIONS: '--max-old-space-size=256 --max-semi-space-size=16',
      REVIEWTRACE_LOG__LEVEL: 'info',
      REVIEWTRACE_DATABASE_PATH: join(work, 'reviewtrace.db'),
      REVIEWTRACE_TEMPO__OTLP_ENDPOINT: proxy.url,
      REVIEWTRACE_TEMPO__QUERY_URL: tempo.url,
      REVIEWTRACE_GERRIT__SERVER_ID: SERVER_ID,
      REVIEWTRACE_GERRIT__SSH__HOST: '127.0.0.1',
      REVIEWTRACE_GERRIT__SSH__PORT: String(ssh.port),
      REVIEWTRACE_GERRIT__SSH__USERNAME: 'sidecar',
      REVIEWTRACE_GERRIT__SSH__PRIVATE_KEY_FILE: keyFile,
      REVIEWTRACE_GERRIT__SSH__HOST_KEY__FINGERPRINT: fingerprint,
      REVIEWTRACE_MAPPING__BOT_ACCOUNTS: JSON.stringify(BOT_PATTERNS),
      REVIEWTRACE_MAPPING__COMMENT_MAX_CHARS: String(COMMENT_MAX_CHARS),
      REVIEWTRACE_MAPPING__CI_LABEL: CI_LABEL,
      REVIEWTRACE_MAPPING__ABANDON_FINAL_AFTER_MS: String(ABANDON_FINAL_AFTER_MS),
    },
    join(work, 'sidecar.log'),
  );
  const pid = sidecar.process.child.pid;
  let result: Record<string, unknown> | undefined;
  try {
    await sidecar.ready();
    const sidecarChannel = await waitFor(
      'the sidecar following stream-events',
      () => ssh.streams.get('sidecar'),
      60_000,
    );
    const referenceChannel = ssh.streams.get('reference');
    if (!referenceChannel) {
      throw new Error('the reference client is not following the stream');
    }

    // Paced writes: every tick writes the lines due by now, each line its own write as Gerrit does.
    const writtenAt: number[] = [];
    const started = performance.now();
    let lastProgress = started;
    let peakRssMb = 0;
    while (writtenAt.length < lines.length) {
      const now = performance.now();
      const due = Math.min(lines.length, Math.floor(((now - started) / 1000) * rate) + 1);
      while (writtenAt.length < due) {
        const line = lines[writtenAt.length] + '\n';
        writtenAt.push(performance.now());
        sidecarChannel.write(line);
        referenceChannel.write(line);
      }
      if (now - lastProgress >= 10_000) {
        lastProgress = now;
        peakRssMb = Math.max(peakRssMb, vmHwmMb(pid));
        progress(
          `${Math.round((now - started) / 1000)} s: ${writtenAt.length} events written, ` +
            `${proxy.firstAcknowledgedAt.size}/${expected.size} spans acknowledged, ` +
            `${proxy.requests} requests, sidecar peak RSS ${round(peakRssMb)} MB`,
        );
      }
      if (!sidecar.process.running) {
        throw new Error(`the sidecar exited; see ${sidecar.process.logPath}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const writeSeconds = (performance.now() - started) / 1000;
    progress(`all ${lines.length} events written in ${round(writeSeconds)} s; waiting for the spans`);

    const missingAtProxy = () => [...expected].filter((id) => !proxy.acknowledged.has(id));
    await waitFor(
      'every expected span acknowledged at the proxy',
      () => (missingAtProxy().length === 0 ? true : undefined),
      120_000,
      500,
    ).catch((err: Error) => progress(err.message));
    peakRssMb = Math.max(peakRssMb, vmHwmMb(pid));

    // Tempo: every trace read back by id, until it holds what it should or the deadline passes.
    const byTrace = new Map<string, string[]>();
    for (const id of expected) {
      const traceId = traceOf.get(id) ?? '';
      byTrace.set(traceId, [...(byTrace.get(traceId) ?? []), id]);
    }
    const inTempo = new Map<string, Map<string, number>>();
    const readTrace = async (traceId: string) => {
      const counts = new Map<string, number>();
      for (const span of await tempo.trace(traceId)) {
        counts.set(span.spanId, (counts.get(span.spanId) ?? 0) + 1);
      }
      inTempo.set(traceId, counts);
    };
    const incomplete = () =>
      [...byTrace].filter(([traceId, ids]) => !ids.every((id) => inTempo.get(traceId)?.has(id))).map(([t]) => t);
    const deadline = Date.now() + 120_000;
    for (let pending = incomplete(); pending.length > 0 && Date.now() < deadline; pending = incomplete()) {
      progress(`reading ${pending.length} traces back from Tempo`);
      let lastReport = performance.now();
      for (let i = 0; i < pending.length; i += 8) {
        await Promise.all(pending.slice(i, i + 8).map((t) => readTrace(t).catch(() => undefined)));
        if (performance.now() - lastReport >= 10_000) {
          lastReport = performance.now();
          progress(`read ${i + 8} of ${pending.length} traces`);
        }
      }
      if (incomplete().length > 0) {
        await new Promise((resolve) => setTimeout(resolve, 3_000));
      }
    }

    const lostAtProxy = missingAtProxy();
    const duplicatedAtProxy = proxy.duplicatedAcknowledged();
    const lostInTempo = [...byTrace].flatMap(([t, ids]) => ids.filter((id) => !inTempo.get(t)?.has(id)));
    const duplicatedInTempo = [...inTempo.values()].flatMap((c) => [...c].filter(([, n]) => n > 1).map(([id]) => id));
    const unexpectedForwarded = [...proxy.forwarded.keys()].filter((id) => !expected.has(id));
    const unexpectedInTempo = [...inTempo.values()].flatMap((c) => [...c.keys()].filter((id) => !expected.has(id)));

    const lags: number[] = [];
    completes.forEach((ids, i) => {
      if (ids.length === 0 || !ids.every((id) => proxy.firstAcknowledgedAt.has(id))) {
        return;
      }
      lags.push(Math.max(...ids.map((id) => proxy.firstAcknowledgedAt.get(id) ?? 0)) - writtenAt[i]);
    });
    lags.sort((a, b) => a - b);
    const referenceLags = referenceReceivedAt.map((t, i) => t - writtenAt[i]).sort((a, b) => a - b);

    result = {
      eventsPerSec: rate,
      seconds,
      lagP50Ms: round(percentile(lags, 50)),
      lagP99Ms: round(percentile(lags, 99)),
      peakRssMb: round(peakRssMb),
      lost: new Set([...lostAtProxy, ...lostInTempo]).size,
      duplicated: new Set([...duplicatedAtProxy, ...duplicatedInTempo]).size,
      lagMaxMs: round(lags.at(-1) ?? NaN),
      achievedEventsPerSec: round(lines.length / writeSeconds),
      generatorLinesLeftOut: skippedBeforeCreation,
      eventsWithSpans: completes.filter((ids) => ids.length > 0).length,
      eventsTimed: lags.length,
      spansExpected: expected.size,
      traces: byTrace.size,
      lostAtProxy: lostAtProxy.length,
      lostInTempo: lostInTempo.length,
      duplicatedAtProxy: duplicatedAtProxy.length,
      duplicatedInTempo: duplicatedInTempo.length,
      unexpectedForwarded: unexpectedForwarded.length,
      unexpectedInTempo: unexpectedInTempo.length,
      exportRequests: proxy.requests,
      proxyDecodeErrors: proxy.errors.length,
      reference: {
        what: 'the same SSH server to a plain ssh2 client that only splits lines',
        lagP50Ms: round(percentile(referenceLags, 50), 2),
        lagP99Ms: round(percentile(referenceLags, 99), 2),
        linesReceived: referenceReceivedAt.length,
      },
      lagP99OverReference: round(percentile(lags, 99) / percentile(referenceLags, 99), 0),
      node: process.version,
      cpus: `${cpus().length} × ${cpus()[0]?.model ?? '?'}`,
    };
    if (proxy.errors.length > 0) {
      progress(`the proxy could not decode: ${proxy.errors.slice(0, 3).join('; ')}`);
    }
  } finally {
    await sidecar.stop();
    reference.end();
    ssh.server.close();
    await proxy.close();
    await tempo.stop();
    if (values.keep) {
      progress(`kept ${work}`);
    } else {
      rmSync(work, { recursive: true, force: true });
    }
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
