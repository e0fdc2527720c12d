// Links the page renders from data it did not make (a change's URL read from Tempo or Gerrit):
// only http(s), so that a `javascript:` or `data:` URL in a span attribute never becomes a link.
// Framework-free (unit-tested with node --test).

/** `url` when it is an absolute http or https URL; undefined otherwise. */
export function httpLink(url: string | undefined): string | undefined {
  if (!url) {
    return undefined;
  }
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}
