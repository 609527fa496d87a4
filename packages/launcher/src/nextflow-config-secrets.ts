import { spawn } from "node:child_process";
import { chown, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nextflowJavaCommand } from "./nextflow-dist";
import { javaHomeOutsideUsr, sandboxArgs, sandboxBaseEnv, type TSandboxConfig } from "./sandbox";

/**
 * What the pinned Nextflow itself says a pipeline's configuration asks of the secrets store.
 *
 * `nextflow config` (v24.10.8, CmdConfig → ConfigBuilder.setStripSecrets(true)) parses every config
 * file the pipeline would load — includes and profiles' files too — and replaces each
 * `secrets.NAME` property it meets with the literal text `secrets.NAME` instead of looking the value
 * up (StripSecretsXformImpl). Printed flat, each config value that holds a secret shows the
 * `secrets.NAME` it came from, and a `secret` directive set in config shows its list of names. What
 * it cannot show: a secret only tested (`secrets.X ? … : …` becomes a non-empty string, so the
 * name is gone), and everything in `.nf` scripts. Lockstep's source scanner
 * (pipeline-secrets.ts) covers those; this is the check by Nextflow itself where it can tell.
 *
 * Config files are Groovy: evaluating them runs the pipeline author's code. Pass `sandbox` (the
 * worker's) so that happens inside the same bubblewrap sandbox as a run, with an empty HOME, no
 * network use (NXF_OFFLINE) and none of the caller's environment.
 */
export type TNextflowConfigSecrets =
  { ok: true; names: string[]; directives: string[] } | { ok: false; reason: string };

const NAME = /secrets\.([A-Za-z_][A-Za-z0-9_]*)/g;

/** Reads `nextflow config -flat` output: names behind stripped `secrets.NAME` values, and `secret` directive lists. */
export function secretsInFlatConfig(flat: string): { names: string[]; directives: string[] } {
  const names = new Set<string>();
  const directives = new Set<string>();
  for (const line of flat.split("\n")) {
    const eq = line.indexOf(" = ");
    if (eq < 0) continue;
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 3);
    for (const m of value.matchAll(NAME)) names.add(m[1]!);
    // process.secret = ['A', 'B'] / process.'withName:X'.secret = ['A']
    if (/^process\b.*\.secret$/.test(key))
      for (const m of value.matchAll(/'([A-Za-z_][A-Za-z0-9_]*)'/g)) directives.add(m[1]!);
  }
  return { names: [...names].sort(), directives: [...directives].sort() };
}

export async function nextflowConfigSecrets(opts: {
  libDir: string;
  pipelineDir: string;
  java?: string;
  /** The worker's sandbox: required wherever the pipeline is not trusted (always, in Lockstep). */
  sandbox?: TSandboxConfig;
  /** A root worker runs it as an unprivileged uid, as it runs heads. */
  identity?: { uid: number; gid: number };
  timeoutMs?: number;
}): Promise<TNextflowConfigSecrets> {
  const home = await mkdtemp(join(tmpdir(), "lockstep-nfconfig-"));
  try {
    if (opts.identity) await chown(home, opts.identity.uid, opts.identity.gid);
    const java = opts.java ?? "java";
    const command = [
      ...nextflowJavaCommand(opts.libDir, { java, tmpDir: "/tmp" }),
      "config",
      "-flat",
      opts.pipelineDir,
    ];
    const env = {
      ...sandboxBaseEnv(home),
      NXF_HOME: join(home, ".nextflow"),
      NXF_OFFLINE: "true",
      NXF_DISABLE_CHECK_LATEST: "true",
      NXF_ANSI_LOG: "false",
      NXF_ENABLE_SECRETS: "true",
    };
    const javaHome = javaHomeOutsideUsr(java);
    const argv = opts.sandbox
      ? [
          opts.sandbox.bwrap,
          ...sandboxArgs(
            {
              ...opts.sandbox,
              readOnly: [...opts.sandbox.readOnly, opts.libDir, opts.pipelineDir, ...(javaHome ? [javaHome] : [])],
            },
            home,
            command,
          ),
        ]
      : command;
    const { code, stdout, stderr } = await run(argv, env, home, opts.timeoutMs ?? 120_000, opts.identity);
    if (code !== 0) {
      // Nextflow's message names a file and a line of the pipeline's config at most; keep it short.
      const first = (stderr || stdout).split("\n").find((l) => l.trim() && !l.startsWith("\tat ")) ?? `exit ${code}`;
      return { ok: false, reason: `nextflow config failed: ${first.slice(0, 300)}` };
    }
    return { ok: true, ...secretsInFlatConfig(stdout) };
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

function run(
  argv: string[],
  env: Record<string, string>,
  cwd: string,
  timeoutMs: number,
  identity?: { uid: number; gid: number },
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd,
      env,
      stdio: ["ignore", "pipe", "pipe"],
      ...(identity ? { uid: identity.uid, gid: identity.gid } : {}),
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}
