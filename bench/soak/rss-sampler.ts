/**
 * RSS of the mesh's processes every second, for the soak's "RSS flat" verdict. A burst of
 * 2,000 streams lifts a service's RSS for a few seconds; sampled every 10 s, the "max" of a
 * window was whatever phase of a burst a sample happened to hit, so the verdict compared
 * random points of the bursts (issue 13, soak of bench/results/soak). Sampled every second,
 * each window's max is its bursts' real peak. Only /proc/<pid>/status is read (no metrics
 * scrape, no fd listing): cheap enough not to load the machine it measures.
 */
import { processTree, rssOf } from "./proc-sampler.js";

/** Every process's RSS at one moment. */
export interface RssSample {
  /** Seconds since the run started, to 0.1 s. */
  readonly tS: number;
  /** pid → resident bytes. */
  readonly rssBytes: Readonly<Record<number, number>>;
}

/** How often the soak samples RSS. */
export const RSS_SAMPLE_EVERY_MS = 1_000;
/** The process tree is listed again every this many samples (a restarted service gets a new pid). */
const TREE_EVERY = 10;

/** A running sampler; `stop()` ends it and returns its samples in time order. */
export interface RssSampler {
  stop(): RssSample[];
}

/** Samples the RSS of `root` and its descendants every `everyMs`, first at once; `elapsedS` stamps each sample. */
export function startRssSampler(root: number, elapsedS: () => number, everyMs = RSS_SAMPLE_EVERY_MS): RssSampler {
  const samples: RssSample[] = [];
  let pids: number[] = [];
  let n = 0;
  const take = (): void => {
    if (n++ % TREE_EVERY === 0) pids = processTree(root);
    const rssBytes: Record<number, number> = {};
    for (const pid of pids) {
      const rss = rssOf(pid);
      if (rss !== undefined) rssBytes[pid] = rss;
    }
    samples.push({ tS: Math.round(elapsedS() * 10) / 10, rssBytes });
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      return samples;
    },
  };
}

/**
 * The largest RSS of `pid` among the samples taken in [fromS, toS] ((fromS, toS] when
 * `openFrom`: consecutive intervals of a curve share no sample); undefined when none has it.
 */
export function maxRss(samples: readonly RssSample[], pid: number, fromS: number, toS: number, openFrom = false): number | undefined {
  let max: number | undefined;
  for (const s of samples) {
    const rss = s.rssBytes[pid];
    const inside = (openFrom ? s.tS > fromS : s.tS >= fromS) && s.tS <= toS;
    if (inside && rss !== undefined && (max === undefined || rss > max)) max = rss;
  }
  return max;
}
