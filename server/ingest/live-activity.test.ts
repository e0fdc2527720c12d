import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LiveActivity } from './live-activity.ts';

describe('LiveActivity', () => {
  it('tells which changes were touched after a read began, per read', () => {
    const activity = new LiveActivity();
    const first = activity.beginRead();
    activity.touch(1);
    const second = activity.beginRead();
    activity.touch(2);
    assert.deepEqual([first.touched(1), first.touched(2), first.touched(3)], [true, true, false]);
    assert.deepEqual([second.touched(1), second.touched(2)], [false, true]);
    activity.touch(1);
    assert.equal(second.touched(1), true, 'touched again after the second read began');
    first.end();
    second.end();
  });

  it('remembers nothing while no read is open', () => {
    const activity = new LiveActivity();
    activity.touch(1);
    const read = activity.beginRead();
    assert.equal(read.touched(1), false);
    activity.touch(2);
    read.end();
    read.end();
    assert.equal(activity.size, 0);
    activity.touch(3);
    assert.equal(activity.size, 0);
  });
});
