/** Finding a tag in streamed text, holding back a tail that may be the start of it. */

/** Where `tag` starts in `text`, or -1. */
export function findTag(text: string, tag: string): number {
  return text.indexOf(tag);
}

/**
 * Length of the longest suffix of `text` that is a proper prefix of `tag`: that much must be
 * held back, since the next delta may complete the tag.
 */
export function partialTagLength(text: string, tag: string): number {
  const max = Math.min(text.length, tag.length - 1);
  for (let n = max; n > 0; n--) if (tag.startsWith(text.slice(text.length - n))) return n;
  return 0;
}

/** Splits `text` into what can be released now and what to hold back for `tag`. */
export function releasable(text: string, tag: string): { ready: string; held: string } {
  const n = partialTagLength(text, tag);
  return { ready: text.slice(0, text.length - n), held: text.slice(text.length - n) };
}
