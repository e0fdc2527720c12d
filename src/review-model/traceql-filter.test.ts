import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { spanSetFilterProblem, valueRegexProblem } from './traceql-filter.ts';

describe('TraceQL filters for the service map', () => {
  it('accepts span-set filters, alone and combined', () => {
    for (const ok of [
      '{ }',
      '{ resource.service.name = "api" }',
      '{ span.http.status_code >= 500 || status = error }',
      '{ name = "a|b" } && { span.x = "}" }',
      '{ .a = "quote \\" inside" } >> { kind = server }',
      '{ span:kind = client || span:kind = server }',
    ]) {
      assert.equal(spanSetFilterProblem(ok), undefined, ok);
    }
  });

  it('refuses anything that would change the pipeline or is not a span set', () => {
    for (const [bad, why] of [
      ['{ } | count() > 2', /pipeline/],
      ['{ } | select(span.secret)', /pipeline/],
      ['resource.service.name = "x"', /braces/],
      ['{ name = "x" ', /braces/],
      ['{ name = "x }', /string/],
      ['{ } }', /brace/],
      ['', /empty/],
      [`{ name = "${'x'.repeat(1000)}" }`, /longer/],
    ] as const) {
      assert.match(spanSetFilterProblem(bad) ?? 'accepted', why, bad);
    }
  });

  it('refuses regular expressions that could take exponential time or do not compile', () => {
    assert.equal(valueRegexProblem('^(api|web)-.*$'), undefined);
    assert.match(valueRegexProblem('(a+)+$') ?? '', /exponential/);
    assert.match(valueRegexProblem('(x*)*') ?? '', /exponential/);
    assert.match(valueRegexProblem('(a)\\1') ?? '', /back-references/);
    assert.match(valueRegexProblem('(') ?? '', /not a regular expression/);
  });
});
