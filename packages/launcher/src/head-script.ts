import { constants } from "node:fs";
import { chmod, open, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** POSIX single-quoting: the only safe way to put arbitrary text on a shell command line. */
export function shellQuote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * Writes `<runDir>/head.sh`: runs Nextflow in the run directory, sends its console output to
 * `<runDir>/console.log`, and records the exit code atomically in `<runDir>/exitcode`.
 */
export async function writeHeadScript(runDir: string, command: string[]): Promise<string> {
  const script = join(runDir, "head.sh");
  const body = [
    "#!/bin/sh",
    "# Written by Lockstep. Runs the Nextflow head process and records its exit code.",
    `cd ${shellQuote(runDir)} || exit 90`,
    `${command.map(shellQuote).join(" ")} >> ${shellQuote(join(runDir, "console.log"))} 2>&1`,
    "code=$?",
    `echo "$code" > ${shellQuote(join(runDir, ".exitcode.tmp"))} && mv ${shellQuote(join(runDir, ".exitcode.tmp"))} ${shellQuote(join(runDir, "exitcode"))}`,
    'exit "$code"',
    "",
  ].join("\n");
  await writeFile(script, body, { mode: 0o700 });
  await chmod(script, 0o700);
  return script;
}

/**
 * The exit code head.sh recorded. The run directory is the pipeline's to write: the file is opened
 * without following links and only a small regular file counts.
 */
export async function readExitCode(runDir: string): Promise<number | null> {
  let handle;
  try {
    handle = await open(join(runDir, "exitcode"), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return null;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile() || info.size > 16) return null;
    const text = (await handle.readFile("utf8")).trim();
    return /^\d{1,3}$/.test(text) ? Number(text) : null;
  } finally {
    await handle.close();
  }
}
