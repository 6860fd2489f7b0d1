/**
 * The echo engine's token choice: the request's echo tokens in order (the last user message of
 * a chat, or the prompt), then end-of-sequence. Timing, scheduling and blocks are the mocker's.
 */
import type { MockTokenKey } from "./model-runner.js";

/**
 * The token at `key.outputIndex`: echo[i] while the echo lasts, then the first eos id (a model
 * without eos ids starts the echo over, so the stream still ends at max_tokens).
 */
export function echoTokenId(key: MockTokenKey, eosTokenIds: readonly number[]): number {
  const echo = key.echo?.echoTokenIds ?? [];
  const i = key.outputIndex;
  if (i < echo.length) return echo[i];
  if (eosTokenIds.length > 0) return eosTokenIds[0];
  if (echo.length === 0) throw new RangeError("echo engine: nothing to echo and no eos token");
  return echo[i % echo.length];
}
