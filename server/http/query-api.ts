import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { SORT_KEYS, type ChangeListQuery } from '../../src/review-model/code-review-api.ts';
import { SERVICE_MAP_DEFAULTS, SERVICE_MAP_LIMITS } from '../../src/review-model/service-map-api.ts';
import { ATTRIBUTE_NAME, spanSetFilterProblem, valueRegexProblem } from '../../src/review-model/traceql-filter.ts';
import type { ChangeQueryService } from '../query/change-query.ts';
import type { ReviewLoadService } from '../query/review-load-query.ts';
import type { ServiceMapService } from '../query/service-map-query.ts';
import { TempoQueryError } from '../query/tempo-reader.ts';
import type { Logger } from '../observability/logger.ts';
import { sendError, sendJson, type ApiHandler } from './http-server.ts';

// GET /api/changes, GET /api/changes/{number}, GET /api/waiting, GET /api/trends and GET /api/load: the Code Review page's data
// (contract in src/review-model/code-review-api.ts); GET /api/servicemap: the service-map panel's.
// Parameters are validated; errors say which one and why.

/** Values of one filter list, and the length of one value. */
const MAX_FILTER_VALUES = 50;
const MAX_VALUE_LENGTH = 300;

const many = z.array(z.string().min(1).max(MAX_VALUE_LENGTH)).max(MAX_FILTER_VALUES).optional();
/** The list's range and filters: what the list, the "Waiting on" view and the trends all follow. */
const filterFields = {
  from: z.coerce.number().int().nonnegative(),
  to: z.coerce.number().int().nonnegative(),
  project: many,
  branch: many,
  owner: many,
  reviewer: many,
  includeBots: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
};
const toNotBeforeFrom = (q: { from: number; to: number }) => q.to >= q.from;
const TO_BEFORE_FROM = { message: 'to must not be before from', path: ['to'] };

/**
 * What the browser is told when Tempo failed: plain advice, never Tempo's answer or addresses (they
 * go to the sidecar's log).
 */
export const TEMPO_UNREACHABLE_ADVICE =
  'The sidecar could not query Tempo. Check that Tempo is running and reachable from the sidecar (tempo.queryUrl); the sidecar’s log says what failed.';
const TEMPO_REFUSED_QUERY = 'Tempo refused the query: check the TraceQL filter’s syntax.';

const listQuery = z
  .object({
    ...filterFields,
    status: z.enum(['all', 'open', 'merged', 'abandoned']).optional(),
    sort: z.enum(SORT_KEYS).optional(),
    dir: z.enum(['asc', 'desc']).optional(),
    offset: z.coerce.number().int().nonnegative().optional(),
    limit: z.coerce.number().int().min(1).max(1000).optional(),
  })
  .refine(toNotBeforeFrom, TO_BEFORE_FROM);

/** The filters with status, without sort and paging: the review load of the changes the list selects. */
const loadQuery = z
  .object({ ...filterFields, status: z.enum(['all', 'open', 'merged', 'abandoned']).optional() })
  .strict()
  .refine(toNotBeforeFrom, TO_BEFORE_FROM);

/** The filters without status, sort and paging: the "Waiting on" view is about open changes. */
const waitingQuery = z.object(filterFields).strict().refine(toNotBeforeFrom, TO_BEFORE_FROM);

const attributeName = z.string().regex(ATTRIBUTE_NAME, 'an attribute name like service.name or http.route');
const mapQuery = z
  .object({
    from: filterFields.from,
    to: filterFields.to,
    strategy: z.enum(['serviceGraph', 'parentChild', 'attributePair']).default(SERVICE_MAP_DEFAULTS.strategy),
    filter: z
      .string()
      .optional()
      .superRefine((f, ctx) => {
        const problem = f === undefined || f.trim() === '' ? undefined : spanSetFilterProblem(f);
        if (problem) {
          ctx.addIssue({ code: 'custom', message: problem });
        }
      }),
    tag: attributeName.optional(),
    valueRegex: z
      .string()
      .optional()
      .superRefine((r, ctx) => {
        const problem = r ? valueRegexProblem(r) : undefined;
        if (problem) {
          ctx.addIssue({ code: 'custom', message: problem });
        }
      }),
    tagNode: z
      .enum(['true', 'false'])
      .transform((v) => v === 'true')
      .optional(),
    fromAttribute: attributeName.optional(),
    toAttribute: attributeName.optional(),
    nodeLimit: z.coerce.number().int().min(1).max(SERVICE_MAP_LIMITS.nodeLimit).optional(),
    traceLimit: z.coerce.number().int().min(1).max(SERVICE_MAP_LIMITS.traceLimit).optional(),
  })
  .strict()
  .refine(toNotBeforeFrom, TO_BEFORE_FROM)
  .refine((q) => q.to - q.from <= SERVICE_MAP_LIMITS.rangeMs, {
    message: `the range must be at most ${SERVICE_MAP_LIMITS.rangeMs / 86_400_000} days`,
    path: ['from'],
  });

const ARRAY_PARAMS = new Set(['project', 'branch', 'owner', 'reviewer']);

function badQuery(res: ServerResponse, error: z.ZodError): void {
  const problems = error.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`);
  sendError(res, 'bad_request', `Bad query parameters: ${problems.join('; ')}`);
}

function paramsOf(url: URL): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of new Set(url.searchParams.keys())) {
    out[key] = ARRAY_PARAMS.has(key) ? url.searchParams.getAll(key) : url.searchParams.get(key);
  }
  return out;
}

export interface QueryApiOptions {
  /** The longest range one request of the Code Review page may ask for (`query.maxRangeDays`). */
  maxRangeDays: number;
}

export function createQueryApi(
  service: ChangeQueryService,
  serviceMaps: ServiceMapService,
  loads: ReviewLoadService,
  log: Logger,
  options: QueryApiOptions,
  now: () => number = Date.now,
): ApiHandler {
  /** True (and answered 400) when the range is longer than allowed. */
  const tooLong = (res: ServerResponse, q: { from: number; to: number }) => {
    if (q.to - q.from <= options.maxRangeDays * 86_400_000) {
      return false;
    }
    sendError(
      res,
      'bad_request',
      `Bad query parameters: to: the range must be at most ${options.maxRangeDays} days (query.maxRangeDays)`,
    );
    return true;
  };
  /** The page's query of a request, or undefined once a 400 says what is wrong with it. */
  const pageQuery = <T extends { from: number; to: number }>(schema: z.ZodType<T>, url: URL, res: ServerResponse) => {
    const parsed = schema.safeParse(paramsOf(url));
    if (!parsed.success) {
      badQuery(res, parsed.error);
      return undefined;
    }
    return tooLong(res, parsed.data) ? undefined : parsed.data;
  };
  /** Logs Tempo's own words and answers the browser with plain advice. */
  const tempoFailed = (res: ServerResponse, path: string, err: TempoQueryError) => {
    log.warn({ err: err.message, path }, 'Tempo query failed');
    sendError(
      res,
      err.badQuery ? 'bad_request' : 'tempo_unreachable',
      err.badQuery ? TEMPO_REFUSED_QUERY : TEMPO_UNREACHABLE_ADVICE,
    );
  };
  /** The same for an answer that carries a Tempo failure beside what it could still answer. */
  const withoutTempoDetail = <T extends { tempoError?: string }>(path: string, part: T): T => {
    if (part.tempoError === undefined) {
      return part;
    }
    log.warn({ err: part.tempoError, path }, 'Tempo query failed; answering from the sidecar alone');
    return { ...part, tempoError: TEMPO_UNREACHABLE_ADVICE };
  };
  return async (req: IncomingMessage, url: URL, res: ServerResponse) => {
    if (req.method !== 'GET') {
      return false;
    }
    if (url.pathname === '/api/servicemap') {
      const parsed = mapQuery.safeParse(paramsOf(url));
      if (!parsed.success) {
        badQuery(res, parsed.error);
        return true;
      }
      try {
        sendJson(res, 200, await serviceMaps.map(parsed.data, now()));
      } catch (err) {
        if (err instanceof TempoQueryError) {
          tempoFailed(res, url.pathname, err);
          return true;
        }
        throw err;
      }
      return true;
    }
    if (url.pathname === '/api/waiting') {
      const q = pageQuery(waitingQuery, url, res);
      if (q) {
        sendJson(res, 200, service.waiting(q, now()));
      }
      return true;
    }
    if (url.pathname === '/api/trends') {
      const q = pageQuery(listQuery, url, res);
      if (q) {
        sendJson(res, 200, await service.trends(q, now()));
      }
      return true;
    }
    if (url.pathname === '/api/load') {
      const q = pageQuery(loadQuery, url, res);
      if (q) {
        sendJson(res, 200, withoutTempoDetail(url.pathname, await loads.load(q, now())));
      }
      return true;
    }
    if (url.pathname === '/api/changes') {
      const q: ChangeListQuery | undefined = pageQuery(listQuery, url, res);
      if (q) {
        const list = await service.list(q, now());
        sendJson(res, 200, { ...list, sources: withoutTempoDetail(url.pathname, list.sources) });
      }
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
          tempoFailed(res, url.pathname, err);
          return true;
        }
        throw err;
      }
      return true;
    }
    return false;
  };
}
