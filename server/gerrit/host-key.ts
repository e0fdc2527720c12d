import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';

// Verifies Gerrit's SSH host key against a pinned OpenSSH fingerprint or a known_hosts file.
// ssh2 hands us the raw key and leaves the decision to us; no maintained npm package reads
// known_hosts (with hashed host names and [host]:port entries), so the small parser is here.

/** OpenSSH's "SHA256:…" fingerprint of a raw public key blob. */
export function sha256Fingerprint(rawKey: Buffer): string {
  return `SHA256:${createHash('sha256').update(rawKey).digest('base64').replace(/=+$/, '')}`;
}

export interface KnownHost {
  patterns: string[];
  keyType: string;
  key: Buffer;
  revoked: boolean;
}

export function parseKnownHosts(text: string): KnownHost[] {
  const entries: KnownHost[] = [];
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) {
      continue;
    }
    const fields = line.split(/\s+/);
    let revoked = false;
    if (fields[0].startsWith('@')) {
      const marker = fields.shift();
      if (marker === '@cert-authority') {
        continue;
      }
      revoked = marker === '@revoked';
    }
    if (fields.length < 3) {
      continue;
    }
    entries.push({
      patterns: fields[0].split(','),
      keyType: fields[1],
      key: Buffer.from(fields[2], 'base64'),
      revoked,
    });
  }
  return entries;
}

function hostMatches(pattern: string, names: string[]): boolean {
  if (pattern.startsWith('|1|')) {
    const [, , salt, hash] = pattern.split('|');
    if (!salt || !hash) {
      return false;
    }
    return names.some((n) => createHmac('sha1', Buffer.from(salt, 'base64')).update(n).digest('base64') === hash);
  }
  return names.includes(pattern);
}

/** Names a host is listed under in known_hosts: "host" on port 22, "[host]:port" otherwise. */
export function knownHostNames(host: string, port: number): string[] {
  return port === 22 ? [host] : [`[${host}]:${port}`];
}

export type HostKeyVerdict = { ok: true } | { ok: false; reason: string };

export interface HostKeyPolicy {
  fingerprint?: string;
  knownHostsFile?: string;
  insecureAcceptAny: boolean;
}

export function verifyHostKey(rawKey: Buffer, host: string, port: number, policy: HostKeyPolicy): HostKeyVerdict {
  const presented = sha256Fingerprint(rawKey);
  if (policy.fingerprint) {
    const pinned = policy.fingerprint.replace(/=+$/, '');
    return presented === pinned
      ? { ok: true }
      : {
          ok: false,
          reason: `Gerrit's SSH host key ${presented} does not match the pinned gerrit.ssh.hostKey.fingerprint ${pinned}. If the server's key really changed, pin the new one (ssh-keygen -lf <key>.pub); otherwise someone may be intercepting the connection.`,
        };
  }
  if (policy.knownHostsFile) {
    let entries: KnownHost[];
    try {
      entries = parseKnownHosts(readFileSync(policy.knownHostsFile, 'utf8'));
    } catch (err) {
      return {
        ok: false,
        reason: `cannot read gerrit.ssh.hostKey.knownHostsFile ${policy.knownHostsFile}: ${(err as Error).message}`,
      };
    }
    const names = knownHostNames(host, port);
    const forHost = entries.filter((e) => e.patterns.some((p) => hostMatches(p, names)));
    if (forHost.some((e) => e.revoked && e.key.equals(rawKey))) {
      return { ok: false, reason: `Gerrit's SSH host key ${presented} is marked @revoked in ${policy.knownHostsFile}` };
    }
    if (forHost.some((e) => !e.revoked && e.key.equals(rawKey))) {
      return { ok: true };
    }
    return forHost.length === 0
      ? {
          ok: false,
          reason: `${names[0]} is not listed in ${policy.knownHostsFile} (presented key ${presented}). Add it, e.g. ssh-keyscan -p ${port} ${host} >> ${policy.knownHostsFile}, after checking the fingerprint with the Gerrit admin.`,
        }
      : {
          ok: false,
          reason: `Gerrit's SSH host key ${presented} differs from the key(s) for ${names[0]} in ${policy.knownHostsFile}. If the server's key really changed, update known_hosts; otherwise someone may be intercepting the connection.`,
        };
  }
  return policy.insecureAcceptAny ? { ok: true } : { ok: false, reason: 'no host key configured (gerrit.ssh.hostKey)' };
}
