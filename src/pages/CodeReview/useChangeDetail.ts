import type { ChangeDetailResponse } from '../../review-model/code-review-api.ts';
import { fetchChangeDetail } from '../../api/sidecar-api.ts';
import { useSidecarAnswer, type SidecarAnswer } from '../../api/useSidecarAnswer.ts';

/** `atMs`, when the answer came: open bars are drawn up to this time. */
export type ChangeDetailState = SidecarAnswer<ChangeDetailResponse>;

/** GET /api/changes/{number} for the open change (none when `changeNumber` is undefined). */
export function useChangeDetail(changeNumber: number | undefined, reload: number): ChangeDetailState {
  return useSidecarAnswer(changeNumber === undefined ? undefined : `${changeNumber}#${reload}`, () =>
    fetchChangeDetail(changeNumber ?? 0),
  );
}
