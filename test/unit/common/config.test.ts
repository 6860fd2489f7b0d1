import { expect } from "chai";
import { COMMON_FLAGS, ConfigError, defineFlags, envName, formatHelp, loadServiceConfig, parseArgv, parseConfig, parseDuration, withDefaults } from "#common/config/index.js";

const ENV = { HOME: "/home/tester" };

/** The ConfigError `fn` throws (fails the test when it throws nothing or something else). */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("config: common flags", () => {
  it("resolves every default (durations in ms, ~ expanded, unset flags undefined)", () => {
    expect(parseConfig(COMMON_FLAGS, [], ENV)).to.deep.equal({
      namespace: "kvmesh",
      discovery: "file",
      discoveryDir: "/home/tester/.kvmesh/registry",
      discoveryTtlMs: 10_000,
      consulUrl: "http://127.0.0.1:8500",
      natsUrl: undefined,
      listen: "127.0.0.1:0",
      advertiseHost: undefined,
      metricsPort: undefined,
      logLevel: "info",
      shutdownGraceMs: 10_000,
      checkConfig: false,
    });
  });

  it("declares exactly the common flags of ARCHITECTURE.md plus --shutdown-grace and --check-config", () => {
    expect(COMMON_FLAGS.map((f) => f.name)).to.deep.equal([
      "namespace", "discovery", "discovery-dir", "discovery-ttl", "consul-url", "nats-url", "listen", "advertise-host", "metrics-port", "log-level", "shutdown-grace", "check-config",
    ]);
  });

  const forms: Array<[string, string[], Record<string, unknown>]> = [
    ["--flag value", ["--namespace", "prod"], { namespace: "prod" }],
    ["--flag=value", ["--namespace=prod"], { namespace: "prod" }],
    ["--flag=value with = inside", ["--nats-url=nats://a:b@127.0.0.1:4222?x=1"], { natsUrl: "nats://a:b@127.0.0.1:4222?x=1" }],
    ["bare boolean", ["--check-config"], { checkConfig: true }],
    ["boolean =false", ["--check-config=false"], { checkConfig: false }],
    ["--no-boolean", ["--no-check-config"], { checkConfig: false }],
    ["enum", ["--discovery", "consul"], { discovery: "consul" }],
    ["int", ["--metrics-port", "0"], { metricsPort: 0 }],
    ["duration", ["--discovery-ttl", "1s"], { discoveryTtlMs: 1000 }],
    ["last one wins", ["--listen", "127.0.0.1:1", "--listen", "127.0.0.1:2"], { listen: "127.0.0.1:2" }],
    ["absolute dir unchanged", ["--discovery-dir", "/tmp/reg"], { discoveryDir: "/tmp/reg" }],
  ];
  for (const [name, argv, expected] of forms) {
    it(`reads ${name}`, () => {
      expect(parseConfig(COMMON_FLAGS, argv, ENV)).to.include(expected);
    });
  }

  const precedence: Array<[string, string[], Record<string, string>, string]> = [
    ["default when neither is given", [], {}, "kvmesh"],
    ["env over default", [], { KVMESH_NAMESPACE: "from-env" }, "from-env"],
    ["flag over env", ["--namespace", "from-flag"], { KVMESH_NAMESPACE: "from-env" }, "from-flag"],
    ["empty env ignored", [], { KVMESH_NAMESPACE: "" }, "kvmesh"],
  ];
  for (const [name, argv, env, expected] of precedence) {
    it(`precedence: ${name}`, () => {
      expect(parseConfig(COMMON_FLAGS, argv, { ...ENV, ...env }).namespace).to.equal(expected);
    });
  }

  it("converts env values by the flag's type", () => {
    const config = parseConfig(COMMON_FLAGS, [], { KVMESH_DISCOVERY_TTL: "2m", KVMESH_CHECK_CONFIG: "yes", KVMESH_METRICS_PORT: "9100" });
    expect(config).to.include({ discoveryTtlMs: 120_000, checkConfig: true, metricsPort: 9100 });
  });

  it("names env variables KVMESH_<UPPER_SNAKE>", () => {
    expect(COMMON_FLAGS.map(envName)).to.include.members(["KVMESH_DISCOVERY_DIR", "KVMESH_NATS_URL", "KVMESH_SHUTDOWN_GRACE"]);
  });
});

describe("config: errors", () => {
  it("lists every bad value and unknown flag in one ConfigError", () => {
    const err = configError(() =>
      parseConfig(COMMON_FLAGS, ["--bogus", "1", "--discovery", "etcd", "--metrics-port", "abc", "--discovery-ttl", "soon", "--listen"], { KVMESH_LOG_LEVEL: "loud" }),
    );
    expect(err.problems).to.deep.equal([
      "unknown flag --bogus",
      "--listen needs a value",
      '--discovery: "etcd" is not one of file, consul',
      '--discovery-ttl: "soon" is not a duration (e.g. "500ms", "10s", "2m")',
      '--metrics-port: "abc" is not an integer',
      'KVMESH_LOG_LEVEL (env): "loud" is not one of trace, debug, info, warn, error, fatal, silent',
      'unexpected argument "1"',
    ]);
    expect(err.message.split("\n").slice(1)).to.deep.equal(err.problems.map((p) => `  - ${p}`));
  });

  const bad: Array<[string, string[], RegExp]> = [
    ["int with a fraction", ["--metrics-port", "1.5"], /--metrics-port: "1.5" is not an integer/],
    ["int above max", ["--metrics-port", "70000"], /--metrics-port: "70000" is above the maximum 65535/],
    ["negative duration", ["--shutdown-grace", "-1s"], /--shutdown-grace: "-1s" is not a duration/],
    ["duration below min", ["--discovery-ttl", "0"], /--discovery-ttl: "0" is below the minimum 1 ms/],
    ["bad boolean", ["--check-config=maybe"], /--check-config: "maybe" is not a boolean/],
    ["flag without its value before another flag", ["--namespace", "--listen", "x:1"], /--namespace needs a value/],
  ];
  for (const [name, argv, pattern] of bad) {
    it(`rejects ${name}`, () => {
      expect(configError(() => parseConfig(COMMON_FLAGS, argv, ENV)).message).to.match(pattern);
    });
  }

  it("rejects positionals in parseConfig but returns them from parseArgv", () => {
    expect(configError(() => parseConfig(COMMON_FLAGS, ["extra"], ENV)).problems).to.deep.equal(['unexpected argument "extra"']);
    const { positionals, config } = parseArgv(COMMON_FLAGS, ["127.0.0.1:5", "--namespace", "x", "--", "--not-a-flag"], ENV);
    expect(positionals).to.deep.equal(["127.0.0.1:5", "--not-a-flag"]);
    expect(config.namespace).to.equal("x");
  });

  it("withDefaults replaces defaults without touching the original list, and refuses unknown flags", () => {
    const base = defineFlags([
      { name: "input-len", type: "int", default: 512, help: "tokens" },
      { name: "concurrency", type: "string", help: "in flight" },
    ]);
    const own = withDefaults(base, { "input-len": 8192, concurrency: "16,32" });
    expect(parseConfig(own, [], ENV)).to.include({ inputLen: 8192, concurrency: "16,32" });
    expect(parseConfig(own, ["--input-len", "64"], ENV).inputLen).to.equal(64);
    expect(parseConfig(base, [], ENV)).to.include({ inputLen: 512, concurrency: undefined });
    expect(() => withDefaults(base, { "no-such": 1 } as never)).to.throw(/no flag --no-such/);
  });

  it("treats a flag declared twice as a programming error", () => {
    const dup = defineFlags([{ name: "listen", type: "string", help: "again" }]);
    expect(() => parseConfig([...COMMON_FLAGS, ...dup], [], ENV)).to.throw(Error, /--listen is declared twice/);
  });
});

describe("config: durations", () => {
  const table: Array<[string, number | undefined]> = [
    ["10s", 10_000], ["500ms", 500], ["2m", 120_000], ["1h", 3_600_000], ["1.5s", 1500], ["250", 250], [" 3s ", 3000],
    ["10x", undefined], ["-1s", undefined], ["", undefined], ["s", undefined], ["1e3", undefined],
  ];
  for (const [text, ms] of table) {
    it(`parses ${JSON.stringify(text)} as ${ms}`, () => {
      expect(parseDuration(text)).to.equal(ms);
    });
  }
});

describe("config: composition, help and the CLI front", () => {
  const WORKER_LIKE = defineFlags([
    { name: "block-size", type: "int", default: 16, min: 1, help: "tokens per KV block" },
    { name: "engine", type: "enum", choices: ["onnx", "mocker"], default: "onnx", help: "engine" },
    { name: "speedup-ratio", type: "number", help: "mocker speed" },
  ]);

  it("composes specs and infers the config type", () => {
    const config = parseConfig([...COMMON_FLAGS, ...WORKER_LIKE], ["--block-size", "64", "--engine", "mocker", "--speedup-ratio", "2.5"], ENV);
    const blockSize: number = config.blockSize;
    const engine: "onnx" | "mocker" = config.engine;
    const ratio: number | undefined = config.speedupRatio;
    const grace: number = config.shutdownGraceMs;
    // @ts-expect-error unknown keys are type errors
    void config.nonexistent;
    expect({ blockSize, engine, ratio, grace }).to.deep.equal({ blockSize: 64, engine: "mocker", ratio: 2.5, grace: 10_000 });
  });

  it("formats help with every flag, its kind, default and env variable", () => {
    const help = formatHelp([...COMMON_FLAGS, ...WORKER_LIKE], "usage: kvmesh worker [flags]");
    expect(help.split("\n")[0]).to.equal("usage: kvmesh worker [flags]");
    for (const flag of [...COMMON_FLAGS, ...WORKER_LIKE]) expect(help).to.contain(`--${flag.name}`).and.to.contain(envName(flag));
    expect(help).to.match(/--discovery <file\|consul>\s+discovery backend \(default file; env KVMESH_DISCOVERY\)/);
    expect(help).to.match(/--discovery-ttl <duration>.*default 10s/);
    expect(help).to.match(/--check-config\s+validate/);
    expect(help).to.contain("--help");
  });

  const run = (argv: string[], env: Record<string, string> = ENV) => {
    const out: string[] = [];
    const err: string[] = [];
    const result = loadServiceConfig({ service: "worker", spec: [...COMMON_FLAGS, ...WORKER_LIKE], argv, env, out: (t) => out.push(t), err: (t) => err.push(t) });
    return { result, out: out.join("\n"), err: err.join("\n") };
  };

  it("a command that reads no environment (no `env` given) names no env variable in its help, and ignores KVMESH_* set in the process", () => {
    const out: string[] = [];
    const spec = [...COMMON_FLAGS, ...WORKER_LIKE];
    expect(loadServiceConfig({ service: "bench:x", spec, argv: ["--help"], out: (t) => out.push(t), err: () => undefined }).exitCode).to.equal(0);
    const help = out.join("\n");
    for (const flag of spec) expect(help).to.contain(`--${flag.name}`).and.not.to.contain(envName(flag));
    expect(help).not.to.contain("env ");
    expect(help).to.match(/--discovery <file\|consul>\s+discovery backend \(default file\)$/m);
    const saved = process.env.KVMESH_BLOCK_SIZE;
    process.env.KVMESH_BLOCK_SIZE = "32";
    try {
      const loaded = loadServiceConfig({ service: "bench:x", spec, argv: [], out: () => undefined, err: () => undefined });
      expect(loaded.config?.blockSize).to.equal(16);
    } finally {
      if (saved === undefined) delete process.env.KVMESH_BLOCK_SIZE;
      else process.env.KVMESH_BLOCK_SIZE = saved;
    }
  });

  it("--help prints the help and exits 0", () => {
    const { result, out } = run(["--block-size", "x", "--help"]);
    expect(result.exitCode).to.equal(0);
    expect(out).to.match(/^usage: kvmesh worker \[flags\]/);
  });

  it("bad flags print every problem and exit 2", () => {
    const { result, err, out } = run(["--block-size", "0", "--engine", "gpu"]);
    expect(result.exitCode).to.equal(2);
    expect(out).to.equal("");
    expect(err).to.contain('--block-size: "0" is below the minimum 1').and.to.contain('--engine: "gpu" is not one of onnx, mocker');
  });

  it("--check-config prints the resolved config as JSON and exits 0", () => {
    const { result, out } = run(["--check-config", "--block-size", "32"], { ...ENV, KVMESH_NAMESPACE: "ci" });
    expect(result.exitCode).to.equal(0);
    const printed = JSON.parse(out) as Record<string, unknown>;
    expect(printed).to.include({ checkConfig: true, blockSize: 32, namespace: "ci", discoveryTtlMs: 10_000, engine: "onnx", natsUrl: null });
  });

  it("otherwise returns the config", () => {
    const { result, out, err } = run(["--listen", "127.0.0.1:7000"]);
    expect(result.exitCode).to.equal(undefined);
    expect(result.config?.listen).to.equal("127.0.0.1:7000");
    expect(out + err).to.equal("");
  });
});
