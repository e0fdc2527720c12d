import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from './config.ts';

const dir = mkdtempSync(join(tmpdir(), 'reviewtrace-config-'));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const problems = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems;
  }
  return assert.fail('expected a ConfigError');
};

describe('loadConfig', () => {
  it('works with no file and no environment (demo defaults)', () => {
    const c = loadConfig({ env: {} });
    assert.equal(c.serviceName, 'gerrit');
    assert.equal(c.tempo.otlpEndpoint, 'http://localhost:4318/v1/traces');
    assert.equal(c.serverId, 'demo');
    assert.ok(c.databasePath.endsWith('reviewtrace.db'));
  });

  it('reads YAML, lets the environment win, and parses typed environment values', () => {
    const path = file(
      'ok.yaml',
      'gerrit:\n  http:\n    url: https://review.example.org/\n  ssh:\n    host: review.example.org\n    username: rt\n    privateKeyFile: /k\n    hostKey:\n      knownHostsFile: /kh\nexport:\n  batchSpans: 100\n',
    );
    const c = loadConfig({
      file: path,
      env: {
        REVIEWTRACE_EXPORT__BATCH_SPANS: '250',
        REVIEWTRACE_TEMPO__TENANT: 'team-a',
        REVIEWTRACE_GERRIT__SSH__PORT: '2222',
        REVIEWTRACE_TEMPO__HEADERS__X_API_KEY: 'k',
      },
    });
    assert.equal(c.export.batchSpans, 250);
    assert.equal(c.tempo.tenant, 'team-a');
    assert.equal(c.gerrit.ssh?.port, 2222);
    assert.deepEqual(c.tempo.headers, { 'x-api-key': 'k' });
    assert.equal(c.serverId, 'review.example.org', 'defaults to the canonical URL host');
  });

  it('bounds the live events held for changes being rebuilt, and retries failed reads with backoff', () => {
    const defaults = loadConfig({ env: {} }).gerrit;
    assert.deepEqual(
      [
        defaults.maxHeldEventsPerChange,
        defaults.maxHeldEvents,
        defaults.reconcileRetryInitialMs,
        defaults.reconcileRetryMaxMs,
      ],
      [1_000, 20_000, 5_000, 300_000],
    );
    const set = loadConfig({
      env: {
        REVIEWTRACE_GERRIT__MAX_HELD_EVENTS_PER_CHANGE: '50',
        REVIEWTRACE_GERRIT__RECONCILE_RETRY_MAX_MS: '60000',
      },
    }).gerrit;
    assert.deepEqual([set.maxHeldEventsPerChange, set.reconcileRetryMaxMs], [50, 60_000]);
    assert.match(
      problems(() => loadConfig({ env: { REVIEWTRACE_GERRIT__MAX_HELD_EVENTS: '0' } }))[0],
      /^gerrit\.maxHeldEvents/,
    );
  });

  it('names the bad key, the expected value and the environment variable', () => {
    const p = problems(() =>
      loadConfig({ env: { REVIEWTRACE_EXPORT__BATCH_SPANS: 'lots', REVIEWTRACE_TEMPO__OTLP_ENDPOINT: 'not a url' } }),
    );
    assert.equal(p.length, 2);
    assert.match(
      p.find((x) => x.startsWith('export.batchSpans')) ?? '',
      /expected number.*got "lots".*REVIEWTRACE_EXPORT__BATCH_SPANS/,
    );
    assert.match(p.find((x) => x.startsWith('tempo.otlpEndpoint')) ?? '', /URL.*got "not a url"/i);
  });

  it('bounds storage by default, takes 0 as "keep abandoned changes", and refuses negative bounds', () => {
    const defaults = loadConfig({ env: {} }).storage;
    assert.deepEqual(defaults, { abandonedRetentionDays: 90, deadLetterMaxSpans: 10_000, deadLetterRetentionDays: 30 });
    const kept = loadConfig({ env: { REVIEWTRACE_STORAGE__ABANDONED_RETENTION_DAYS: '0' } }).storage;
    assert.equal(kept.abandonedRetentionDays, 0);
    const p = problems(() =>
      loadConfig({
        env: { REVIEWTRACE_STORAGE__DEAD_LETTER_MAX_SPANS: '0', REVIEWTRACE_STORAGE__ABANDONED_RETENTION_DAYS: '-1' },
      }),
    );
    assert.deepEqual(p.map((x) => x.split(':')[0]).sort(), [
      'storage.abandonedRetentionDays',
      'storage.deadLetterMaxSpans',
    ]);
  });

  it('names a secret key that is wrong, never its value', () => {
    const secret = 'sh0rt-s3cret';
    const p = problems(() =>
      loadConfig({
        file: file(
          'secrets.yaml',
          'gerrit:\n  http:\n    url: https://g/\n    username: rt\n    password: 12345678\n  ssh:\n    host: g\n    username: rt\n    privateKeyFile: /k\n    passphrase: 987654321\n    hostKey:\n      knownHostsFile: /kh\ntempo:\n  headers:\n    x-api-key: 55555555\n',
        ),
        env: { REVIEWTRACE_HTTP__API_TOKEN: secret },
      }),
    );
    const text = p.join('\n');
    for (const key of ['http.apiToken', 'gerrit.http.password', 'gerrit.ssh.passphrase', 'tempo.headers.x-api-key']) {
      assert.ok(text.includes(key), `${key} is named in:\n${text}`);
    }
    assert.match(text, /http\.apiToken: at least 16 characters \(got a 12-character secret, not shown\)/);
    for (const value of [secret, '12345678', '987654321', '55555555']) {
      assert.ok(!text.includes(value), `${value} is not shown in:\n${text}`);
    }
    const yaml = problems(() =>
      loadConfig({ file: file('broken.yaml', 'http:\n  apiToken: [supersecret-token-value\n'), env: {} }),
    );
    assert.match(yaml[0], /not valid YAML/);
    assert.ok(!yaml[0].includes('supersecret'), yaml[0]);
  });

  it('rejects unknown keys, an SSH setup without a host key policy, and bad regexes', () => {
    assert.match(
      problems(() => loadConfig({ file: file('typo.yaml', 'tempo:\n  otlpEndpiont: x\n'), env: {} }))[0],
      /tempo: unknown key\(s\) "otlpEndpiont"/,
    );
    assert.match(
      problems(() =>
        loadConfig({
          file: file('nohk.yaml', 'gerrit:\n  ssh:\n    host: h\n    username: u\n    privateKeyFile: /k\n'),
          env: {},
        }),
      )[0],
      /gerrit.ssh.hostKey: expected fingerprint/,
    );
    assert.match(
      problems(() => loadConfig({ env: { REVIEWTRACE_MAPPING__BOT_ACCOUNTS: '["(unclosed"]' } }))[0],
      /mapping.botAccounts.0: expected a JavaScript regular expression/,
    );
    assert.match(problems(() => loadConfig({ file: file('bad.yaml', 'a: [\n'), env: {} }))[0], /not valid YAML/);
    assert.match(problems(() => loadConfig({ file: join(dir, 'missing.yaml'), env: {} }))[0], /cannot be read/);
  });
});
