/**
 * Parser of the Mooncake trace format (shared/traces/README.md): one JSON object per line,
 * `{timestamp, input_length, output_length, hash_ids}`; each hash id names one 512-token block.
 */

/** One trace record. */
export interface TraceRecord {
  /** ms since the trace started. */
  readonly timestamp: number;
  readonly inputLength: number;
  readonly outputLength: number;
  readonly hashIds: readonly number[];
}

const isCount = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0;

/**
 * The records of a JSONL trace, at most `maxRecords`. Blank lines are skipped; a malformed
 * line throws with its line number (a silently dropped line would skew the replay).
 */
export function parseTrace(text: string, maxRecords = Number.MAX_SAFE_INTEGER): TraceRecord[] {
  const records: TraceRecord[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length && records.length < maxRecords; i++) {
    const line = lines[i].trim();
    if (line === "") continue;
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new Error(`trace line ${i + 1}: not JSON`);
    }
    const { timestamp, input_length: inputLength, output_length: outputLength, hash_ids: hashIds } = json;
    if (typeof timestamp !== "number" || !(timestamp >= 0)) throw new Error(`trace line ${i + 1}: timestamp must be a number ≥ 0`);
    if (!isCount(inputLength) || inputLength < 1) throw new Error(`trace line ${i + 1}: input_length must be a positive integer`);
    if (!isCount(outputLength)) throw new Error(`trace line ${i + 1}: output_length must be an integer ≥ 0`);
    if (!Array.isArray(hashIds) || !hashIds.every(isCount)) throw new Error(`trace line ${i + 1}: hash_ids must be a list of integers ≥ 0`);
    records.push({ timestamp, inputLength, outputLength, hashIds });
  }
  return records;
}
