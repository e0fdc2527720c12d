import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { httpLink } from './safe-link.ts';

describe('httpLink', () => {
  it('keeps http and https URLs', () => {
    assert.equal(httpLink('https://review.example.org/c/p/+/42'), 'https://review.example.org/c/p/+/42');
    assert.equal(httpLink('http://gerrit:8080/42'), 'http://gerrit:8080/42');
  });
  it('drops every other scheme, relative and broken URLs', () => {
    for (const url of [
      'javascript:alert(1)',
      ' JavaScript:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'vbscript:msgbox(1)',
      'file:///etc/passwd',
      '/c/p/+/42',
      'not a url',
      '',
      undefined,
    ]) {
      assert.equal(httpLink(url), undefined, String(url));
    }
  });
});
