export function say(message: string): void {
  process.stdout.write(`[lockstep] ${message}\n`);
}

export function warn(message: string): void {
  process.stderr.write(`[lockstep] warning: ${message}\n`);
}

/** An error whose message is meant for the person who ran the command: one line, no stack trace. */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StartupError";
  }
}
