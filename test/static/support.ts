// Helpers for the static checks of the deployment files (docker-compose.yaml, server/Dockerfile,
// provisioning/). Nothing here runs Docker: there is no Docker engine on the CI machine.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

export const repoRoot = resolve(fileURLToPath(new URL('../../', import.meta.url)));

export const repoPath = (...parts: string[]): string => join(repoRoot, ...parts);

export const readText = (rel: string): string => readFileSync(repoPath(rel), 'utf8');

export const readYaml = (rel: string): unknown => parseYaml(readText(rel), { merge: true });

export const readJson = (rel: string): unknown => JSON.parse(readText(rel));

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Walks a path of keys; throws with the path when a step is missing (a clearer failure than undefined). */
export function at(value: unknown, ...path: (string | number)[]): unknown {
  let node = value;
  for (const [i, key] of path.entries()) {
    if (typeof key === 'number' ? !Array.isArray(node) : !isObj(node)) {
      throw new Error(`missing ${path.slice(0, i + 1).join('.')}`);
    }
    node = (node as Record<string | number, unknown>)[key];
    if (node === undefined) {
      throw new Error(`missing ${path.slice(0, i + 1).join('.')}`);
    }
  }
  return node;
}

export const obj = (value: unknown, ...path: (string | number)[]): Obj => {
  const v = at(value, ...path);
  if (!isObj(v)) {
    throw new Error(`${path.join('.')}: expected a mapping`);
  }
  return v;
};

export const str = (value: unknown, ...path: (string | number)[]): string => {
  const v = at(value, ...path);
  if (typeof v !== 'string') {
    throw new Error(`${path.join('.')}: expected a string, got ${JSON.stringify(v)}`);
  }
  return v;
};

// ---- Compose variable interpolation (the subset of the Compose Specification we use) ----------

export type HostEnv = Record<string, string | undefined>;

const VAR = /\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g;

/** Interpolates `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `$VAR` and `$$` as Compose does. */
export function interpolate(text: string, env: HostEnv): string {
  return text.replace(
    VAR,
    (match, braced: string | undefined, op: string | undefined, arg: string | undefined, bare: string | undefined) => {
      if (match === '$$') {
        return '$';
      }
      const name = braced ?? bare ?? '';
      const value = env[name];
      switch (op) {
        case ':-':
          return value === undefined || value === '' ? (arg ?? '') : value;
        case '-':
          return value === undefined ? (arg ?? '') : value;
        case ':?':
        case '?':
          if (value === undefined || (op === ':?' && value === '')) {
            throw new Error(`required variable ${name} is missing: ${arg ?? ''}`);
          }
          return value;
        case ':+':
          return value === undefined || value === '' ? '' : (arg ?? '');
        case '+':
          return value === undefined ? '' : (arg ?? '');
        default:
          return value ?? '';
      }
    },
  );
}

/** The variable names a Compose string refers to. */
export function variablesIn(text: string): string[] {
  return [...text.matchAll(VAR)].filter((m) => m[0] !== '$$').map((m) => m[1] ?? m[4] ?? '');
}

/** Interpolates every string in a parsed Compose document (keys are left alone, as Compose does). */
export function interpolateDeep(value: unknown, env: HostEnv): unknown {
  if (typeof value === 'string') {
    return interpolate(value, env);
  }
  if (Array.isArray(value)) {
    return value.map((v) => interpolateDeep(v, env));
  }
  if (isObj(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateDeep(v, env)]));
  }
  return value;
}

/** A service's `environment` as the container sees it: a variable without a value is left out. */
export function containerEnv(service: Obj): Record<string, string> {
  const raw = service.environment;
  const out: Record<string, string> = {};
  if (raw === undefined) {
    return out;
  }
  if (Array.isArray(raw)) {
    for (const entry of raw as string[]) {
      const eq = entry.indexOf('=');
      if (eq > 0) {
        out[entry.slice(0, eq)] = entry.slice(eq + 1);
      }
    }
    return out;
  }
  for (const [k, v] of Object.entries(obj(raw))) {
    if (v !== null && v !== undefined) {
      out[k] = String(v);
    }
  }
  return out;
}

/** The names a service declares without a value (passed through from the host only when set there). */
export function passthroughNames(service: Obj): string[] {
  const raw = service.environment;
  if (Array.isArray(raw)) {
    return (raw as string[]).filter((e) => !e.includes('='));
  }
  return isObj(raw)
    ? Object.entries(raw)
        .filter(([, v]) => v === null)
        .map(([k]) => k)
    : [];
}

export interface Mount {
  type: string;
  source: string;
  target: string;
  readOnly: boolean;
  createHostPath: boolean;
}

/** A service's volumes in long form (short `src:dst[:ro]` entries are expanded the way Compose does). */
export function mounts(service: Obj): Mount[] {
  const list = (service.volumes ?? []) as unknown[];
  return list.map((v) => {
    if (typeof v === 'string') {
      const [source, target, mode = ''] = v.split(':');
      const isPath = source.startsWith('.') || source.startsWith('/') || source.startsWith('~');
      return {
        type: isPath ? 'bind' : 'volume',
        source,
        target,
        readOnly: mode.split(',').includes('ro'),
        createHostPath: true,
      };
    }
    const m = obj(v);
    const bind = isObj(m.bind) ? m.bind : {};
    return {
      type: str(m, 'type'),
      source: str(m, 'source'),
      target: str(m, 'target'),
      readOnly: m.read_only === true,
      createHostPath: bind.create_host_path !== false,
    };
  });
}

export interface PortMapping {
  hostIp: string;
  published: number;
  target: number;
}

/** Parses short-syntax port mappings like `127.0.0.1:3000:3000`. */
export function ports(service: Obj): PortMapping[] {
  return ((service.ports ?? []) as unknown[]).map((p) => {
    const parts = String(p).split('/')[0].split(':');
    const target = Number(parts.at(-1));
    const published = parts.length >= 2 ? Number(parts.at(-2)) : target;
    const hostIp = parts.length === 3 ? parts[0] : '';
    return { hostIp, published, target };
  });
}

// ---- Dockerfile ---------------------------------------------------------------------------------

export interface Instruction {
  keyword: string;
  args: string;
  stage: number;
}

/** Dockerfile instructions with line continuations joined and comments dropped. */
export function dockerfileInstructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let current = '';
  let stage = -1;
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (current === '' && (trimmed === '' || trimmed.startsWith('#'))) {
      continue;
    }
    if (current !== '' && trimmed.startsWith('#')) {
      continue;
    }
    if (trimmed.endsWith('\\')) {
      current += `${trimmed.slice(0, -1)} `;
      continue;
    }
    current += trimmed;
    const m = /^(\w+)\s+([\s\S]*)$/.exec(current);
    if (m) {
      const keyword = m[1].toUpperCase();
      if (keyword === 'FROM') {
        stage += 1;
      }
      out.push({ keyword, args: m[2].trim(), stage });
    }
    current = '';
  }
  return out;
}

/** Splits `a=b c="d e"` (ENV, ARG) into pairs. */
export function keyValues(args: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("((?:[^"\\]|\\.)*)"|(\S*))/g)) {
    out[m[1]] = m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : (m[4] ?? '');
  }
  return out;
}

/** JSON (exec) form of CMD, ENTRYPOINT, HEALTHCHECK CMD. */
export function execForm(args: string): string[] {
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string')) {
    throw new Error(`expected the exec form (a JSON array of strings): ${args}`);
  }
  return parsed;
}

/** .dockerignore patterns (the subset of Go filepath.Match syntax plus `**` that we use). */
export function dockerignore(): (path: string) => boolean {
  const patterns = readText('.dockerignore')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const toRegex = (p: string): RegExp => {
    const body = p
      .replace(/^\/+/, '')
      .replace(/\/+$/, '')
      .split('/')
      .map((seg) =>
        seg === '**'
          ? '(?:.*)'
          : seg
              .replace(/[.+^${}()|[\]\\]/g, '\\$&')
              .replace(/\*/g, '[^/]*')
              .replace(/\?/g, '[^/]'),
      )
      .join('/')
      .replace(/\(\?:\.\*\)\//g, '(?:.*/)?');
    // A pattern matches the path itself or any directory above it.
    return new RegExp(`^${body}(?:/.*)?$`);
  };
  const rules = patterns.map((p) =>
    p.startsWith('!') ? { negate: true, re: toRegex(p.slice(1)) } : { negate: false, re: toRegex(p) },
  );
  return (path: string) => {
    let excluded = false;
    for (const rule of rules) {
      if (rule.re.test(path)) {
        excluded = !rule.negate;
      }
    }
    return excluded;
  };
}

/** Every file under a repository directory (relative paths, forward slashes). */
export function filesUnder(rel: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(repoPath(dir))) {
      const p = dir === '.' ? name : `${dir}/${name}`;
      if (statSync(repoPath(p)).isDirectory()) {
        walk(p);
      } else {
        out.push(p);
      }
    }
  };
  walk(rel);
  return out;
}

/** Static imports of a TypeScript module: relative specifiers resolved to repository paths, and bare ones. */
export function importsOf(rel: string): { local: string[]; packages: string[] } {
  const text = readText(rel);
  const local: string[] = [];
  const packages: string[] = [];
  const re =
    /^\s*(?:import|export)\s+(type\s+)?(?:[^;]*?\s+from\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;
  for (const m of text.matchAll(re)) {
    if (m[1]) {
      continue; // `import type` is erased by type stripping
    }
    const spec = m[2] ?? m[3];
    if (spec.startsWith('node:')) {
      continue;
    }
    if (spec.startsWith('.')) {
      local.push(
        relative(repoRoot, resolve(repoRoot, dirname(rel), spec))
          .split('\\')
          .join('/'),
      );
    } else {
      packages.push(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
    }
  }
  return { local, packages };
}

/** The sub-commands reviewtrace-server defines (from its commander program). */
export function cliCommands(): string[] {
  const text = readText('server/bin/reviewtrace-server.ts');
  return [...text.matchAll(/\.command\(\s*['"]([a-z][a-z-]*)['"]/g)].map((m) => m[1]);
}

/** Go-style durations (`8760h`, `1h30m`, `90s`) in milliseconds. */
export function goDurationMs(text: string): number {
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text.trim()) {
    throw new Error(`not a Go duration: ${JSON.stringify(text)}`);
  }
  return parts.reduce((sum, p) => sum + Number(p[1]) * units[p[2]], 0);
}

/** Host and port of a URL or `host:port` endpoint, with the scheme's default port. */
export function hostPort(endpoint: string): { host: string; port: number } {
  const url = new URL(endpoint.includes('://') ? endpoint : `tcp://${endpoint}`);
  const port =
    url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : url.protocol === 'http:' ? 80 : NaN;
  return { host: url.hostname, port };
}

export const exists = (rel: string): boolean => existsSync(repoPath(rel));
