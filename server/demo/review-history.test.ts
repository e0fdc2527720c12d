import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseStreamEvent } from '../gerrit/stream-events.ts';
import { ChangeMapper, type OpenChange } from '../mapping/change-mapper.ts';
import { DEMO_DEFAULTS, MARATHON_CHANGE, demoStreamEvents } from './review-history.ts';

const options = { ...DEMO_DEFAULTS, startMs: Date.UTC(2026, 0, 1) };

describe('demoStreamEvents', () => {
  it('is deterministic for a seed and different for another', () => {
    const a = [...demoStreamEvents(options)];
    const b = [...demoStreamEvents(options)];
    assert.deepEqual(a, b);
    const c = [...demoStreamEvents({ ...options, seed: 1 })];
    assert.notDeepEqual(a.slice(0, 50), c.slice(0, 50));
  });

  it('is a realistic history: 20 projects, 500+ changes, merges, abandons, stuck changes, CI, in time order', () => {
    const events = [...demoStreamEvents(options)];
    for (let i = 1; i < events.length; i += 1) {
      assert.ok(events[i].eventCreatedOn >= events[i - 1].eventCreatedOn, 'time ordered');
    }
    const mapper = new ChangeMapper({
      serverId: 'demo',
      botPatterns: [/-bot$/],
      commentMaxChars: 1000,
      ciLabel: 'Verified',
    });
    const open = new Map<number, OpenChange>();
    const abandonedState = new Map<number, OpenChange>();
    const spanNames = new Map<string, number>();
    const projects = new Set<string>();
    let bad = 0;
    for (const raw of events) {
      const r = parseStreamEvent(raw);
      if (r.kind === 'changeless') continue;
      if (r.kind !== 'change') {
        bad += 1;
        continue;
      }
      projects.add(r.event.change.project);
      const result = mapper.applyEvent(open.get(r.event.change.number), r.event);
      if (result.change?.status === 'NEW') open.set(r.event.change.number, result.change);
      else open.delete(r.event.change.number);
      if (result.change?.status === 'ABANDONED') abandonedState.set(r.event.change.number, result.change);
      else abandonedState.delete(r.event.change.number);
      for (const s of result.spans) spanNames.set(s.name, (spanNames.get(s.name) ?? 0) + 1);
    }
    assert.equal(bad, 0);
    assert.equal(projects.size, 20);
    const changes = new Set(events.map((e) => (e.change as { number?: number } | undefined)?.number).filter(Boolean));
    assert.ok(changes.size >= 500, `changes: ${changes.size}`);
    const merged = events.filter((e) => e.type === 'change-merged').length;
    const abandoned = events.filter((e) => e.type === 'change-abandoned').length;
    assert.ok(merged > changes.size * 0.6, `merged ${merged}`);
    assert.ok(abandoned > changes.size * 0.05, `abandoned ${abandoned}`);
    assert.ok(open.size > changes.size * 0.05, `stuck open ${open.size}`);
    assert.ok(
      [...open.values()].some((c) => Object.keys(c.pendingReviews).length > 0),
      'stuck changes wait on reviewers',
    );
    // Abandoned roots are written once the abandon is final: as the sidecar's sweep does, later.
    for (const c of abandonedState.values()) {
      for (const s of mapper.finalizeAbandoned(c, Infinity)) spanNames.set(s.name, (spanNames.get(s.name) ?? 0) + 1);
    }
    assert.equal(spanNames.get('change'), merged + abandoned);
    assert.ok((spanNames.get('ci') ?? 0) > changes.size, 'CI on every patch set');
    const maxPatchSets = Math.max(
      ...events.filter((e) => e.type === 'patchset-created').map((e) => (e.patchSet as { number: number }).number),
    );
    assert.equal(maxPatchSets, 40, 'the marathon change has 40 patch sets');
    const marathon = events.filter(
      (e) => e.type === 'patchset-created' && (e.change as { number: number }).number === MARATHON_CHANGE,
    );
    assert.equal(marathon.length, 40);
  });
});
