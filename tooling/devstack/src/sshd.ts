import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { dirname, join } from "node:path";
import { freePort } from "./ports";
import { StartupError } from "./log";
import { ensureSystemPackages } from "./system";

/** One cluster account: a Unix user of its own, reached with its own key pair. */
export type TSshAccount = { user: string; uid: number; home: string; privateKey: string; passphrase?: string };

export type TStartedSshd = {
  host: string;
  port: number;
  /** The host key's fingerprint as OpenSSH prints it (`SHA256:…`, no padding). */
  hostKeySha256(): string;
  accounts: TSshAccount[];
  /** A new host key and sshd told to reload (SIGHUP): what a changed or spoofed login node looks like. */
  rotateHostKey(): Promise<string>;
  stop(): Promise<void>;
};

function run(command: string, args: string[]) {
  const r = spawnSync(command, args, { encoding: "utf8" });
  if (r.status !== 0)
    throw new StartupError(`${command} ${args.join(" ")} failed: ${(r.stderr || r.stdout || "").trim()}`);
  return r.stdout;
}

/** `SHA256:<base64>` of an OpenSSH public key line, as ssh-keygen -l prints it. */
export function opensshFingerprint(publicKeyLine: string): string {
  const blob = Buffer.from(publicKeyLine.trim().split(/\s+/)[1] ?? "", "base64");
  return `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
}

/**
 * A cluster account for a workspace: a real Unix user with a home of its own (0700), a login
 * shell, and no password (key login only). Created once per machine; needs root.
 */
export function ensureClusterAccount(user: string): { uid: number; home: string } {
  if (spawnSync("id", ["-u", user], { stdio: "ignore" }).status !== 0) {
    run("useradd", ["--create-home", "--shell", "/bin/sh", user]);
  }
  // `*`: no password can match, and sshd (without PAM) does not take the account for a locked one as it would `!`.
  run("usermod", ["-p", "*", user]);
  const uid = Number(run("id", ["-u", user]).trim());
  const home = run("getent", ["passwd", user]).split(":")[5]!;
  chmodSync(home, 0o700);
  return { uid, home };
}

async function waitForPort(port: number, child: ChildProcess, log: string) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new StartupError(`sshd exited (${child.exitCode}): ${readFileSync(log, "utf8").trim().slice(-500)}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline)
      throw new StartupError(
        `sshd did not listen on 127.0.0.1:${port}: ${readFileSync(log, "utf8").trim().slice(-500)}`,
      );
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * A real OpenSSH server (Debian openssh-server) on a free loopback port with its own host key,
 * config, pid file and log under `dir`, standing in for a cluster's login node: it lets in only
 * the given accounts, by key, and gives every session `env` (SetEnv), as a cluster's own
 * profile would (tests: SLURM_CONF of the devstack's Slurm). Needs root (accounts, privilege
 * separation). The accounts' keys are written under `dir` (0600); the second account's key has a
 * passphrase, so both kinds are exercised.
 */
export async function startSshd(
  dir: string,
  opts: { users: string[]; env?: Record<string, string> },
): Promise<TStartedSshd> {
  if (process.getuid?.() !== 0) throw new StartupError("a private sshd with cluster accounts needs root");
  const { missing } = ensureSystemPackages([
    {
      binary: "sshd",
      debian: "openssh-server",
      why: "a login node for the SSH executor tests",
      elsewhere: "install openssh-server",
    },
  ]);
  if (missing.length > 0) throw new StartupError("sshd is not installed (openssh-server)");
  const sshd = spawnSync("sh", ["-c", "command -v sshd"], { encoding: "utf8" }).stdout.trim() || "/usr/sbin/sshd";
  mkdirSync(dir, { recursive: true, mode: 0o711 });
  // sshd reads an account's authorized keys as that account: the way to them must be open to it (not readable).
  chmodSync(dir, 0o711);
  for (let up = dirname(dir); up !== "/"; up = dirname(up)) {
    if ((statSync(up).mode & 0o001) === 0)
      throw new StartupError(
        `${up} must be enterable by others (chmod o+x) for sshd to read the accounts' keys below it`,
      );
  }
  mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
  const hostKey = join(dir, "ssh_host_ed25519_key");
  const newHostKey = () => {
    rmSync(hostKey, { force: true });
    rmSync(`${hostKey}.pub`, { force: true });
    run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "lockstep-test-login-node", "-f", hostKey]);
    return opensshFingerprint(readFileSync(`${hostKey}.pub`, "utf8"));
  };
  let fingerprint = newHostKey();

  const authorized = join(dir, "authorized");
  mkdirSync(authorized, { mode: 0o755 });
  const accounts: TSshAccount[] = opts.users.map((user, i) => {
    const { uid, home } = ensureClusterAccount(user);
    const keyFile = join(dir, `id_${user}`);
    const passphrase = i % 2 === 1 ? `pass-${user}-${process.pid}` : undefined;
    run("ssh-keygen", ["-q", "-t", "ed25519", "-N", passphrase ?? "", "-C", user, "-f", keyFile]);
    writeFileSync(join(authorized, user), readFileSync(`${keyFile}.pub`, "utf8"), { mode: 0o644 });
    return { user, uid, home, privateKey: readFileSync(keyFile, "utf8"), ...(passphrase ? { passphrase } : {}) };
  });

  const port = await freePort();
  const config = join(dir, "sshd_config");
  writeFileSync(
    config,
    [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, "sshd.pid")}`,
      // The keys live in this test directory (under /tmp), which StrictModes' walk up to / would refuse.
      `AuthorizedKeysFile ${authorized}/%u`,
      "StrictModes no",
      "PubkeyAuthentication yes",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "UsePAM no",
      "PermitRootLogin no",
      `AllowUsers ${opts.users.join(" ")}`,
      "Subsystem sftp internal-sftp",
      "MaxSessions 20",
      "MaxStartups 50",
      ...(opts.env && Object.keys(opts.env).length > 0
        ? [
            `SetEnv ${Object.entries(opts.env)
              .map(([k, v]) => `${k}=${v}`)
              .join(" ")}`,
          ]
        : []),
      "LogLevel INFO",
      "",
    ].join("\n"),
  );
  run(sshd, ["-t", "-f", config]);
  const log = join(dir, "sshd.log");
  const out = openSync(log, "a");
  const child = spawn(sshd, ["-D", "-e", "-f", config], { stdio: ["ignore", out, out] });
  await waitForPort(port, child, log);

  return {
    host: "127.0.0.1",
    port,
    hostKeySha256: () => fingerprint,
    accounts,
    async rotateHostKey() {
      fingerprint = newHostKey();
      child.kill("SIGHUP");
      // sshd re-executes itself on SIGHUP; wait until it listens again.
      await new Promise((r) => setTimeout(r, 500));
      await waitForPort(port, child, log);
      return fingerprint;
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await new Promise((r) => setTimeout(r, 300));
      }
    },
  };
}
