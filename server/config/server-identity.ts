import { ConfigError, type Config } from './config.ts';

// The Gerrit identity in every trace id (SPEC "Span contract"). It must never change silently:
// a different id gives every change a new trace id, splitting changes across two traces. So the
// identity is derived canonically, stored in the database on first use, and a configuration that
// later disagrees with the stored one is refused unless the change is confirmed.

/** Minimal view of the store: the meta table. */
export interface IdentityStore {
  getMeta(key: string): string | undefined;
  setMeta(key: string, value: string): void;
  ledgerSize(): number;
}

const META_KEY = 'gerrit.serverId';

export type SettledIdentity = { serverId: string; note?: string };

/**
 * The server id this database uses. `config.serverId` is the configured (`gerrit.serverId`) or
 * canonically derived one; `config.legacyServerId` is what versions before the stored identity
 * derived (the URL's host with its port), used for a database that already exported spans.
 */
export function settleServerId(config: Config, store: IdentityStore, acceptChange = false): SettledIdentity {
  const stored = store.getMeta(META_KEY);
  if (stored === undefined) {
    const serverId = config.serverIdConfigured || store.ledgerSize() === 0 ? config.serverId : config.legacyServerId;
    store.setMeta(META_KEY, serverId);
    return { serverId };
  }
  if (stored === config.serverId) {
    return { serverId: stored };
  }
  if (!config.serverIdConfigured) {
    // Derived differently now (say gerrit.http was added): the stored identity stays.
    return {
      serverId: stored,
      note: `keeping the stored Gerrit identity "${stored}" (the configuration alone would derive "${config.serverId}")`,
    };
  }
  if (acceptChange) {
    store.setMeta(META_KEY, config.serverId);
    return {
      serverId: config.serverId,
      note: `Gerrit identity changed from "${stored}" to "${config.serverId}" (confirmed): changes get new trace ids`,
    };
  }
  throw new ConfigError([
    `gerrit.serverId: expected "${stored}", the Gerrit identity this database's traces use (got "${config.serverId}"). ` +
      'A new identity gives every change a new trace id and splits changes across two traces. ' +
      `Set gerrit.serverId to "${stored}" (or remove it), or start once with --accept-server-id-change to switch.`,
  ]);
}
