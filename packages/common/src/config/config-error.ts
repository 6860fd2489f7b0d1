/** One error listing every problem found in the flags and env, so a user fixes them all at once. */
export class ConfigError extends Error {
  /** Each problem on its own, e.g. `--block-size: "abc" is not an integer`. */
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}
