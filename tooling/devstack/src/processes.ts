import { spawn, type ChildProcess } from "node:child_process";
import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { say } from "./log";

export type TChild = { name: string; process: ChildProcess; exited: Promise<number | null> };

/**
 * Starts a child in its own process group, so stopping it also stops what it spawned (Next's
 * server workers), and a Ctrl-C reaches the orchestrator first, which then stops things in order.
 */
export function startChild(
  name: string,
  command: string,
  args: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; logFile?: string },
): TChild {
  const child = spawn(command, args, {
    cwd: opts.cwd,
    env: opts.env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const prefix = (line: string) => `${name.padEnd(6)} | ${line}\n`;
  // Each child's output also goes to <data dir>/logs/<name>.log, for operators and leak tests.
  const emit = (line: string, out: NodeJS.WriteStream) => {
    out.write(prefix(line));
    if (opts.logFile) appendFileSync(opts.logFile, `${line}\n`);
  };
  const pipe = (stream: NodeJS.ReadableStream | null, out: NodeJS.WriteStream) => {
    let buffer = "";
    stream?.setEncoding("utf8");
    stream?.on("data", (chunk: string) => {
      buffer += chunk;
      const lines = buffer.split("\n");
      buffer = lines.pop() ?? "";
      for (const line of lines) emit(line, out);
    });
    stream?.on("end", () => buffer && emit(buffer, out));
  };
  pipe(child.stdout, process.stdout);
  pipe(child.stderr, process.stderr);
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code, signal) => resolve(code ?? (signal ? 128 : null))),
  );
  return { name, process: child, exited };
}

export async function stopChild(child: TChild, timeoutMs = 15_000): Promise<void> {
  const pid = child.process.pid;
  if (pid === undefined || child.process.exitCode !== null || child.process.signalCode !== null) return;
  try {
    process.kill(-pid, "SIGTERM");
  } catch {
    return;
  }
  const done = await Promise.race([
    child.exited.then(() => true),
    new Promise((r) => setTimeout(() => r(false), timeoutMs)),
  ]);
  if (!done) {
    say(`${child.name} did not stop within ${timeoutMs / 1000} s; killing it`);
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      /* already gone */
    }
  }
}

/** Records child pids so a start after a SIGKILLed one can stop the orphans it left. */
export function recordPids(file: string, pids: Record<string, number | undefined>): void {
  writeFileSync(file, JSON.stringify(pids));
}

export async function stopOrphans(file: string): Promise<void> {
  if (!existsSync(file)) return;
  const pids = JSON.parse(readFileSync(file, "utf8")) as Record<string, number>;
  for (const [name, pid] of Object.entries(pids)) {
    if (!pid || pid === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      if (!cmdline.includes("node")) continue;
      say(`stopping ${name} (pid ${pid}) left running by an earlier start…`);
      process.kill(-pid, "SIGTERM");
    } catch {
      /* not running */
    }
  }
  rmSync(file, { force: true });
  await new Promise((r) => setTimeout(r, 500));
}
