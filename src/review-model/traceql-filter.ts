// Checks on what a user hands the service map as TraceQL. The sidecar appends its own pipeline
// (`| select(…)`) to the user's filter, so the filter must stay a span-set filter: span sets in
// braces, combined with span-set operators, and nothing that starts or changes a pipeline.

export const MAX_FILTER_LENGTH = 1000;

/** A value as a TraceQL string literal: quoted, with backslashes and quotes escaped. */
export function traceqlString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Undefined when `filter` is a span-set filter; else what is wrong with it, in plain words. */
export function spanSetFilterProblem(filter: string): string | undefined {
  const text = filter.trim();
  if (text.length === 0) {
    return 'is empty: give a span-set filter such as { resource.service.name = "api" }';
  }
  if (text.length > MAX_FILTER_LENGTH) {
    return `is longer than ${MAX_FILTER_LENGTH} characters`;
  }
  let depth = 0;
  let parens = 0;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i];
    if (ch === '"' || ch === '`') {
      // A string literal: skip to its end (backslash escapes in "…").
      const quote = ch;
      i += 1;
      while (i < text.length && text[i] !== quote) {
        i += quote === '"' && text[i] === '\\' ? 2 : 1;
      }
      if (i >= text.length) {
        return 'has a string that is not closed';
      }
      continue;
    }
    if (ch === '{') {
      depth += 1;
    } else if (ch === '}') {
      depth -= 1;
      if (depth < 0) {
        return 'closes a brace it never opened';
      }
    } else if (ch === '(') {
      parens += 1;
    } else if (ch === ')') {
      parens -= 1;
    } else if (ch === '|') {
      if (text[i + 1] === '|') {
        i += 1; // `||`, a logical or
        continue;
      }
      return 'must not contain a pipeline (`|`): the service map adds its own select()';
    }
  }
  if (!text.startsWith('{') || !text.endsWith('}')) {
    return 'must be a span-set filter in braces, such as { span.http.status_code >= 500 }';
  }
  if (depth !== 0) {
    return 'has braces that do not match';
  }
  if (parens !== 0) {
    return 'has parentheses that do not match';
  }
  return undefined;
}

/** Attribute names the service map selects: dotted names as OpenTelemetry writes them. */
export const ATTRIBUTE_NAME = /^[A-Za-z_][A-Za-z0-9_.\-/]{0,199}$/;

/**
 * Undefined when `pattern` is a regular expression safe to run on every node value; else why not.
 * Nested quantifiers (`(a+)+`) can take exponential time on a crafted value: refused.
 */
export function valueRegexProblem(pattern: string): string | undefined {
  if (pattern.length > 200) {
    return 'is longer than 200 characters';
  }
  if (/\([^)]*[+*}][^)]*\)\s*[+*{]/.test(pattern) || /\\[1-9]/.test(pattern)) {
    return 'nests quantifiers or uses back-references, which can take exponential time';
  }
  try {
    new RegExp(pattern);
  } catch (err) {
    return `is not a regular expression (${(err as Error).message})`;
  }
  return undefined;
}
