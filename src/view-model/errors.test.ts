import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeFailure, toApiFailure } from './errors.ts';

describe('toApiFailure', () => {
  it('prefers the sidecar error body, then Grafana message, then status text', () => {
    assert.deepEqual(toApiFailure({ status: 401, data: { error: 'Missing or wrong API token' } }), {
      status: 401,
      message: 'Missing or wrong API token',
    });
    assert.deepEqual(toApiFailure({ status: 502, data: { message: 'Bad Gateway' }, statusText: 'x' }), {
      status: 502,
      message: 'Bad Gateway',
    });
    assert.deepEqual(toApiFailure({ status: 500, data: '', statusText: 'Internal Server Error' }), {
      status: 500,
      message: 'Internal Server Error',
    });
    assert.deepEqual(toApiFailure({ status: 503 }), { status: 503, message: 'HTTP 503' });
    assert.deepEqual(toApiFailure({ status: -1, message: 'aborted' }), { status: undefined, message: 'aborted' });
    assert.deepEqual(toApiFailure('boom'), { message: 'boom' });
    assert.deepEqual(toApiFailure(null), { message: 'Unknown error' });
  });
});

describe('error codes', () => {
  it('reads the sidecar’s code, and gives advice for a disabled API and an unreachable Tempo', () => {
    const failure = toApiFailure({
      status: 503,
      data: { code: 'api_disabled', error: 'The query API is disabled: set http.apiToken' },
    });
    assert.deepEqual(failure, {
      status: 503,
      message: 'The query API is disabled: set http.apiToken',
      code: 'api_disabled',
    });
    const disabled = describeFailure(failure);
    assert.match(disabled.title, /turned off/);
    assert.match(disabled.checks[0], /http\.apiToken/);
    const tempo = describeFailure({ status: 502, message: 'cannot reach Tempo', code: 'tempo_unreachable' });
    assert.match(tempo.title, /cannot search Tempo/);
    assert.equal(toApiFailure({ status: 502, data: { message: 'bad gateway' } }).code, undefined);
  });
});

describe('describeFailure', () => {
  it('points at the token for 401', () => {
    const a = describeFailure({ status: 401, message: 'Missing or wrong API token' });
    assert.match(a.title, /token/);
    assert.match(a.checks[0], /API token/);
    assert.equal(a.detail, 'HTTP 401: Missing or wrong API token');
  });
  it('points at the sidecar URL, /ready and Tempo for 502 and 503', () => {
    for (const status of [502, 503]) {
      const a = describeFailure({ status, message: 'x' });
      assert.match(a.title, /sidecar or Tempo/);
      assert.ok(a.checks.some((c) => c.includes('sidecar URL')));
      assert.ok(a.checks.some((c) => c.includes('/ready')));
      assert.ok(a.checks.some((c) => c.includes('Tempo')));
    }
  });
  it('covers missing routes, no answer and other errors', () => {
    assert.match(describeFailure({ status: 404, message: 'x' }).checks[0], /enabled/);
    assert.equal(describeFailure({ message: 'offline' }).detail, 'offline');
    assert.match(describeFailure({ status: 500, message: 'x' }).title, /failed/);
    assert.match(describeFailure({ status: 400, message: 'x' }).title, /rejected/);
  });
});
