import { parseArgs } from "node:util";
import { importPublicKey, seal } from "@lockstep/crypto";
import { parseDotenv, secretNameProblem, secretValueProblem } from "@lockstep/validators";
import { forget, readConfig, readToken, saveLogin } from "./credentials";
import { cliEnv, type TCliEnv } from "./env";
import { Api, CliError, EXIT } from "./http";
import { hiddenPrompt, readStdin, readText, table, when } from "./io";

const USAGE = `lockstep — Lockstep from the command line (REST API /api/v1)

  lockstep login [--url URL]          store an access token (read from stdin or a hidden prompt)
  lockstep logout | whoami
  lockstep workspaces list
  lockstep secrets list   [-w WS | --user]
  lockstep secrets set NAME [-w WS | --user]     value from stdin or a hidden prompt, never argv
  lockstep secrets delete NAME [-w WS | --user]
  lockstep secrets import FILE.env [-w WS | --user] [--overwrite]
  lockstep pipelines list [-w WS]
  lockstep compute-envs list [-w WS]
  lockstep launch PIPELINE [-w WS] [--ce CE] [--param k=v]… [--params-file F.json]
                  [--secrets needed|all|none|NAME,NAME] [--wait]
  lockstep runs list [-w WS] [--limit N]
  lockstep runs get|logs|cancel RUN_ID [-w WS] [--follow]

  --json  machine-readable output       -w  workspace id or slug (or LOCKSTEP_WORKSPACE)
Exit codes: 0 ok, 1 error, 2 usage/invalid input, 3 not signed in, 4 forbidden, 5 not found,
6 conflict, 10 run FAILED, 11 run CANCELLED, 12 run LOST, 130 interrupted.
`;

type TFlags = {
  json: boolean;
  workspace?: string;
  user: boolean;
  url?: string;
  ce?: string;
  param: string[];
  "params-file"?: string;
  secrets?: string;
  wait: boolean;
  follow: boolean;
  overwrite: boolean;
  limit?: string;
  help: boolean;
};

type TOut = { stdout: (s: string) => void; stderr: (s: string) => void };
const out: TOut = { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) };

type TWorkspace = { id: string; name: string; slug: string; personal: boolean; orgName: string | null; role: string };
type TSecret = { id: string; name: string; lastUsed: string | null; dateCreated: string; lastUpdated: string };
type TRun = {
  id: string;
  status: "SUBMITTED" | "RUNNING" | "SUCCEEDED" | "FAILED" | "CANCELLED" | "LOST";
  secretsState: string;
  pipelineName: string;
  computeEnvName: string;
  exitCode: number | null;
  errorMessage: string | null;
  progress: { tasks?: number; succeeded?: number; failed?: number; running?: number };
  submittedAt: string;
  finishedAt: string | null;
};

const TERMINAL = new Set(["SUCCEEDED", "FAILED", "CANCELLED", "LOST"]);
const RUN_EXIT: Record<string, number> = {
  SUCCEEDED: EXIT.OK,
  FAILED: EXIT.RUN_FAILED,
  CANCELLED: EXIT.RUN_CANCELLED,
  LOST: EXIT.RUN_LOST,
};

function parse(argv: string[]) {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        json: { type: "boolean", default: false },
        workspace: { type: "string", short: "w" },
        user: { type: "boolean", default: false },
        url: { type: "string" },
        ce: { type: "string" },
        param: { type: "string", multiple: true, default: [] },
        "params-file": { type: "string" },
        secrets: { type: "string" },
        wait: { type: "boolean", default: false },
        follow: { type: "boolean", short: "f", default: false },
        overwrite: { type: "boolean", default: false },
        limit: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
    return { flags: values as TFlags, args: positionals };
  } catch (error) {
    throw new CliError(`${error instanceof Error ? error.message : "bad arguments"}\n\n${USAGE}`, EXIT.USAGE);
  }
}

async function connect(env: TCliEnv): Promise<Api> {
  const config = await readConfig(env);
  const url = env.url ?? config?.url;
  if (!url)
    throw new CliError(
      "Not signed in: run `lockstep login --url https://lockstep.example.org` (or set LOCKSTEP_URL and LOCKSTEP_TOKEN).",
      EXIT.UNAUTHENTICATED,
    );
  const token = env.token ?? (config && config.url === url ? await readToken(env, config) : null);
  if (!token)
    throw new CliError(
      `No access token for ${url}: run \`lockstep login\` (or set LOCKSTEP_TOKEN).`,
      EXIT.UNAUTHENTICATED,
    );
  return new Api(url, token);
}

/** A value from stdin (one trailing newline dropped, as `echo` adds it) or typed at a hidden prompt. */
async function secretInput(question: string): Promise<string> {
  if (process.stdin.isTTY) return hiddenPrompt(question);
  return (await readStdin()).replace(/\r?\n$/, "");
}

async function resolveWorkspace(api: Api, env: TCliEnv, flags: TFlags): Promise<TWorkspace> {
  const ref = flags.workspace ?? env.workspace;
  if (!ref)
    throw new CliError(
      "Which workspace? Give -w <id or slug> (see `lockstep workspaces list`) or set LOCKSTEP_WORKSPACE.",
      EXIT.USAGE,
    );
  const all = await api.all<TWorkspace>("/workspaces");
  const matches = all.filter((w) => w.id === ref || w.slug === ref || (ref === "personal" && w.personal));
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1)
    throw new CliError(
      `Several workspaces are called ${ref}; give its id (see \`lockstep workspaces list\`).`,
      EXIT.USAGE,
    );
  throw new CliError(`No workspace ${ref} that you can see.`, EXIT.NOT_FOUND);
}

/** workspaceId for the pipeline-secrets routes: none for your user secrets (--user). */
async function secretsScope(
  api: Api,
  env: TCliEnv,
  flags: TFlags,
): Promise<{ workspaceId: string | undefined; scope: "workspace" | "user"; ownerId: string }> {
  if (flags.user) {
    const me = await api.request<{ id: string }>("GET", "/me");
    return { workspaceId: undefined, scope: "user", ownerId: me.id };
  }
  const ws = await resolveWorkspace(api, env, flags);
  return { workspaceId: ws.id, scope: "workspace", ownerId: ws.id };
}

async function listSecrets(api: Api, workspaceId: string | undefined): Promise<TSecret[]> {
  const all: TSecret[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await api.request<{ pipelineSecrets: TSecret[]; nextCursor: string | null }>(
      "GET",
      "/pipeline-secrets",
      { query: { workspaceId, limit: 200, cursor } },
    );
    all.push(...page.pipelineSecrets);
    if (page.nextCursor === null) return all;
    cursor = page.nextCursor;
  }
}

/** Seals values client-side with the instance's public key, as the browser does: the plaintext never leaves this process. */
async function sealerFor(api: Api, scope: "workspace" | "user", ownerId: string) {
  const spec = await api.request<{ kid: string; publicKey: string }>("GET", "/secrets/public-key");
  const key = await importPublicKey(spec.kid, spec.publicKey);
  return (name: string, value: string) => seal(key, value, { scope, ownerId, name });
}

/** Creates or overwrites one secret from an already sealed value. */
async function upsertSealed(
  api: Api,
  workspaceId: string | undefined,
  name: string,
  sealedValue: string,
  existing: TSecret | undefined,
): Promise<"created" | "overwritten"> {
  if (existing) {
    await api.request("PUT", `/pipeline-secrets/${existing.id}`, { query: { workspaceId }, body: { sealedValue } });
    return "overwritten";
  }
  await api.request("POST", "/pipeline-secrets", { query: { workspaceId }, body: { name, sealedValue } });
  return "created";
}

function need(arg: string | undefined, what: string): string {
  if (!arg) throw new CliError(`Missing ${what}.\n\n${USAGE}`, EXIT.USAGE);
  return arg;
}

/** Nextflow-like typing of --param values: true/false and numbers become JSON booleans and numbers. */
function paramValue(raw: string): string | number | boolean {
  if (raw === "true") return true;
  if (raw === "false") return false;
  if (/^-?\d+(\.\d+)?$/.test(raw) && Number.isFinite(Number(raw))) return Number(raw);
  return raw;
}

async function launchParams(flags: TFlags): Promise<Record<string, string | number | boolean> | undefined> {
  let params: Record<string, string | number | boolean> = {};
  if (flags["params-file"]) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readText(flags["params-file"]));
    } catch {
      throw new CliError(`--params-file ${flags["params-file"]}: not a readable JSON object.`, EXIT.USAGE);
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
      throw new CliError(`--params-file: must hold a JSON object of params.`, EXIT.USAGE);
    params = parsed as typeof params;
  }
  for (const p of flags.param) {
    const at = p.indexOf("=");
    if (at < 1) throw new CliError(`--param ${p}: write it as name=value.`, EXIT.USAGE);
    params[p.slice(0, at)] = paramValue(p.slice(at + 1));
  }
  return Object.keys(params).length > 0 || flags["params-file"] ? params : undefined;
}

function secretSelection(raw: string | undefined) {
  if (raw === undefined) return undefined;
  if (raw === "needed" || raw === "all" || raw === "none") return { mode: raw };
  const names = raw
    .split(",")
    .map((n) => n.trim())
    .filter(Boolean);
  for (const n of names) {
    const problem = secretNameProblem(n);
    if (problem) throw new CliError(`--secrets: ${n} ${problem}.`, EXIT.USAGE);
  }
  return { mode: "selected" as const, names };
}

function progressText(run: TRun): string {
  const p = run.progress;
  const parts: string[] = [run.status];
  if (p.tasks !== undefined)
    parts.push(
      `tasks ${p.succeeded ?? 0}/${p.tasks} done${p.running ? `, ${p.running} running` : ""}${p.failed ? `, ${p.failed} failed` : ""}`,
    );
  parts.push(`secrets ${run.secretsState}`);
  return parts.join(" · ");
}

/** Follows a run until it ends: status and progress changes and its (masked) log to stderr. */
async function follow(api: Api, workspaceId: string, runId: string, showLog: boolean): Promise<TRun> {
  let cursor: string | undefined;
  let last = "";
  for (;;) {
    const run = await api.request<TRun>("GET", `/workspaces/${workspaceId}/runs/${runId}`);
    if (showLog) {
      for (;;) {
        const page = await api.request<{ items: Array<{ seq: number; line: string }>; nextCursor: string | null }>(
          "GET",
          `/workspaces/${workspaceId}/runs/${runId}/logs`,
          {
            query: { cursor, limit: 2000 },
          },
        );
        for (const l of page.items) out.stderr(`  │ ${l.line}\n`);
        // The last line's seq resumes the log where it stopped, also once this page ended it for now.
        cursor = page.items.length > 0 ? String(page.items.at(-1)!.seq) : cursor;
        if (page.nextCursor === null) break;
      }
    }
    const text = progressText(run);
    if (text !== last) {
      out.stderr(`[${new Date().toISOString().slice(11, 19)}] run ${run.id}: ${text}\n`);
      last = text;
    }
    if (TERMINAL.has(run.status)) return run;
    await new Promise((r) => setTimeout(r, 2000));
  }
}

const runColumns = [
  { header: "id", value: (r: TRun) => r.id },
  { header: "status", value: (r: TRun) => r.status },
  { header: "pipeline", value: (r: TRun) => r.pipelineName },
  { header: "compute env", value: (r: TRun) => r.computeEnvName },
  { header: "secrets", value: (r: TRun) => r.secretsState },
  { header: "submitted", value: (r: TRun) => when(r.submittedAt) },
  { header: "finished", value: (r: TRun) => when(r.finishedAt) },
];

async function run(argv: string[], env: TCliEnv): Promise<number> {
  const { flags, args } = parse(argv);
  const [command, sub, arg] = args;
  if (flags.help || !command || command === "help") {
    out.stdout(USAGE);
    return command || flags.help ? EXIT.OK : EXIT.USAGE;
  }
  const print = (data: unknown, human: () => string) =>
    out.stdout(flags.json ? `${JSON.stringify(data, null, 2)}\n` : human());

  switch (command) {
    case "login": {
      const config = await readConfig(env);
      const url = (flags.url ?? env.url ?? config?.url)?.replace(/\/+$/, "");
      if (!url) throw new CliError("Give the instance: lockstep login --url https://lockstep.example.org", EXIT.USAGE);
      const token = (await secretInput(`Access token for ${url} (Settings → Access tokens): `)).trim();
      if (!token) throw new CliError("No token given.", EXIT.USAGE);
      const me = await new Api(url, token).request<{ email: string; name: string }>("GET", "/me");
      const where = await saveLogin(env, url, token);
      print(
        { url, email: me.email, tokenStoredIn: where },
        () =>
          `Signed in to ${url} as ${me.name} <${me.email}>; the token is in ${where === "keychain" ? "the OS keychain" : `${env.configDir}/credentials.json (mode 0600; no OS keychain answered)`}.\n`,
      );
      return EXIT.OK;
    }
    case "logout": {
      await forget(env, await readConfig(env));
      print(
        { ok: true },
        () =>
          "Signed out: the saved token is gone from this machine (revoke it under Settings → Access tokens if it may have leaked).\n",
      );
      return EXIT.OK;
    }
    case "whoami": {
      const api = await connect(env);
      const me = await api.request<{ id: string; email: string; name: string }>("GET", "/me");
      print(me, () => `${me.name} <${me.email}> on ${api.url}\n`);
      return EXIT.OK;
    }
    case "workspaces": {
      if (sub !== "list") throw new CliError(`Unknown: workspaces ${sub ?? ""}\n\n${USAGE}`, EXIT.USAGE);
      const all = await (await connect(env)).all<TWorkspace>("/workspaces");
      print(all, () =>
        table(all, [
          { header: "id", value: (w) => w.id },
          { header: "slug", value: (w) => w.slug },
          { header: "name", value: (w) => w.name },
          { header: "org", value: (w) => (w.personal ? "(personal)" : (w.orgName ?? "")) },
          { header: "role", value: (w) => w.role },
        ]),
      );
      return EXIT.OK;
    }
    case "secrets": {
      if (sub === "set" && args.length > 3)
        throw new CliError(
          "secrets set takes the value from stdin or a prompt, never from the command line (where ps and shell history would keep it).",
          EXIT.USAGE,
        );
      const api = await connect(env);
      const scope = await secretsScope(api, env, flags);
      switch (sub) {
        case "list": {
          const all = await listSecrets(api, scope.workspaceId);
          print(all, () =>
            table(all, [
              { header: "id", value: (s) => s.id },
              { header: "name", value: (s) => s.name },
              { header: "created", value: (s) => when(s.dateCreated) },
              { header: "updated", value: (s) => when(s.lastUpdated) },
              { header: "last used", value: (s) => when(s.lastUsed) },
            ]),
          );
          return EXIT.OK;
        }
        case "set": {
          const name = need(arg, "the secret's NAME (lockstep secrets set NAME, value on stdin)");
          const nameProblem = secretNameProblem(name);
          if (nameProblem) throw new CliError(`Secret name ${nameProblem}.`, EXIT.USAGE, { name: nameProblem });
          const value = await secretInput(`Value for ${name} (not shown): `);
          const valueProblem = secretValueProblem(value);
          if (valueProblem) throw new CliError(`Secret value ${valueProblem}.`, EXIT.USAGE, { value: valueProblem });
          const sealed = await (await sealerFor(api, scope.scope, scope.ownerId))(name, value);
          const existing = (await listSecrets(api, scope.workspaceId)).find((s) => s.name === name);
          const action = await upsertSealed(api, scope.workspaceId, name, sealed, existing);
          print({ name, action }, () => `${name}: ${action} (sealed on this machine before sending).\n`);
          return EXIT.OK;
        }
        case "delete": {
          const name = need(arg, "the secret's NAME");
          const existing = (await listSecrets(api, scope.workspaceId)).find((s) => s.name === name || s.id === name);
          if (!existing) throw new CliError(`No secret named ${name} here.`, EXIT.NOT_FOUND);
          await api.request("DELETE", `/pipeline-secrets/${existing.id}`, {
            query: { workspaceId: scope.workspaceId },
          });
          print({ name: existing.name, action: "deleted" }, () => `${existing.name}: deleted.\n`);
          return EXIT.OK;
        }
        case "import": {
          const file = need(arg, "the .env FILE to import");
          const { entries, errors } = parseDotenv(await readText(file));
          // Every line checked before anything is sent: a bad file writes nothing. Messages name the line and rule, never a value.
          const problems = [
            ...errors.map((e) => `line ${e.line}: ${e.message}`),
            ...entries.flatMap((e) => {
              const n = secretNameProblem(e.name);
              const v = secretValueProblem(e.value);
              return [
                ...(n ? [`line ${e.line}: name ${n}`] : []),
                ...(v ? [`line ${e.line}: ${e.name}'s value ${v}`] : []),
              ];
            }),
          ];
          const existing = new Map((await listSecrets(api, scope.workspaceId)).map((s) => [s.name, s]));
          if (!flags.overwrite)
            for (const e of entries)
              if (existing.has(e.name))
                problems.push(`line ${e.line}: ${e.name} already exists; add --overwrite to replace it`);
          if (entries.length === 0 && problems.length === 0)
            problems.push("nothing to import: the file has no NAME=value lines");
          if (problems.length > 0) throw new CliError(`Nothing was imported:\n  ${problems.join("\n  ")}`, EXIT.USAGE);
          const sealer = await sealerFor(api, scope.scope, scope.ownerId);
          const done: Array<{ name: string; action: string }> = [];
          for (const e of entries)
            done.push({
              name: e.name,
              action: await upsertSealed(
                api,
                scope.workspaceId,
                e.name,
                await sealer(e.name, e.value),
                existing.get(e.name),
              ),
            });
          print(done, () => done.map((d) => `${d.name}: ${d.action}\n`).join(""));
          return EXIT.OK;
        }
        default:
          throw new CliError(`Unknown: secrets ${sub ?? ""}\n\n${USAGE}`, EXIT.USAGE);
      }
    }
    case "pipelines":
    case "compute-envs": {
      if (sub !== "list") throw new CliError(`Unknown: ${command} ${sub ?? ""}\n\n${USAGE}`, EXIT.USAGE);
      const api = await connect(env);
      const ws = await resolveWorkspace(api, env, flags);
      const all = await api.all<{ id: string; name: string; repository?: string; kind?: string; updatedAt: string }>(
        `/workspaces/${ws.id}/${command}`,
      );
      print(all, () =>
        table(all, [
          { header: "id", value: (p) => p.id },
          { header: "name", value: (p) => p.name },
          { header: command === "pipelines" ? "repository" : "kind", value: (p) => p.repository ?? p.kind ?? "" },
          { header: "updated", value: (p) => when(p.updatedAt) },
        ]),
      );
      return EXIT.OK;
    }
    case "launch": {
      const ref = need(sub, "the PIPELINE (name or id)");
      const api = await connect(env);
      const ws = await resolveWorkspace(api, env, flags);
      const pipelines = await api.all<{ id: string; name: string }>(`/workspaces/${ws.id}/pipelines`);
      const pipeline = pipelines.find((p) => p.id === ref) ?? pipelines.find((p) => p.name === ref);
      if (!pipeline)
        throw new CliError(`No pipeline ${ref} in ${ws.slug} (see \`lockstep pipelines list\`).`, EXIT.NOT_FOUND);
      let computeEnvId: string | undefined;
      if (flags.ce) {
        const envs = await api.all<{ id: string; name: string }>(`/workspaces/${ws.id}/compute-envs`);
        const ce = envs.find((c) => c.id === flags.ce) ?? envs.find((c) => c.name === flags.ce);
        if (!ce)
          throw new CliError(
            `No compute environment ${flags.ce} in ${ws.slug} (see \`lockstep compute-envs list\`).`,
            EXIT.NOT_FOUND,
          );
        computeEnvId = ce.id;
      }
      const launched = await api.request<TRun>("POST", `/workspaces/${ws.id}/runs`, {
        body: {
          pipelineId: pipeline.id,
          computeEnvId,
          params: await launchParams(flags),
          secrets: secretSelection(flags.secrets),
        },
      });
      if (!flags.wait) {
        print(launched, () => `Launched run ${launched.id} (${launched.status}).\n`);
        return EXIT.OK;
      }
      out.stderr(`Launched run ${launched.id}; following it (Ctrl-C stops following, not the run).\n`);
      const stop = () => {
        out.stderr(
          `\nStopped following; the run goes on. Cancel it with: lockstep runs cancel ${launched.id} -w ${ws.id}\n`,
        );
        process.exit(EXIT.INTERRUPTED);
      };
      process.once("SIGINT", stop);
      const final = await follow(api, ws.id, launched.id, true);
      process.off("SIGINT", stop);
      print(
        final,
        () =>
          `Run ${final.id} ${final.status}${final.exitCode !== null ? ` (exit ${final.exitCode})` : ""}${final.errorMessage ? `: ${final.errorMessage}` : ""}\n`,
      );
      return RUN_EXIT[final.status] ?? EXIT.ERROR;
    }
    case "runs": {
      const api = await connect(env);
      const ws = await resolveWorkspace(api, env, flags);
      switch (sub) {
        case "list": {
          const limit = flags.limit ?? "50";
          const page = await api.request<{ items: TRun[]; nextCursor: string | null }>(
            "GET",
            `/workspaces/${ws.id}/runs`,
            { query: { limit } },
          );
          print(page, () => table(page.items, runColumns));
          return EXIT.OK;
        }
        case "get": {
          const r = await api.request<TRun>("GET", `/workspaces/${ws.id}/runs/${need(arg, "the RUN_ID")}`);
          print(r, () => table([r], runColumns) + (r.errorMessage ? `error: ${r.errorMessage}\n` : ""));
          return EXIT.OK;
        }
        case "logs": {
          const runId = need(arg, "the RUN_ID");
          if (flags.follow) {
            const final = await follow(api, ws.id, runId, true);
            return RUN_EXIT[final.status] ?? EXIT.ERROR;
          }
          const lines = await api.all<{ seq: number; line: string; at: string }>(
            `/workspaces/${ws.id}/runs/${runId}/logs`,
          );
          print(lines, () => lines.map((l) => `${l.line}\n`).join(""));
          return EXIT.OK;
        }
        case "cancel": {
          const runId = need(arg, "the RUN_ID");
          await api.request("POST", `/workspaces/${ws.id}/runs/${runId}/cancel`);
          print({ id: runId, cancelRequested: true }, () => `Cancel requested for run ${runId}.\n`);
          return EXIT.OK;
        }
        default:
          throw new CliError(`Unknown: runs ${sub ?? ""}\n\n${USAGE}`, EXIT.USAGE);
      }
    }
    default:
      throw new CliError(`Unknown command ${command}.\n\n${USAGE}`, EXIT.USAGE);
  }
}

/** Runs the CLI; resolves to its exit code. Errors go to stderr (as JSON with --json). */
export async function main(argv: string[], env: TCliEnv = cliEnv()): Promise<number> {
  try {
    return await run(argv, env);
  } catch (error) {
    const cli =
      error instanceof CliError
        ? error
        : new CliError(error instanceof Error ? error.message : "unexpected error", EXIT.ERROR);
    if (argv.includes("--json"))
      out.stderr(
        `${JSON.stringify({ error: { message: cli.message, exitCode: cli.exitCode, ...(cli.fields ? { fields: cli.fields } : {}) } })}\n`,
      );
    else out.stderr(`lockstep: ${cli.message}\n`);
    return cli.exitCode;
  }
}
