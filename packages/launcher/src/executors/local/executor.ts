import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import type { TExecutor, TExitSignal, THeadHandle, THeadState } from "../../executor";
import { readExitCode } from "../../head-script";
import { sandboxArgs, sandboxBaseEnv, SandboxError } from "../../sandbox";
import {
  buildHostHead,
  checkHostSandbox,
  collectHostOutput,
  hostError,
  prepareHostRun,
  readHeadRecord,
  removeHeadRecord,
  writeHeadRecord,
  type THostHeadSpec,
  watchHostExit,
  type THostOptions,
} from "../host/host";

/** `<pid of bwrap's outer process>:<its start time>`; "?" when the start time could not be read. */
const REF = /^(\d{1,10}):(\d{1,20}|\?)$/;

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
    return (await readFile(`/proc/${pid}/task/${pid}/children`, "utf8"))
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
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

/**
 * Heads this process spawned and that have not exited yet, by ref, with who waits for their end.
 * The child's exit event comes from the kernel the moment bwrap's outer process is reaped: no
 * poll, no file the pipeline could write. Only this process has it; a head spawned by an earlier
 * worker process is not here, and its watch has the exit code file (and the monitor's poll).
 * An entry goes when its head exits, so this holds at most the heads running now.
 */
const exitWaiters = new Map<string, Set<() => void>>();

function parseRef(ref: string): { pid: number; started: string } | null {
  const m = REF.exec(ref);
  return m ? { pid: Number(m[1]), started: m[2]! } : null;
}

/** Spawns the head: bwrap with the sandbox's arguments, the environment through execve, as the run's identity. */
async function spawnHead(host: THostOptions, runDir: string, head: THostHeadSpec): Promise<string> {
  const child = host.unsafeUnsandboxed
    ? spawn("/bin/sh", [head.script], {
        cwd: runDir,
        env: { ...host.baseEnv, ...head.env },
        detached: true,
        stdio: "ignore",
      })
    : spawn(
        host.sandbox.bwrap,
        sandboxArgs({ ...host.sandbox, readOnly: [...host.sandbox.readOnly, ...head.readOnly] }, runDir, [
          "/bin/sh",
          head.script,
        ]),
        {
          cwd: "/",
          // The whole environment, set here rather than with --setenv: bwrap's argv is readable by anyone through /proc.
          env: { ...sandboxBaseEnv(runDir), ...head.env },
          detached: true,
          stdio: ["ignore", "ignore", "pipe"],
          ...(head.owner ? { uid: head.owner.uid, gid: head.owner.gid } : {}),
        },
      );
  const spawned = await new Promise<Error | null>((resolve) => {
    child.once("spawn", () => resolve(null));
    child.once("error", (e) => resolve(e));
  });
  if (spawned) throw new SandboxError(`the sandbox could not start (${spawned.message})`);
  const pid = child.pid!;
  // Listened to from the start: the head can end before its ref is known, and then nobody waits for it.
  let ref: string | null = null;
  child.once("exit", () => {
    if (ref === null) return;
    const waiters = exitWaiters.get(ref);
    exitWaiters.delete(ref);
    for (const waiter of waiters ?? []) waiter();
  });
  if (!host.unsafeUnsandboxed) {
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
  ref = `${pid}:${started ?? "?"}`;
  if (child.exitCode === null && child.signalCode === null) exitWaiters.set(ref, new Set());
  return ref;
}

/** The exit code file watch, plus the child's exit event where this process spawned the head. */
function watchLocalExit(head: THeadHandle, wake: (signal: TExitSignal) => void): () => void {
  const stopFile = watchHostExit(head, wake);
  const waiters = exitWaiters.get(head.ref);
  if (!waiters) return stopFile;
  const waiter = () => wake("exit");
  waiters.add(waiter);
  return () => {
    waiters.delete(waiter);
    stopFile();
  };
}

/**
 * Nextflow as a sandboxed process tree on the worker's machine (see ../../sandbox.ts), detached so
 * a worker restart does not kill the run. The ref names bwrap's outer process and its start time.
 * Instance-admin only (docs/security.md §3).
 */
export function localExecutor(host: THostOptions): TExecutor {
  return {
    kind: "local",

    prepare: (run) => prepareHostRun("local", host, run),

    async start(run) {
      try {
        const recorded = await readHeadRecord(run, REF);
        if (recorded) return { ref: recorded };
        const head = await buildHostHead("local", host, run);
        const ref = await spawnHead(host, run.runDir, head);
        await writeHeadRecord(run, ref);
        return { ref };
      } catch (error) {
        throw hostError(error);
      }
    },

    async status({ ref, runDir }): Promise<THeadState> {
      const parsed = parseRef(ref);
      if (!parsed) return { state: "vanished", detail: `${JSON.stringify(ref.slice(0, 40))} names no head process` };
      const { pid, started } = parsed;
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

    async cancel({ ref }) {
      const parsed = parseRef(ref);
      if (!parsed) return;
      const { pid, started } = parsed;
      if ((await startTime(pid)) !== started) return;
      // Outer bwrap → the sandbox's pid 1 (bwrap's init, leader of the run's session). TERM the
      // session so Nextflow stops its tasks; KILL pid 1 after a grace period, which ends every
      // process of the pid namespace at once.
      // Done when the sandbox's pid 1 has ended too, not only the outer bwrap: the outer exits as
      // soon as the head script does, while pid 1 stays until Nextflow and its tasks have (the run
      // was otherwise recorded CANCELLED with them still shutting down, and nobody KILLed pid 1).
      const inner = await Promise.all(
        (await childrenOf(pid)).map(async (p) => ({ pid: p, started: await startTime(p) })),
      );
      for (const p of inner) signal(-p.pid, "SIGTERM");
      signal(-pid, "SIGTERM");
      const alive = async (p: { pid: number; started: string | null }) =>
        p.started !== null && (await startTime(p.pid)) === p.started;
      for (let i = 0; i < 100; i++) {
        await new Promise((r) => setTimeout(r, 100));
        if (!(await alive({ pid, started })) && !(await Promise.all(inner.map(alive))).includes(true)) return;
      }
      for (const p of inner) if (await alive(p)) signal(p.pid, "SIGKILL");
      signal(-pid, "SIGKILL");
    },

    async release(head) {
      await removeHeadRecord(head).catch((error: unknown) => {
        throw hostError(error);
      });
    },

    async check() {
      try {
        await checkHostSandbox("local", host);
      } catch (error) {
        throw hostError(error);
      }
      return { reached: "the run sandbox on this machine" };
    },

    collect: collectHostOutput,

    watchExit: watchLocalExit,

    async close() {},
  };
}
