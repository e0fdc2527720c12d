import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { SORT_KEYS, type ChangeListQuery } from '../../src/review-model/code-review-api.ts';
import type { ChangeQueryService } from '../query/change-query.ts';
import { TempoQueryError } from '../query/tempo-reader.ts';
import { sendError, sendJson, type ApiHandler } from './http-server.ts';

// GET /api/changes and GET /api/changes/{number}: the Code Review page's data (contract in
// src/review-model/code-review-api.ts). Parameters are validated; errors say which one and why.

const many = z.array(z.string().min(1)).optional();
const listQuery = z
  .object({
    from: z.coerce.number().int().nonnegative(),
    to: z.coerce.number().int().nonnegative(),
    project: many,
    branch: many,
    owner: many,
    reviewer: many,
    status: z.enum(['all', 'open', 'merged', 'abandoned']).optional(),
    includeBots: z
      .enum(['true', 'false'])
      .transform((v) => v === 'true')
      .optional(),
    sort: z.enum(SORT_KEYS).optional(),
    dir: z.enum(['asc', 'desc']).optional(),
    offset: z.coerce.number().int().nonnegative().optional(),
    limit: z.coerce.number().int().min(1).max(1000).optional(),
  })
  .refine((q) => q.to >= q.from, { message: 'to must not be before from', path: ['to'] });

const ARRAY_PARAMS = new Set(['project', 'branch', 'owner', 'reviewer']);

function paramsOf(url: URL): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of new Set(url.searchParams.keys())) {
    out[key] = ARRAY_PARAMS.has(key) ? url.searchParams.getAll(key) : url.searchParams.get(key);
  }
  return out;
}

export function createQueryApi(service: ChangeQueryService, now: () => number = Date.now): ApiHandler {
  return async (req: IncomingMessage, url: URL, res: ServerResponse) => {
    if (req.method !== 'GET') {
      return false;
    }
    if (url.pathname === '/api/changes') {
      const parsed = listQuery.safeParse(paramsOf(url));
      if (!parsed.success) {
        const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`);
        sendError(res, 'bad_request', `Bad query parameters: ${problems.join('; ')}`);
        return true;
      }
      const q: ChangeListQuery = parsed.data;
      sendJson(res, 200, await service.list(q, now()));
      return true;
    }
    const m = /^\/api\/changes\/(\d+)$/.exec(url.pathname);
    if (m) {
      try {
        const detail = await service.detail(Number(m[1]), now());
        if (detail) {
          sendJson(res, 200, detail);
        } else {
          sendError(res, 'not_found', `Change ${m[1]} is neither in Tempo nor open in the sidecar.`);
        }
      } catch (err) {
        if (err instanceof TempoQueryError) {
          sendError(res, 'tempo_unreachable', err.message);
          return true;
        }
        throw err;
      }
      return true;
    }
    return false;
  };
}
