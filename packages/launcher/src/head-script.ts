import { join } from "node:path";
import { readRunFile, writeRunFile } from "./safe-file";

/** POSIX single-quoting: the only safe way to put arbitrary text on a shell command line. */
export function shellQuote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * Writes `<runDir>/head.sh`: runs Nextflow in the run directory, sends its console output to
 * `<runDir>/console.log`, and records the exit code atomically in `<runDir>/exitcode`.
 */
export async function writeHeadScript(runDir: string, command: string[]): Promise<string> {
  return writeRunFile(runDir, "head.sh", headScriptBody(runDir, command), 0o700);
}

/** The text of `head.sh` (the SSH executor writes it over SFTP). */
export function headScriptBody(runDir: string, command: string[]): string {
  return [
    "#!/bin/sh",
    "# Written by Lockstep. Runs the Nextflow head process and records its exit code.",
    `cd ${shellQuote(runDir)} || exit 90`,
    `${command.map(shellQuote).join(" ")} >> ${shellQuote(join(runDir, "console.log"))} 2>&1`,
    "code=$?",
    `echo "$code" > ${shellQuote(join(runDir, ".exitcode.tmp"))} && mv ${shellQuote(join(runDir, ".exitcode.tmp"))} ${shellQuote(join(runDir, "exitcode"))}`,
    'exit "$code"',
    "",
  ].join("\n");
}

/** The recorded exit code; null while there is none (or the file is anything but a small plain file). */
export async function readExitCode(runDir: string): Promise<number | null> {
  try {
    const read = await readRunFile(runDir, "exitcode", { maxBytes: 16 });
    const text = read?.bytes.toString("utf8").trim() ?? "";
    return /^\d{1,3}$/.test(text) ? Number(text) : null;
  } catch {
    return null;
  }
}
