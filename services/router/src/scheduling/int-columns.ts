/**
 * Growable Int32Array columns, the storage of cache-aware's tree of routed prompts
 * (routed-prompt-nodes.ts, routed-prompt-entries.ts): one column per field, indexed by id.
 */
import { NONE } from "#common/int-list.js";

/** No id (no entry, no node): the end of a list, an empty field. */
export { NONE };

/** `column` with room for index `need`, doubled and its new part filled with `fill`. */
export function grownColumn(column: Int32Array, need: number, fill = NONE): Int32Array {
  if (need < column.length) return column;
  let length = column.length;
  while (length <= need) length *= 2;
  const grown = new Int32Array(length).fill(fill);
  grown.set(column);
  return grown;
}

