import { spawn, spawnSync } from "node:child_process";
import { existsSync, lstatSync, mkdtempSync, readdirSync, readlinkSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, sep } from "node:path";
import { ExecutorError } from "./executor";

/**
 * Every pipeline is hostile code (docs/security.md). A run's head and tasks execute inside a
 * bubblewrap sandbox: own user, pid, ipc, uts and cgroup namespaces (so `/proc` shows only the
 * run's own processes), a mount namespace that shows the system's programs read-only, Java, the
 * Nextflow distribution read-only, a private /tmp and the run directory — nothing of Lockstep's
 * data directory, sources, keys or home, and no other run. The network stays (pipelines download);
 * Postgres and Redis require credentials the sandbox never sees.
 *
 * Run as root, the worker also starts each sandbox as an unprivileged uid of the run's own (the
 * process is spawned with that uid; bwrap then uses an unprivileged user namespace). Run as a
 * normal user (the image's uid 10001), the sandbox is the boundary. If bwrap cannot make a sandbox
 * the run fails: there is no unsandboxed fallback.
 */
export type TSandboxConfig = {
  /** The bwrap binary. */
  bwrap: string;
  /** Paths shown read-only at the same place (the Nextflow lib directory, a Java home outside /usr, declared mounts). */
  readOnly: string[];
};

export type TSandboxIdentity = { uid: number; gid: number };

/** A sandbox that cannot be made, or would show what it must hide: no retry helps until an operator acts. */
export class SandboxError extends ExecutorError {
  constructor(message: string) {
    super(message, false);
    this.name = "SandboxError";
  }
}

/** System files a JVM, bash, git and TLS need; everything else under /etc stays hidden. */
const ETC_ENTRIES = [
  "passwd",
  "group",
  "hosts",
  "host.conf",
  "resolv.conf",
  "nsswitch.conf",
  "gai.conf",
  "protocols",
  "services",
  "localtime",
  "timezone",
  "mime.types",
  "ssl",
  "ca-certificates",
  "ca-certificates.conf",
  "alternatives",
  "ld.so.cache",
  "ld.so.conf",
  "ld.so.conf.d",
  "bash.bashrc",
  "profile",
  "inputrc",
  "gitconfig",
];

function etcEntries(): string[] {
  const java = existsSync("/etc") ? readdirSync("/etc").filter((e) => e.startsWith("java")) : [];
  return [...ETC_ENTRIES, ...java].map((e) => `/etc/${e}`);
}

/** bwrap arguments for one run: namespaces, the read-only system, the run directory, the command. */
export function sandboxArgs(config: TSandboxConfig, runDir: string, command: string[]): string[] {
  const args = [
    "--unshare-user",
    "--unshare-pid",
    "--unshare-ipc",
    "--unshare-uts",
    "--unshare-cgroup-try",
    // No user namespaces inside: a pipeline cannot build its own mount tricks.
    "--disable-userns",
    "--hostname",
    "lockstep-run",
    // A new session: no TIOCSTI into a terminal outside, and cancel signals the whole group.
    "--new-session",
    "--cap-drop",
    "ALL",
    "--ro-bind",
    "/usr",
    "/usr",
  ];
  for (const dir of ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"]) {
    let info;
    try {
      info = lstatSync(dir);
    } catch {
      continue;
    }
    if (info.isSymbolicLink()) args.push("--symlink", readlinkSync(dir), dir);
    else args.push("--ro-bind", dir, dir);
  }
  for (const entry of etcEntries()) args.push("--ro-bind-try", entry, entry);
  args.push("--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--tmpfs", "/var/tmp", "--tmpfs", "/run");
  for (const path of config.readOnly) args.push("--ro-bind", path, path);
  args.push("--bind", runDir, runDir, "--chdir", runDir, "--", ...command);
  return args;
}

/** True when `path` is `root` or below it. */
export function isWithin(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/**
 * Paths that must never be visible in a sandbox (the keys file, the data directory, the sources).
 * Refuses a configuration whose read-only mounts would show one of them.
 */
export function assertHidden(config: TSandboxConfig, secretPaths: string[]): void {
  const shown = ["/usr", ...etcEntries(), ...config.readOnly];
  for (const secret of secretPaths) {
    let real = secret;
    try {
      real = realpathSync(secret);
    } catch {
      /* not there yet: check the name as given */
    }
    for (const path of shown) {
      if (isWithin(real, path) || isWithin(secret, path)) {
        throw new SandboxError(
          `${secret} would be visible inside run sandboxes (it is under ${path}); move it out of the sandbox's read-only mounts`,
        );
      }
    }
  }
}

/** The Java home a `java` command resolves to, when it lies outside /usr (then it must be mounted). */
export function javaHomeOutsideUsr(java: string): string | null {
  const which = java.includes("/")
    ? java
    : spawnSync("sh", ["-c", `command -v ${java}`], { encoding: "utf8" }).stdout.trim();
  if (!which) return null;
  let real: string;
  try {
    real = realpathSync(which);
  } catch {
    return null;
  }
  if (isWithin(real, "/usr")) return null;
  return dirname(dirname(real));
}

/**
 * Runs `true` in a sandbox built exactly as a run's is (as `identity` when given), so a machine
 * that cannot sandbox is found at boot and each launch fails with the reason, never unsandboxed.
 */
export async function probeSandbox(config: TSandboxConfig, identity?: TSandboxIdentity): Promise<string | null> {
  const dir = mkdtempSync(join(tmpdir(), "lockstep-sandbox-probe-"));
  try {
    if (identity) spawnSync("chown", [`${identity.uid}:${identity.gid}`, dir]);
    const child = spawn(config.bwrap, sandboxArgs(config, dir, ["/bin/sh", "-c", "exit 0"]), {
      stdio: ["ignore", "ignore", "pipe"],
      env: { PATH: "/usr/bin:/bin" },
      ...(identity ? { uid: identity.uid, gid: identity.gid } : {}),
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
    const code = await new Promise<number | null>((resolve) => {
      child.once("error", (e) => {
        stderr += e.message;
        resolve(null);
      });
      child.once("exit", (c) => resolve(c));
    });
    if (code === 0) return null;
    return (stderr.trim().split("\n").pop() ?? "").slice(0, 300) || `bwrap exited with code ${code}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What to tell an operator whose machine cannot make a sandbox. */
export const SANDBOX_HELP =
  "install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap) and allow unprivileged user namespaces " +
  "(sysctl kernel.unprivileged_userns_clone=1 on Debian; on Ubuntu 24.04+ kernel.apparmor_restrict_unprivileged_userns=0 " +
  "or an AppArmor profile for bwrap; in a container, a seccomp profile that allows user namespaces) — see docs/security.md";

/** The environment a sandboxed head starts from: nothing of the worker's own, only what a run needs. */
export function sandboxBaseEnv(runDir: string): Record<string, string> {
  return {
    PATH: "/usr/local/bin:/usr/bin:/bin",
    HOME: runDir,
    TMPDIR: "/tmp",
    LANG: "C.UTF-8",
    USER: "lockstep-run",
    LOGNAME: "lockstep-run",
  };
}
