/** `kvmesh bench [ceiling|compare|render|standin]`: picks the mode and loads only its module. */

/** Resolves with the exit code (-1 for the stand-in, which runs until a signal). */
export async function runBench(argv: string[]): Promise<number> {
  const [mode, ...rest] = argv;
  if (mode === "ceiling") return (await import("./bench-ceiling.js")).runBenchCeiling(rest);
  if (mode === "compare") return (await import("./bench-compare.js")).runBenchCompare(rest);
  if (mode === "render") return (await import("./bench-render.js")).runBenchRender(rest);
  if (mode === "standin") return (await import("./bench-standin.js")).runBenchStandin(rest);
  return (await import("./bench-run.js")).runBenchLoad(argv);
}
