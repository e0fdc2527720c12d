import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sha256Fingerprint, verifyHostKey } from './host-key.ts';

// A real ed25519 public key in SSH wire format (string "ssh-ed25519", string key).
function sshEd25519Blob(): Buffer {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const str = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  return Buffer.concat([str(Buffer.from('ssh-ed25519')), str(raw)]);
}

const dir = mkdtempSync(join(tmpdir(), 'reviewtrace-hostkey-'));
const key = sshEd25519Blob();
const other = sshEd25519Blob();

describe('verifyHostKey', () => {
  it('accepts the pinned fingerprint and refuses another key with a clear reason', () => {
    const fp = sha256Fingerprint(key);
    assert.match(fp, /^SHA256:[A-Za-z0-9+/]{43}$/);
    assert.deepEqual(verifyHostKey(key, 'g', 29418, { fingerprint: fp, insecureAcceptAny: false }), { ok: true });
    const refused = verifyHostKey(other, 'g', 29418, { fingerprint: fp, insecureAcceptAny: false });
    assert.equal(refused.ok, false);
    assert.match((refused as { reason: string }).reason, /does not match the pinned gerrit.ssh.hostKey.fingerprint/);
  });

  it('checks known_hosts entries, plain, [host]:port and hashed', () => {
    const salt = randomBytes(20);
    const hashed = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update('[hashed.example]:29418').digest('base64')}`;
    const path = join(dir, 'known_hosts');
    writeFileSync(
      path,
      `# comment\n[g.example]:29418 ssh-ed25519 ${key.toString('base64')}\n${hashed} ssh-ed25519 ${key.toString('base64')}\nplain.example ssh-ed25519 ${key.toString('base64')}\n`,
    );
    const policy = { knownHostsFile: path, insecureAcceptAny: false };
    assert.equal(verifyHostKey(key, 'g.example', 29418, policy).ok, true);
    assert.equal(verifyHostKey(key, 'hashed.example', 29418, policy).ok, true);
    assert.equal(verifyHostKey(key, 'plain.example', 22, policy).ok, true);
    assert.match(
      (verifyHostKey(other, 'g.example', 29418, policy) as { reason: string }).reason,
      /differs from the key/,
    );
    assert.match(
      (verifyHostKey(key, 'unknown.example', 29418, policy) as { reason: string }).reason,
      /not listed in .*ssh-keyscan/,
    );
    assert.equal(verifyHostKey(key, 'g.example', 2222, policy).ok, false, 'the port is part of the name');
  });

  it('refuses a key marked @revoked, and accepts anything only when told to', () => {
    const path = join(dir, 'revoked');
    writeFileSync(
      path,
      `@revoked [g]:29418 ssh-ed25519 ${key.toString('base64')}\n[g]:29418 ssh-ed25519 ${key.toString('base64')}\n`,
    );
    assert.match(
      (verifyHostKey(key, 'g', 29418, { knownHostsFile: path, insecureAcceptAny: false }) as { reason: string }).reason,
      /@revoked/,
    );
    assert.equal(verifyHostKey(other, 'g', 29418, { insecureAcceptAny: true }).ok, true);
  });
});
