// Static checks of the container deployment (deploy/): no Docker engine runs here, so the test
// proves what can be proved without one. Every kvmesh container's command, with its compose
// environment, passes `kvmesh <cmd> ... --check-config` (hostnames such as `consul` are not
// resolved by validation); ports, service names and settings agree across compose.yaml,
// envoy.yaml, prometheus.yml and the Grafana dashboard; the Dockerfile runs the README's set-up.
import { expect } from "chai";
import { execFile } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { advertisedHost } from "#common/service-runtime.js";
import { deployDir, flagValue, interpolate, loadComposeServices, portOf, readDeployYaml } from "../support/compose-file.js";
import type { ComposeService } from "../support/compose-file.js";
import { repoRoot } from "../support/stories-model.js";
import { KVMESH_CLI } from "../support/worker-process.js";

interface Resolved {
  namespace: string; discovery: string; consulUrl: string; natsUrl: string | null; listen: string;
  advertiseHost: string | null; metricsPort: number | null; httpPort?: number; kvEvents?: string; engine?: string;
}

/** `kvmesh <args> --check-config` with only the container's environment (no KVMESH_* of ours). */
function checkConfig(args: readonly string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("KVMESH_")));
  return new Promise((resolve) => {
    execFile("node", [KVMESH_CLI, ...args, "--check-config"], { cwd: repoRoot, env: { ...base, ...env } }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

const SUBCOMMANDS = ["frontend", "preprocessor", "router", "worker"];
const services = loadComposeServices();
const kvmeshServices = Object.entries(services).filter(([, s]) => s.image === "kvmesh:latest");
/** A service scales (router, worker): no pinned host port, no fixed advertised name. */
const SCALED = (cmd: string): boolean => cmd === "router" || cmd === "worker";

describe("deployment config (deploy/)", function () {
  this.timeout(60_000);
  const resolved = new Map<string, Resolved>();
  const failures: string[] = [];

  before(async () => {
    for (const [name, s] of kvmeshServices) {
      const result = await checkConfig(s.command!, s.environment);
      if (result.code === 0) resolved.set(name, JSON.parse(result.stdout) as Resolved);
      else failures.push(`${name}: kvmesh ${s.command!.join(" ")} --check-config exited ${result.code}\n${result.stderr}`);
    }
  });

  it("every kvmesh container command passes --check-config with its compose environment", () => {
    expect(kvmeshServices.length).to.be.greaterThan(0);
    expect(failures.join("\n")).to.equal("");
  });

  it("runs every kvmesh service of the mesh from the one image", () => {
    const commands = kvmeshServices.map(([, s]) => s.command![0]);
    for (const cmd of SUBCOMMANDS) expect(commands, cmd).to.include(cmd);
    for (const [name, s] of kvmeshServices) expect(SUBCOMMANDS, name).to.include(s.command![0]);
    for (const infra of ["consul", "nats", "envoy", "prometheus", "grafana"]) expect(services, infra).to.have.property(infra);
    expect(services.prometheus.profiles).to.deep.equal(["metrics"]);
    expect(services.grafana.profiles).to.deep.equal(["metrics"]);
    expect(services["worker-mocker"].profiles).to.deep.equal(["mocker"]);
    expect(resolved.get("worker-mocker")!.engine).to.equal("mocker");
  });

  it("the --check-config harness rejects a bad flag (so the check above can fail)", async () => {
    const worker = services.worker;
    const result = await checkConfig([...worker.command!, "--no-such-flag"], worker.environment);
    expect(result.code).to.equal(2);
    expect(result.stderr).to.contain("--no-such-flag");
  });

  it("every service uses Consul and NATS at the compose services' addresses, in one namespace", () => {
    const consulArgs = (readDeployYaml("compose.yaml") as { services: { consul: { command: string[] } } }).services.consul.command;
    expect(consulArgs).to.include.members(["agent", "-dev", "-client", "0.0.0.0"]);
    const natsPort = Number(flagValue(services.nats.command!, "-p"));
    const namespaces = new Set<string>();
    for (const [name, r] of resolved) {
      expect(r.discovery, name).to.equal("consul");
      expect(r.consulUrl, name).to.equal("http://consul:8500"); // the agent's default HTTP port
      expect(r.natsUrl, name).to.equal(`nats://nats:${natsPort}`);
      namespaces.add(r.namespace);
    }
    expect([...namespaces]).to.deep.equal(["kvmesh"]);
    expect(resolved.get("router")!.kvEvents).to.equal("nats");
  });

  it("listens on the wildcard; single services advertise their name, scaled ones their container hostname", () => {
    for (const [name, s] of kvmeshServices) {
      const r = resolved.get(name)!;
      expect(r.listen, name).to.match(/^0\.0\.0\.0:\d+$/);
      if (SCALED(s.command![0])) {
        expect(r.advertiseHost, `${name} must not advertise a name shared by replicas`).to.equal(null);
        expect(s.ports, `${name} must not pin a host port (it scales)`).to.deep.equal([]);
        // What such a replica registers: its own hostname (Docker resolves it to that container).
        expect(advertisedHost({ listen: r.listen, advertiseHost: undefined })).to.equal(hostname());
      } else {
        expect(r.advertiseHost, name).to.equal(name);
      }
    }
  });

  it("health checks probe the port each service serves", () => {
    for (const [name, s] of kvmeshServices) {
      const r = resolved.get(name)!;
      expect(s.healthcheck?.test, name).to.deep.equal(["CMD", "kvmesh-healthcheck"]);
      expect(Number(s.environment.KVMESH_HEALTH_PORT), name).to.equal(portOf(r.listen));
    }
    const frontend = resolved.get("frontend")!;
    expect(services.frontend.environment.KVMESH_HEALTH_URL).to.equal(`http://127.0.0.1:${frontend.httpPort}/health`);
    const script = readFileSync(join(deployDir, "healthcheck.sh"), "utf8");
    expect(script).to.contain('kvmesh healthcheck "127.0.0.1:${KVMESH_HEALTH_PORT');
    expect(script).to.contain("KVMESH_HEALTH_URL");
  });

  it("depends_on names existing services, and waits for health only where a health check exists", () => {
    const hasHealth = (s: ComposeService): boolean => s.healthcheck !== undefined;
    for (const [name, s] of Object.entries(services)) {
      for (const [dep, { condition }] of Object.entries(s.depends_on)) {
        expect(services, `${name} depends on ${dep}`).to.have.property(dep);
        expect(["service_started", "service_healthy"], `${name} → ${dep}`).to.include(condition);
        if (condition === "service_healthy") expect(hasHealth(services[dep]), `${dep} has no healthcheck`).to.equal(true);
        expect(services[dep].profiles, `${name} may not wait for a profile-only ${dep}`).to.satisfy((p: string[]) => p.length === 0 || p.every((x) => s.profiles.includes(x)));
      }
    }
    for (const name of ["router", "worker", "preprocessor", "frontend"]) expect(services[name].depends_on.consul?.condition, name).to.equal("service_healthy");
  });

  it("every file a container mounts exists in deploy/", () => {
    for (const [name, s] of Object.entries(services)) {
      for (const volume of s.volumes) {
        const source = volume.split(":")[0];
        if (source.includes("models")) continue; // the host's model folder, set by KVMESH_MODEL_DIR
        expect(existsSync(join(deployDir, source)), `${name}: ${source}`).to.equal(true);
      }
    }
    expect(services.worker.volumes[0]).to.match(/:\/models\/model:ro$/);
    expect(flagValue(services.worker.command!, "--model")).to.equal("/models/model");
    expect(loadComposeServices({ KVMESH_MODEL_DIR: "/srv/m" }).worker.volumes[0]).to.equal("/srv/m:/models/model:ro");
  });

  it("envoy sends 8080 to the frontend's HTTP port and 8081 to its gRPC port, streaming-safe", () => {
    type Listener = { name: string; address: { socket_address: { port_value: number } }; filter_chains: { filters: { typed_config: Record<string, unknown> }[] }[] };
    type Cluster = { name: string; load_assignment: { endpoints: { lb_endpoints: { endpoint: { address: { socket_address: { address: string; port_value: number } } } }[] }[] }; typed_extension_protocol_options?: object };
    const envoy = readDeployYaml("envoy.yaml") as { static_resources: { listeners: Listener[]; clusters: Cluster[] } };
    const frontend = resolved.get("frontend")!;
    const target = (listener: Listener): { cluster: Cluster; hcm: Record<string, unknown> } => {
      const hcm = listener.filter_chains[0].filters[0].typed_config;
      const route = (hcm.route_config as { virtual_hosts: { routes: { route: { cluster: string; timeout: string } }[] }[] }).virtual_hosts[0].routes[0].route;
      expect(route.timeout, `${listener.name}: a route timeout would cut long streams`).to.equal("0s");
      const filters = (hcm.http_filters as { name: string }[]).map((f) => f.name);
      expect(filters, `${listener.name}: buffering filters hold SSE back`).to.deep.equal(["envoy.filters.http.router"]);
      return { cluster: envoy.static_resources.clusters.find((c) => c.name === route.cluster)!, hcm };
    };
    const byPort = new Map(envoy.static_resources.listeners.map((l) => [l.address.socket_address.port_value, l]));
    const rest = target(byPort.get(8080)!);
    const grpc = target(byPort.get(8081)!);
    const endpoint = (c: Cluster) => c.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address;
    expect(endpoint(rest.cluster)).to.deep.equal({ address: "frontend", port_value: frontend.httpPort });
    expect(endpoint(grpc.cluster)).to.deep.equal({ address: "frontend", port_value: portOf(frontend.listen) });
    expect(grpc.cluster.typed_extension_protocol_options, "gRPC upstream needs HTTP/2").to.not.equal(undefined);
    expect(rest.cluster.typed_extension_protocol_options).to.equal(undefined);
    for (const port of [8080, 8081]) expect(services.envoy.ports.map((p) => p.split(":")[1]?.split(" ")[0])).to.include(String(port));
    expect(services.envoy.volumes).to.include("./envoy.yaml:/etc/envoy/envoy.yaml:ro");
    expect(services.envoy.depends_on.frontend?.condition).to.equal("service_healthy");
  });

  it("prometheus scrapes every kvmesh service at its metrics port", () => {
    type Job = { job_name: string; metrics_path?: string; dns_sd_configs: { names: string[]; port: number }[] };
    const jobs = (readDeployYaml("prometheus/prometheus.yml") as { scrape_configs: Job[] }).scrape_configs;
    const scraped = new Set<string>();
    for (const job of jobs) {
      for (const sd of job.dns_sd_configs) {
        for (const name of sd.names) {
          expect(services, `${job.job_name} scrapes ${name}`).to.have.property(name);
          const r = resolved.get(name)!;
          const port = services[name].command![0] === "frontend" ? r.httpPort : r.metricsPort;
          expect(sd.port, `${job.job_name}/${name}`).to.equal(port);
          scraped.add(name);
        }
      }
    }
    expect([...scraped].sort()).to.deep.equal(kvmeshServices.map(([n]) => n).sort());
    expect(services.prometheus.volumes).to.include("./prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro");
  });

  it("the Grafana dashboard queries only metrics the services export, covering what operators watch", () => {
    const sources = ["frontend/src/metrics.ts", "preprocessor/src/metrics.ts", "worker/src/metrics.ts", "worker/src/vllm-metrics.ts", "router/src/router-metrics.ts"]
      .map((f) => readFileSync(join(repoRoot, "services", f), "utf8")).join("\n");
    const exported = new Set([...sources.matchAll(/"((?:kvmesh_|vllm:)[a-z_]+)"/g)].map((m) => m[1]));
    const dashboard = JSON.parse(readFileSync(join(deployDir, "grafana/dashboards/kvmesh.json"), "utf8")) as { panels: { title: string; targets: { expr: string }[] }[] };
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));
    const used = new Set(exprs.flatMap((e) => [...e.matchAll(/(?:kvmesh_|vllm:)[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, ""))));
    for (const name of used) expect(exported, name).to.include(name);
    for (const needed of ["kvmesh_frontend_time_to_first_token_seconds", "kvmesh_frontend_inter_token_latency_seconds", "kvmesh_worker_generated_tokens_total",
      "kvmesh_router_kv_hit_rate", "kvmesh_worker_kv_blocks_cached", "kvmesh_router_decisions_total", "kvmesh_router_migrations_total",
      // The worker panels read vLLM's names (issue 16), so vLLM dashboards and kvmesh's agree.
      "vllm:num_requests_waiting", "vllm:num_requests_running", "vllm:kv_cache_usage_perc", "vllm:cache_config_info", "vllm:prompt_tokens_total",
      "vllm:generation_tokens_total", "vllm:prefix_cache_queries_total", "vllm:prefix_cache_hits_total"]) {
      expect([...used], needed).to.include(needed);
    }
    const provisioning = readdirSync(join(deployDir, "grafana/provisioning/dashboards"));
    expect(provisioning).to.include("kvmesh.yaml");
  });

  it("the Dockerfile builds as the README's set-up does, runs as non-root with kvmesh as entrypoint", () => {
    const lines = readFileSync(join(deployDir, "Dockerfile"), "utf8").split("\n").filter((l) => l.trim() && !l.startsWith("#"));
    const froms = lines.filter((l) => l.startsWith("FROM "));
    expect(froms.length, "multi-stage").to.be.greaterThan(1);
    for (const from of froms) expect(from).to.match(/^FROM node:20-slim\b/);
    const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
    const setup = /```sh\n(npm ci && npm run build)[^\n]*\n```/.exec(readme);
    expect(setup, "the README's set-up command").to.not.equal(null);
    expect(readme).to.contain("Node 20");
    const runs = lines.filter((l) => l.startsWith("RUN "));
    const firstStage = lines.slice(0, lines.indexOf(froms[1]));
    // The README's steps, in its order, each a RUN of the build stage (flags may follow).
    const steps = setup![1].split("&&").map((step) => step.trim());
    expect(steps).to.deep.equal(["npm ci", "npm run build"]);
    const at = steps.map((step) => firstStage.findIndex((l) => l === `RUN ${step}` || l.startsWith(`RUN ${step} `)));
    for (const [i, step] of steps.entries()) expect(at[i], `RUN ${step}`).to.be.greaterThan(-1);
    expect(at, "README order").to.deep.equal([...at].sort((a, b) => a - b));
    const ci = at[0];
    expect(firstStage.slice(0, ci).join("\n"), ".npmrc (onnxruntime-node-install=skip) before npm ci").to.match(/COPY [^\n]*\.npmrc/);
    expect(runs.some((l) => /npm ci --omit=dev/.test(l)), "runtime keeps production deps only").to.equal(true);
    const lastStage = lines.slice(lines.indexOf(froms.at(-1)!));
    const user = lastStage.filter((l) => l.startsWith("USER ")).at(-1);
    expect(user, "USER in the runtime stage").to.not.equal(undefined);
    expect(user!.slice(5).trim()).to.not.match(/^(root|0)(:|$)/);
    expect(lastStage.find((l) => l.startsWith("HEALTHCHECK "))).to.contain("kvmesh-healthcheck");
    expect(lastStage.find((l) => l.startsWith("ENTRYPOINT "))).to.equal('ENTRYPOINT ["kvmesh"]');
    expect(readFileSync(join(repoRoot, ".npmrc"), "utf8")).to.contain("onnxruntime-node-install=skip");
    const ignored = readFileSync(join(repoRoot, ".dockerignore"), "utf8").split("\n");
    for (const path of ["node_modules", "dist", ".git"]) expect(ignored, path).to.include(path);
  });

  it("interpolates as compose does", () => {
    expect(interpolate("a ${X:-d} ${Y-e} $$Z ${X}", { Y: "" })).to.equal("a d  $Z ");
    expect(interpolate("${X:-d}", { X: "v" })).to.equal("v");
  });
});
