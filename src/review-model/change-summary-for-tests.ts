import type { ChangeSummary } from './code-review-api.ts';

/** A change-list row for unit tests: an open, unreviewed change of owner `o`, with `over` applied. */
export function changeSummary(over: Partial<ChangeSummary>): ChangeSummary {
  return {
    number: 1,
    subject: 's',
    project: 'p',
    branch: 'main',
    owner: 'o',
    ownerIsBot: false,
    status: 'NEW',
    wip: false,
    createdMs: 0,
    patchSets: 1,
    rounds: 0,
    reviewers: [],
    traceId: 't',
    source: 'tempo',
    ...over,
  };
}
