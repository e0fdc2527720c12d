import type { TimeZone } from '@grafana/schema';
import { formatDateTime, formatDuration } from '../../view-model/format.ts';

/** How long a wait has lasted at `asOfMs`, with when it began on hover (the queues' "longest wait" cells). */
export function WaitSince({ sinceMs, asOfMs, timeZone }: { sinceMs: number; asOfMs: number; timeZone: TimeZone }) {
  return <span title={`since ${formatDateTime(sinceMs, timeZone)}`}>{formatDuration(asOfMs - sinceMs)}</span>;
}
