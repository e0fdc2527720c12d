import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import ssh2, { type ServerChannel } from 'ssh2';
import { waitFor } from '../../test/support/wait.ts';
import type { SshConfig } from '../config/config.ts';
import { createLogger } from '../observability/logger.ts';
import { SidecarMetrics } from '../observability/metrics.ts';
import { sha256Fingerprint } from './host-key.ts';
import { GerritStream } from './ssh-stream.ts';
import { parseStreamEventLine } from './stream-events.ts';

// The real GerritStream against a real SSH server: an in-process ssh2 Server that answers
// `gerrit stream-events` with what the test scripts (no Gerrit needed to send hostile bytes).

// ssh2 is CommonJS and Node cannot see its Server and utils as named exports.
const { Server, utils } = ssh2;

const MAX_LINE_BYTES = 4 * 1024 * 1024;

/** Writes to the channel honouring its flow control, as a real sshd's output does. */
async function send(to: Writable, data: Buffer | string): Promise<void> {
  if (!to.write(data)) {
    await new Promise((resolve) => to.once('drain', resolve));
  }
}

function event(number: number): string {
  return JSON.stringify({
    type: 'comment-added',
    change: { number, project: 'p', branch: 'main' },
    author: { username: 'rita' },
    approvals: [{ type: 'Code-Review', value: '1' }],
    comment: 'Patch Set 1: Code-Review+1',
    eventCreatedOn: 1_700_000_000 + number,
  });
}

type Script = (channel: ServerChannel) => Promise<void>;

describe('GerritStream over a real SSH connection', () => {
  const dir = mkdtempSync(join(tmpdir(), 'reviewtrace-ssh-stream-'));
  const hostKey = utils.generateKeyPairSync('ed25519');
  const clientKey = utils.generateKeyPairSync('ed25519');
  const hostPublicKey = utils.parseKey(hostKey.public);
  assert.ok(!(hostPublicKey instanceof Error));
  const hostFingerprint = sha256Fingerprint(hostPublicKey.getPublicSSH());
  const privateKeyFile = join(dir, 'id_ed25519');
  writeFileSync(privateKeyFile, clientKey.private, { mode: 0o600 });
  let script: Script = async () => undefined;
  const server = new Server({ hostKeys: [hostKey.private] }, (client) => {
    client.on('error', () => undefined);
    client.on('authentication', (ctx) => ctx.accept());
    client.on('ready', () => {
      client.on('session', (acceptSession) => {
        acceptSession().on('exec', (accept, reject, info) => {
          if (info.command !== 'gerrit stream-events') {
            reject();
            return;
          }
          void script(accept());
        });
      });
    });
  });
  let port = 0;

  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => server.close());

  function follow() {
    const cfg: SshConfig = {
      host: '127.0.0.1',
      port,
      username: 'reviewtrace',
      privateKeyFile,
      hostKey: {
        fingerprint: hostFingerprint,
        insecureAcceptAny: false,
      },
      keepaliveIntervalMs: 15_000,
      keepaliveCountMax: 3,
      watchdogMs: 120_000,
      connectTimeoutMs: 10_000,
      reconnectInitialMs: 60_000,
      reconnectMaxMs: 60_000,
      maxLineBytes: MAX_LINE_BYTES,
    };
    const metrics = new SidecarMetrics({ defaultMetrics: false });
    const lines: string[] = [];
    let dropped = 0;
    const stream = new GerritStream(cfg, createLogger('silent'), metrics, {
      onLine: (line) => lines.push(line),
      onConnected: () => undefined,
      onLineDropped: () => {
        dropped += 1;
      },
    });
    const countedTooLong = async () =>
      (await metrics.badLines.get()).values.find((v) => v.labels.reason === 'line_too_long')?.value ?? 0;
    return { stream, lines, dropped: () => dropped, countedTooLong };
  }

  it('drops a 10 MB line without a newline, counts it, and still delivers the valid events after it', async () => {
    script = async (channel) => {
      await send(channel, `${event(1)}\n`);
      const junk = Buffer.alloc(64 * 1024, 'x');
      for (let sent = 0; sent < 10 * 1024 * 1024; sent += junk.length) {
        await send(channel, junk);
      }
      await send(channel, `\n${event(2)}\n{"type":"comment-added","change":{"number":3},"approvals":"oops"}\n`);
      await send(channel, `${event(4)}\n`);
    };
    const { stream, lines, dropped, countedTooLong } = follow();
    stream.start();
    try {
      await waitFor('the events after the long line', () => (lines.length >= 4 ? true : undefined), 60_000, 20);
      assert.deepEqual(
        lines.map((l) => parseStreamEventLine(l).kind),
        ['change', 'change', 'malformed', 'change'],
      );
      assert.deepEqual(
        lines.map((l) => {
          const parsed = parseStreamEventLine(l);
          return parsed.kind === 'change' ? parsed.event.change.number : parsed.kind;
        }),
        [1, 2, 'malformed', 4],
      );
      assert.equal(await countedTooLong(), 1);
      assert.equal(dropped(), 1, 'the consumer is told to reconcile');
      assert.ok(stream.connected, 'a long line is no reason to drop the connection');
    } finally {
      await stream.stop();
    }
  });

  it('keeps only the end of a flood on stderr for the reason the stream ended', async () => {
    script = async (channel) => {
      const flood = Buffer.alloc(64 * 1024, 'e');
      for (let sent = 0; sent < 2 * 1024 * 1024; sent += flood.length) {
        await send(channel.stderr, flood);
      }
      // Handed to the SSH layer before the channel closes, as sshd flushes stderr before exiting.
      await new Promise((resolve) => channel.stderr.write('\nfatal: stream-events not permitted\n', resolve));
      channel.exit(1);
      channel.end();
    };
    const { stream } = follow();
    stream.start();
    try {
      const reason = await waitFor('the stream to end', () => stream.lastError, 60_000, 20);
      assert.ok(
        reason.endsWith('fatal: stream-events not permitted (the account needs the global "Stream Events" capability)'),
        `the reason ends with: ${reason.slice(-120)}`,
      );
      assert.ok(reason.length < 4096 + 200, `reason is ${reason.length} characters`);
    } finally {
      await stream.stop();
    }
  });
});
