/**
 * A worker's step times as the router models them: prefill ms = a·t² + b·t + c for t tokens in
 * a step, decode ms = max(1, d·u² + e·u + f) at KV usage u. The defaults are the mocker's
 * polynomial (Dynamo's mocker timing, services/worker/src/runners/mock-runner.ts; a unit test
 * keeps the two equal); the ttft policy scales them per worker from observed first tokens.
 */

/** Coefficients of the two polynomials. */
export interface StepTimeModel {
  readonly prefill: readonly [a: number, b: number, c: number];
  readonly decode: readonly [d: number, e: number, f: number];
}

/** The mocker's timing model. */
export const MOCKER_STEP_TIMES: StepTimeModel = {
  prefill: [4.209989e-7, 0.01518344, 16.50142],
  decode: [-25.74, 54.01, 5.74],
};

/** Prefill time in ms of `tokens` uncached tokens in one step (0 tokens: no prefill, 0 ms). */
export function prefillStepMs(model: StepTimeModel, tokens: number): number {
  if (tokens <= 0) return 0;
  const [a, b, c] = model.prefill;
  return a * tokens * tokens + b * tokens + c;
}

/** Decode time in ms of one step at KV usage `usage` (floored at 1 ms, as the mocker). */
export function decodeStepMs(model: StepTimeModel, usage: number): number {
  const [d, e, f] = model.decode;
  return Math.max(1, d * usage * usage + e * usage + f);
}
