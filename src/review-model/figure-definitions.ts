// What each review figure means, in the words the Code Review page shows in its tooltips. The same
// definitions, with the reason for each, are in docs/span-schema.md ("Review figures").

export const FigureDefinition = {
  changes:
    'Changes open at some time in the range: closed ones whose life overlaps it, and open ones created before its end.',
  timeToFirstReview:
    'From ready for review (creation, or leaving work in progress) to the first review: a vote, or a comment by a reviewer. Comments by the owner, CCs, passers-by and bots do not count; a vote deleted later still does. Changes still waiting count as waits of at least their time so far (a Kaplan–Meier estimate), so a long queue raises the figure. "> 3d": so many still wait that the figure is only known to be longer than the longest wait seen.',
  timeToMerge: 'From creation to submit, for merged changes.',
  rounds: 'Patch sets that got at least one review. Median over merged or reviewed changes.',
  abandoned: 'Abandoned ÷ (merged + abandoned) changes in the range.',
  patchSets: "The highest patch set number: Gerrit's own count.",
  waitingOn:
    'Open changes: the reviewers whose review of the current patch set is pending (longest first); else the author (work in progress, or every reviewer has answered, or none was added). With how long the wait has lasted.',
  reviewLoad:
    'Per reviewer: the reviews they gave in the range (each vote, and each comment they made as a reviewer, on the changes the filters select), and the open changes waiting on their review now. Owners and bots never count as reviewers.',
  mergeOrAge: 'Merged: time to merge. Open: age so far. Abandoned: time to abandon.',
} as const;
