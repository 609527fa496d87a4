import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import type { TExecutor, THeadState } from "../../executor";
import { readExitCode } from "../../head-script";

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

/**
 * Nextflow as a child process of the worker's machine, in its own process group (so cancel stops
 * Nextflow and every task it started), detached so a worker restart does not kill the run.
 */
export function localExecutor(opts: { baseEnv: Record<string, string> }): TExecutor {
  return {
    kind: "local",

    async start(job) {
      const child = spawn("/bin/sh", [job.script], {
        cwd: job.runDir,
        env: { ...opts.baseEnv, ...job.env },
        detached: true,
        stdio: "ignore",
      });
      const pid = child.pid;
      if (pid === undefined) throw new Error("the head process did not start");
      child.unref();
      const started = await startTime(pid);
      return { ref: `${pid}:${started ?? "?"}` };
    },

    async status(ref, runDir): Promise<THeadState> {
      const exitCode = await readExitCode(runDir);
      if (exitCode !== null) return { state: "finished", exitCode };
      const [pidText, started] = ref.split(":");
      const pid = Number(pidText);
      const now = await startTime(pid);
      if (now !== null && now === started) return { state: "running" };
      // It may have finished between the two reads.
      const late = await readExitCode(runDir);
      if (late !== null) return { state: "finished", exitCode: late };
      return { state: "vanished", detail: `head process ${pid} is gone without an exit code` };
    },

    async cancel(ref) {
      const pid = Number(ref.split(":")[0]);
      try {
        process.kill(-pid, "SIGTERM");
      } catch {
        return;
      }
      for (let i = 0; i < 100; i++) {
        await new Promise((r) => setTimeout(r, 100));
        try {
          process.kill(-pid, 0);
        } catch {
          return;
        }
      }
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        /* gone */
      }
    },
  };
}
