/**
 * A loopback stand-in for the Hugging Face hub (node:http on 127.0.0.1:0): serves local model
 * directories in the hub's API and URL layout — `/api/models/<repo>/revision/<rev>` with
 * siblings, git blob ids and LFS sha256 for ONNX files, `/<repo>/resolve/<rev>/<file>` with
 * Range support — records every request, and can cut a body mid-way once or demand a token.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join, relative } from "node:path";

/** A request the mirror received. */
export interface MirrorRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage["headers"];
}

/** Options of {@link startHubMirror}. */
export interface HubMirrorOptions {
  /** Repo id → local directory served as that repo's `main`. */
  readonly repos: Readonly<Record<string, string>>;
  /** When set, every request must carry `Authorization: Bearer <token>` (else 401). */
  readonly token?: string;
}

/** A running mirror. */
export interface HubMirror {
  /** `http://127.0.0.1:<port>`: the HF_ENDPOINT to use. */
  readonly endpoint: string;
  readonly requests: MirrorRequest[];
  /** The commit id the mirror gives `repo`'s main. */
  commitOf(repo: string): string;
  /** The next download of `file` (any repo) sends `afterBytes` bytes and then drops the connection. */
  cutOnce(file: string, afterBytes: number): void;
  close(): Promise<void>;
}

interface MirrorFile {
  readonly path: string;
  readonly bytes: Buffer;
  readonly lfs: boolean;
}

const sha = (algorithm: string, ...parts: (string | Buffer)[]): string => parts.reduce((h, p) => h.update(p), createHash(algorithm)).digest("hex");

function filesOf(dir: string): MirrorFile[] {
  const walk = (at: string): string[] => readdirSync(at).flatMap((name) => (statSync(join(at, name)).isDirectory() ? walk(join(at, name)) : [join(at, name)]));
  return walk(dir).sort().map((full) => {
    const path = relative(dir, full).split("\\").join("/");
    return { path, bytes: readFileSync(full), lfs: /\.onnx(_data)?$/.test(path) };
  });
}

function sibling(file: MirrorFile, withBlobs: boolean): Record<string, unknown> {
  if (!withBlobs) return { rfilename: file.path };
  const sha256 = sha("sha256", file.bytes);
  const pointer = `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${file.bytes.length}\n`;
  if (!file.lfs) return { rfilename: file.path, size: file.bytes.length, blobId: sha("sha1", `blob ${file.bytes.length}\0`, file.bytes) };
  return { rfilename: file.path, size: file.bytes.length, blobId: sha("sha1", `blob ${pointer.length}\0`, pointer), lfs: { sha256, size: file.bytes.length, pointerSize: pointer.length } };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

/** Starts the mirror on 127.0.0.1 with an OS-chosen port. */
export async function startHubMirror(options: HubMirrorOptions): Promise<HubMirror> {
  const repos = new Map(Object.entries(options.repos).map(([repo, dir]) => [repo, filesOf(dir)]));
  const commitOf = (repo: string): string => sha("sha1", `kvmesh-mirror:${repo}`);
  const requests: MirrorRequest[] = [];
  const cuts = new Map<string, number>();

  const findRepo = (parts: string[]): [string, MirrorFile[]] | undefined => {
    for (const take of [2, 1]) {
      const repo = parts.slice(0, take).join("/");
      const files = repos.get(repo);
      if (files) return [repo, files];
    }
    return undefined;
  };
  const revisionOk = (repo: string, rev: string): boolean => rev === "main" || rev === commitOf(repo);

  const serveInfo = (res: ServerResponse, rest: string[], url: URL): void => {
    const at = rest.indexOf("revision");
    const found = at > 0 ? findRepo(rest.slice(0, at)) : undefined;
    if (!found) return json(res, 404, { error: "Repository not found" });
    const [repo, files] = found;
    const rev = decodeURIComponent(rest.slice(at + 1).join("/"));
    if (!revisionOk(repo, rev)) return json(res, 404, { error: `Invalid rev id: ${rev}` });
    const withBlobs = url.searchParams.get("blobs") === "true";
    json(res, 200, { id: repo, modelId: repo, sha: commitOf(repo), siblings: files.map((f) => sibling(f, withBlobs)) });
  };

  const serveFile = (req: IncomingMessage, res: ServerResponse, parts: string[]): void => {
    const at = parts.indexOf("resolve");
    const found = at > 0 ? findRepo(parts.slice(0, at)) : undefined;
    if (!found || !revisionOk(found[0], decodeURIComponent(parts[at + 1] ?? ""))) return json(res, 404, { error: "Repository not found" });
    const path = parts.slice(at + 2).join("/");
    const file = found[1].find((f) => f.path === path);
    if (!file) return json(res, 404, { error: "Entry not found" });
    const size = file.bytes.length;
    const range = /^bytes=(\d+)-$/.exec(String(req.headers.range ?? ""));
    const start = range ? Number(range[1]) : 0;
    if (start >= size && range) return void res.writeHead(416, { "content-range": `bytes */${size}` }).end();
    const headers = { etag: `"${sibling(file, true).blobId}"`, "x-repo-commit": commitOf(found[0]), "accept-ranges": "bytes", "content-length": String(size - start) };
    res.writeHead(range ? 206 : 200, range ? { ...headers, "content-range": `bytes ${start}-${size - 1}/${size}` } : headers);
    const body = file.bytes.subarray(start);
    const cut = cuts.get(path);
    if (cut === undefined || cut >= body.length) return void res.end(body);
    cuts.delete(path);
    res.write(body.subarray(0, cut), () => res.socket?.destroy());
  };

  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? "GET", url: req.url ?? "/", headers: req.headers });
    if (options.token !== undefined && req.headers.authorization !== `Bearer ${options.token}`) return json(res, 401, { error: "Invalid credentials" });
    const url = new URL(req.url ?? "/", "http://mirror");
    const parts = url.pathname.split("/").filter((p) => p !== "");
    if (parts[0] === "api" && parts[1] === "models") return serveInfo(res, parts.slice(2), url);
    return serveFile(req, res, parts);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    commitOf,
    cutOnce: (file, afterBytes) => void cuts.set(file, afterBytes),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
