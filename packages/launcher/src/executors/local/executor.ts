import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import type { TExecutor, THeadState } from "../../executor";
import { readExitCode } from "../../head-script";
import { sandboxArgs, sandboxBaseEnv, SandboxError, type TSandboxConfig } from "../../sandbox";

/** The kernel's start time of a process, to tell it apart from a later process with the same pid. */
async function startTime(pid: number): Promise<string | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // Field 22 (starttime), counted after the ")" that ends the command name.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

async function childrenOf(pid: number): Promise<number[]> {
  try {
    return (await readFile(`/proc/${pid}/task/${pid}/children`, "utf8")).trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function signal(pid: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

export type TLocalExecutorOptions = {
  /** The sandbox every head runs in. */
  sandbox: TSandboxConfig;
  /**
   * Test-only positive control for the hostile-pipeline suite: the head runs as a plain child of
   * the worker, with the worker's environment, as before the sandbox existed. The worker sets it
   * only under NODE_ENV=test with LOCKSTEP_UNSAFE_UNSANDBOXED_RUNS=positive-control; production
   * code paths never do.
   */
  unsafeUnsandboxed?: { baseEnv: Record<string, string> };
};

/**
 * Nextflow as a sandboxed process tree on the worker's machine (see ../../sandbox.ts), detached so
 * a worker restart does not kill the run. The ref names bwrap's outer process and its start time.
 */
export function localExecutor(opts: TLocalExecutorOptions): TExecutor {
  return {
    kind: "local",

    async start(job) {
      const unsafe = opts.unsafeUnsandboxed;
      const child = unsafe
        ? spawn("/bin/sh", [job.script], { cwd: job.runDir, env: { ...unsafe.baseEnv, ...job.env }, detached: true, stdio: "ignore" })
        : spawn(opts.sandbox.bwrap, sandboxArgs({ ...opts.sandbox, readOnly: [...opts.sandbox.readOnly, ...job.readOnly] }, job.runDir, ["/bin/sh", job.script]), {
            cwd: "/",
            // The whole environment, set here rather than with --setenv: bwrap's argv is readable by anyone through /proc.
            env: { ...sandboxBaseEnv(job.runDir), ...job.env },
            detached: true,
            stdio: ["ignore", "ignore", "pipe"],
            ...(job.identity ? { uid: job.identity.uid, gid: job.identity.gid } : {}),
          });
      const spawned = await new Promise<Error | null>((resolve) => {
        child.once("spawn", () => resolve(null));
        child.once("error", (e) => resolve(e));
      });
      if (spawned) throw new SandboxError(`the sandbox could not start (${spawned.message})`);
      const pid = child.pid!;
      if (!unsafe) {
        // bwrap reports a failed setup on stderr and exits at once; a running head keeps quiet.
        let stderr = "";
        child.stderr?.on("data", (d: Buffer) => (stderr += d.toString("utf8").slice(0, 1000)));
        const early = await Promise.race([
          new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code))),
          new Promise<"running">((resolve) => setTimeout(() => resolve("running"), 300)),
        ]);
        child.stderr?.destroy();
        if (early !== "running" && early !== 0 && stderr.includes("bwrap")) {
          throw new SandboxError(`the sandbox could not start: ${stderr.trim().split("\n")[0]!.slice(0, 300)}`);
        }
      }
      child.unref();
      const started = await startTime(pid);
      return { ref: `${pid}:${started ?? "?"}` };
    },

    async status(ref, runDir): Promise<THeadState> {
      const [pidText, started] = ref.split(":");
      const pid = Number(pidText);
      // Alive first: the exit code file lives where the pipeline can write, so it only counts once the head is gone.
      const now = await startTime(pid);
      if (now !== null && now === started) {
        const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
        if (!/\) Z /.test(stat)) return { state: "running" };
      }
      const exitCode = await readExitCode(runDir);
      if (exitCode !== null) return { state: "finished", exitCode };
      return { state: "vanished", detail: `head process ${pid} is gone without an exit code` };
    },

    async cancel(ref) {
      const [pidText, started] = ref.split(":");
      const pid = Number(pidText);
      if ((await startTime(pid)) !== started) return;
      // Outer bwrap → the sandbox's pid 1 (bwrap's init, leader of the run's session). TERM the
      // session so Nextflow stops its tasks; KILL pid 1 after a grace period, which ends every
      // process of the pid namespace at once.
      const inner = await childrenOf(pid);
      for (const p of inner) signal(-p, "SIGTERM");
      signal(-pid, "SIGTERM");
      for (let i = 0; i < 100; i++) {
        await new Promise((r) => setTimeout(r, 100));
        if ((await startTime(pid)) !== started) return;
      }
      for (const p of inner) signal(p, "SIGKILL");
      signal(-pid, "SIGKILL");
    },
  };
}
