import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { IngestStore } from '../store/ingest-store.ts';
import { ConfigError, canonicalServerId, loadConfig } from './config.ts';
import { settleServerId } from './server-identity.ts';

const dir = mkdtempSync(join(tmpdir(), 'reviewtrace-identity-'));
let n = 0;
const freshStore = () => new IngestStore(join(dir, `db-${(n += 1)}.sqlite`));
const ssh = { host: 'Review.Example.org.', username: 'rt', privateKeyFile: '/k', hostKey: { insecureAcceptAny: true } };
const config = (gerrit: Record<string, unknown>) => loadConfig({ env: {}, overrides: { gerrit } });

describe('the Gerrit identity in trace ids', () => {
  it('is derived canonically: lower case, without port, brackets or trailing dot', () => {
    assert.equal(canonicalServerId('Review.Example.ORG.'), 'review.example.org');
    assert.equal(canonicalServerId('[::1]'), '::1');
    assert.equal(config({ ssh }).serverId, 'review.example.org');
    assert.equal(config({ ssh, http: { url: 'https://review.example.org:8443/' } }).serverId, 'review.example.org');
  });

  it('is stored on first start and kept when the configuration would derive another', () => {
    const store = freshStore();
    assert.deepEqual(settleServerId(config({ ssh }), store), { serverId: 'review.example.org' });
    // gerrit.http added later, on another host name: the stored identity stays.
    const later = settleServerId(config({ ssh, http: { url: 'http://gerrit-web.internal:8080/' } }), store);
    assert.equal(later.serverId, 'review.example.org');
    assert.match(later.note ?? '', /keeping the stored Gerrit identity/);
  });

  it('refuses a configured identity that differs from the stored one, unless confirmed', () => {
    const store = freshStore();
    settleServerId(config({ ssh }), store);
    const other = config({ ssh, serverId: 'gerrit-prod' });
    assert.throws(
      () => settleServerId(other, store),
      (err: unknown) =>
        err instanceof ConfigError &&
        /gerrit\.serverId: expected "review\.example\.org"/.test(err.message) &&
        /--accept-server-id-change/.test(err.message),
    );
    assert.equal(settleServerId(other, store, true).serverId, 'gerrit-prod');
    assert.equal(settleServerId(other, store).serverId, 'gerrit-prod', 'the confirmed identity is stored');
  });

  it('keeps what older versions derived (host with port) for a database that already exported spans', () => {
    const store = freshStore();
    store.enqueueSpans(
      [
        {
          traceId: 'a'.repeat(32),
          spanId: 'b'.repeat(16),
          name: 'vote',
          startMs: 1,
          endMs: 2,
          status: 'unset',
          attributes: {},
        },
      ],
      1,
    );
    const c = config({ ssh, http: { url: 'http://review.example.org:8080/' } });
    assert.equal(c.legacyServerId, 'review.example.org:8080');
    assert.equal(settleServerId(c, store).serverId, 'review.example.org:8080');
  });
});
