import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../config/config.ts';
import { CliError, debugRequested, describeError, listenError, parseDateOption, parseDateRange } from './errors.ts';

const NOW = Date.parse('2026-11-20T12:00:00Z');

describe('CLI errors', () => {
  it('parses dates, ISO times and ages', () => {
    assert.equal(parseDateOption('2026-01-31', '--since', NOW), Date.parse('2026-01-31'));
    assert.equal(parseDateOption('2026-01-31T12:00:00Z', '--since', NOW), Date.parse('2026-01-31T12:00:00Z'));
    assert.equal(parseDateOption('90d', '--since', NOW), NOW - 90 * 86_400_000);
    assert.equal(parseDateOption('12h', '--since', NOW), NOW - 12 * 3_600_000);
    assert.equal(parseDateOption('2w', '--since', NOW), NOW - 14 * 86_400_000);
    for (const bad of ['yesterday', '1', '90', '2026-13-45', '90 days', '']) {
      assert.throws(() => parseDateOption(bad, '--since', NOW), CliError, bad);
    }
  });

  it('refuses a range that starts in the future or after its end', () => {
    assert.deepEqual(parseDateRange('2026-11-01', undefined, NOW), { sinceMs: Date.parse('2026-11-01'), untilMs: NOW });
    assert.throws(() => parseDateRange('2027-01-01', undefined, NOW), /--since 2027-01-01 is in the future/);
    assert.throws(() => parseDateRange('10d', '20d', NOW), /--since 10d is after --until 20d/);
    // An end in the future means now.
    assert.equal(parseDateRange('10d', '2030-01-01', NOW).untilMs, NOW);
  });

  it('describes errors in one line; a stack only for unexpected errors at debug level', () => {
    assert.deepEqual(describeError(new CliError('x is wrong: do y', 2)), {
      text: 'reviewtrace-server: x is wrong: do y',
      exitCode: 2,
    });
    const one = describeError(new ConfigError(['config file a.yaml: cannot be read (ENOENT)']));
    assert.equal(one.exitCode, 2);
    assert.ok(!one.text.includes('\n'));
    assert.match(one.text, /^Invalid configuration: config file a\.yaml/);
    const unexpected = describeError(new TypeError('boom'));
    assert.equal(
      unexpected.text,
      'reviewtrace-server: unexpected error: boom (run with --log-level debug for details)',
    );
    assert.match(describeError(new TypeError('boom'), true).text, /\n\s+at /);
  });

  it('says what to do when the port cannot be had', () => {
    const inUse = Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE' });
    assert.match(listenError(inUse, '127.0.0.1', 8686).message, /^http\.port 8686 is in use .*REVIEWTRACE_HTTP__PORT/);
    const notHere = Object.assign(new Error('listen EADDRNOTAVAIL'), { code: 'EADDRNOTAVAIL' });
    assert.match(listenError(notHere, '10.9.9.9', 8686).message, /^http\.host 10\.9\.9\.9 is not an address/);
  });

  it('knows when debug output was asked for', () => {
    assert.equal(debugRequested(['node', 'x', '--log-level', 'debug'], {}), true);
    assert.equal(debugRequested(['node', 'x', '--log-level=trace'], {}), true);
    assert.equal(debugRequested(['node', 'x'], { REVIEWTRACE_LOG__LEVEL: 'debug' }), true);
    assert.equal(debugRequested(['node', 'x', '--log-level', 'info'], { REVIEWTRACE_LOG__LEVEL: 'debug' }), false);
  });
});
