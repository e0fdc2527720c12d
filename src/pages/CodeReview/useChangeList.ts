import { useCallback, useEffect, useRef, useState } from 'react';
import type { ChangeListResponse, ChangeSummary } from '../../review-model/code-review-api.ts';
import { takePrefetchedFirstPage } from '../../api/change-list-prefetch.ts';
import { fetchChangeListPage } from '../../api/sidecar-api.ts';
import { PAGE_SIZE, pagesToLoad } from '../../view-model/api-query.ts';
import type { ApiFailure } from '../../view-model/errors.ts';

interface FirstPage {
  key: string;
  response?: ChangeListResponse;
  error?: ApiFailure;
}

interface Pages {
  key: string;
  rows: ReadonlyMap<number, ChangeSummary[]>;
}

export interface ChangeList {
  /** The first page is on its way (for a new query). */
  loading: boolean;
  /** The answer to the first page of the current query, or of the previous one while loading. */
  response?: ChangeListResponse;
  error?: ApiFailure;
  /** Rows matching the filters (the list is `total` rows long; rows load page by page). */
  total: number;
  /** The row at an index, or undefined while its page loads. */
  row: (index: number) => ChangeSummary | undefined;
  /** Asks for the pages covering rows [first, last]. */
  ensureRows: (first: number, last: number) => void;
  /** The last failure of a later page. */
  pageError?: ApiFailure;
}

/**
 * GET /api/changes for one query (`baseSearch`: its query string without paging), fetched page by
 * page as rows come into view. `reload` re-fetches the same query.
 */
export function useChangeList(baseSearch: string, reload: number): ChangeList {
  const key = `${baseSearch}#${reload}`;
  const [first, setFirst] = useState<FirstPage | undefined>(undefined);
  const [pages, setPages] = useState<Pages>({ key: '', rows: new Map() });
  const [pageError, setPageError] = useState<{ key: string; error: ApiFailure } | undefined>(undefined);
  const requested = useRef<{ key: string; pages: Set<number> }>({ key: '', pages: new Set() });

  useEffect(() => {
    let current = true;
    (takePrefetchedFirstPage(baseSearch) ?? fetchChangeListPage(baseSearch, 0)).then(
      (response) => {
        if (current) {
          setFirst({ key, response });
          setPages({ key, rows: new Map([[0, response.changes]]) });
        }
      },
      (error: ApiFailure) => {
        if (current) {
          setFirst({ key, error });
        }
      },
    );
    return () => {
      current = false;
    };
  }, [baseSearch, key]);

  const ready = first?.key === key && first.response !== undefined ? first.response : undefined;
  const total = ready?.total ?? 0;

  const ensureRows = useCallback(
    (from: number, to: number) => {
      if (!ready) {
        return;
      }
      if (requested.current.key !== key) {
        requested.current = { key, pages: new Set([0]) };
      }
      const asked = requested.current.pages;
      for (const page of pagesToLoad(from, to, ready.total, asked)) {
        asked.add(page);
        fetchChangeListPage(baseSearch, page).then(
          (response) => {
            setPages((prev) =>
              prev.key === key ? { key, rows: new Map(prev.rows).set(page, response.changes) } : prev,
            );
          },
          (error: ApiFailure) => {
            // Forget the page so that the next scroll asks again.
            asked.delete(page);
            setPageError({ key, error });
          },
        );
      }
    },
    [baseSearch, key, ready],
  );

  const rows = pages.key === key ? pages.rows : undefined;
  const row = useCallback((index: number) => rows?.get(Math.floor(index / PAGE_SIZE))?.[index % PAGE_SIZE], [rows]);

  return {
    loading: first?.key !== key,
    response: first?.response,
    error: first?.key === key ? first.error : undefined,
    total,
    row,
    ensureRows,
    pageError: pageError?.key === key ? pageError.error : undefined,
  };
}
