/**
 * Multi-turn workload: sessions whose every turn resends the whole history (previous prompt,
 * previous answer, new user message), sent think-time after the previous turn finished.
 *
 * The server's answers come back as text, not token ids, so the history carries a stand-in
 * answer of the right length drawn from the seed; the previous prompt is therefore the part a
 * prefix cache can reuse, exactly what the available-reuse statistic counts as already sent.
 */
import { seededRandom } from "#common/seeded-random.js";
import { drawLength, mixSeed, randomTokens } from "./rng.js";
import type { BenchRequest, RequestChain, TokenRange, Workload } from "./types.js";

/** Knobs of {@link multiTurnWorkload}. */
export interface MultiTurnOptions {
  readonly sessions: number;
  readonly turns: number;
  readonly thinkTimeMs: number;
  /** New user tokens per turn. */
  readonly inputLen: number;
  readonly inputLenStd: number;
  readonly outputLen: number;
  readonly outputLenStd: number;
  /** Longest prompt allowed (the model's context less the answer); a session stops before it. */
  readonly maxPromptLen?: number;
  readonly seed: number;
  readonly tokens: TokenRange;
}

/** The workload: one chain per session. */
export function multiTurnWorkload(options: MultiTurnOptions): Workload {
  const { sessions, turns, thinkTimeMs, inputLen, inputLenStd, outputLen, outputLenStd, seed, tokens } = options;
  const maxPromptLen = options.maxPromptLen ?? Number.MAX_SAFE_INTEGER;
  const chains: RequestChain[] = [];
  for (let s = 0; s < sessions; s++) {
    // One stream per session: adding a session never changes the others.
    const rng = seededRandom(mixSeed(seed, s));
    let history: number[] = [];
    const requests: BenchRequest[] = [];
    for (let t = 0; t < turns; t++) {
      const user = randomTokens(rng, drawLength(rng, inputLen, inputLenStd), tokens);
      const prompt = [...history, ...user];
      const out = drawLength(rng, outputLen, outputLenStd);
      if (prompt.length > maxPromptLen) break;
      requests.push({ id: `s${s}-t${t}`, promptLen: prompt.length, prompt: () => prompt, outputLen: out, thinkMs: t === 0 ? 0 : thinkTimeMs });
      history = [...prompt, ...randomTokens(rng, out, tokens)];
    }
    if (requests.length > 0) chains.push({ requests });
  }
  return { name: "multi-turn", params: { sessions, turns, thinkTimeMs, inputLen, inputLenStd, outputLen, outputLenStd, seed }, chains };
}
