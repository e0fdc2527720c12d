import type { Approval } from './stream-events.ts';

// Gerrit writes the votes of a review into the first line of its change message:
// "Patch Set 3: Code-Review+2 Verified-1" (a removed vote reads "-Code-Review").
// The REST history has only these messages for past votes, so votes are read from the text
// in every path (live, reconcile, backfill) and the spans come out the same.
const HEADER = /^Patch Set (\d+):(.*)$/;
const VOTE = /^(-)?([A-Za-z0-9][\w-]*?)(?:([+-]\d+))?$/;

export interface ReviewMessageHeader {
  patchSet: number;
  votes: Approval[];
  /** Labels whose vote was removed in this message ("-Code-Review"). */
  removed: string[];
}

export function parseReviewMessageHeader(message: string): ReviewMessageHeader | undefined {
  const newline = message.indexOf('\n');
  const first = newline === -1 ? message : message.slice(0, newline);
  const header = HEADER.exec(first.trim());
  if (!header) {
    return undefined;
  }
  const votes: Approval[] = [];
  const removed: string[] = [];
  for (const token of header[2].trim().split(/\s+/)) {
    if (token === '') {
      continue;
    }
    const m = VOTE.exec(token);
    if (!m) {
      continue;
    }
    const [, minus, label, value] = m;
    if (value !== undefined) {
      votes.push({ label, value: Number(value) });
    } else if (minus) {
      removed.push(label);
    }
  }
  return { patchSet: Number(header[1]), votes, removed };
}
