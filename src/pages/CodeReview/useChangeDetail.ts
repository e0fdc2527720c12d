import { useEffect, useState } from 'react';
import type { ChangeDetailResponse } from '../../review-model/code-review-api.ts';
import { fetchChangeDetail } from '../../api/sidecar-api.ts';
import type { ApiFailure } from '../../view-model/errors.ts';

interface Detail {
  key: string;
  response?: ChangeDetailResponse;
  error?: ApiFailure;
  /** When the answer came: open bars are drawn up to this time. */
  atMs: number;
}

export interface ChangeDetailState {
  loading: boolean;
  response?: ChangeDetailResponse;
  error?: ApiFailure;
  atMs: number;
}

/** GET /api/changes/{number} for the open change (none when `changeNumber` is undefined). */
export function useChangeDetail(changeNumber: number | undefined, reload: number): ChangeDetailState {
  const key = `${changeNumber ?? ''}#${reload}`;
  const [detail, setDetail] = useState<Detail | undefined>(undefined);

  useEffect(() => {
    if (changeNumber === undefined) {
      return;
    }
    let current = true;
    fetchChangeDetail(changeNumber).then(
      (response) => {
        if (current) {
          setDetail({ key, response, atMs: Date.now() });
        }
      },
      (error: ApiFailure) => {
        if (current) {
          setDetail({ key, error, atMs: Date.now() });
        }
      },
    );
    return () => {
      current = false;
    };
  }, [changeNumber, key]);

  if (changeNumber === undefined || detail?.key !== key) {
    return { loading: changeNumber !== undefined, atMs: 0 };
  }
  return { loading: false, response: detail.response, error: detail.error, atMs: detail.atMs };
}
