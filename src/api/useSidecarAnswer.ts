import { useEffect, useState } from 'react';
import type { ApiFailure } from '../view-model/errors.ts';

// One request to the sidecar's API per key, its answer kept with the key it answered: a component
// never shows an answer to an earlier query (filters, range, change) while the next one loads, and
// an answer that comes after the query changed is dropped.

export interface SidecarAnswer<T> {
  loading: boolean;
  response?: T;
  error?: ApiFailure;
  /** When the answer came (epoch ms); 0 before. */
  atMs: number;
}

/**
 * `load()`'s answer for `key`; nothing is asked while `key` is undefined (a closed section, no
 * change open). The key must change whenever what `load` asks for does (a request URL serves).
 */
export function useSidecarAnswer<T>(key: string | undefined, load: () => Promise<T>): SidecarAnswer<T> {
  const [answer, setAnswer] = useState<({ key: string } & SidecarAnswer<T>) | undefined>(undefined);

  useEffect(() => {
    if (key === undefined) {
      return;
    }
    let current = true;
    load().then(
      (response) => current && setAnswer({ key, loading: false, response, atMs: Date.now() }),
      (error: ApiFailure) => current && setAnswer({ key, loading: false, error, atMs: Date.now() }),
    );
    return () => {
      current = false;
    };
    // `key` stands for what `load` asks for.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);

  if (key === undefined || answer?.key !== key) {
    return { loading: key !== undefined, atMs: 0 };
  }
  return { loading: false, response: answer.response, error: answer.error, atMs: answer.atMs };
}
