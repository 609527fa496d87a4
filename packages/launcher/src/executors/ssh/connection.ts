import { createHash } from "node:crypto";
import { Client, type ClientChannel, type SFTPWrapper, type Stats } from "ssh2";
import { ExecutorError } from "../../executor";
import { shellQuote } from "../../head-script";

/**
 * SSH to a cluster's login node as the workspace's own cluster account (docs/security.md "The
 * SSH boundary"). Everything the worker does there goes through this: commands run by exec with
 * every argv element single-quoted (never text spliced into a shell line), files through SFTP.
 * The host key must match the fingerprint the workspace confirmed; a connection is never made
 * to a host whose key was not confirmed, except by `probeHostKey`, which authenticates nothing.
 */
export type TSshEndpoint = {
  host: string;
  port: number;
  user: string;
  privateKey: string;
  passphrase?: string;
  /** The confirmed host key (`SHA256:…` as OpenSSH prints it); null: not confirmed yet, every connection is refused. */
  hostKeySha256: string | null;
};

export type TSshTimeouts = {
  /** TCP connect + SSH handshake + authentication. */
  readyMs: number;
  /** One command. */
  execMs: number;
  /** Attempts for a host that does not answer (connection refused, timed out), with backoff between. */
  attempts: number;
  backoffMs: number;
};

export const DEFAULT_SSH_TIMEOUTS: TSshTimeouts = { readyMs: 15_000, execMs: 60_000, attempts: 3, backoffMs: 1_000 };

export type TExecResult = { stdout: string; stderr: string; code: number };

/** `SHA256:<base64 without padding>` of a raw host key: what `ssh-keygen -l` and `ssh` print. */
export function hostKeyFingerprint(key: Buffer): string {
  return `SHA256:${createHash("sha256").update(key).digest("base64").replace(/=+$/, "")}`;
}

export const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;

/** The SFTP status codes ssh2 puts on its errors (draft-ietf-secsh-filexfer-02 §7). */
export const SFTP_NO_SUCH_FILE = 2;
export const SFTP_PERMISSION_DENIED = 3;

export function sftpCode(error: unknown): number | null {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "number" ? code : null;
}

/** Why a connection failed, as an ExecutorError: away or slow is retryable; refused keys and changed host keys are not. */
export function connectionError(endpoint: Pick<TSshEndpoint, "host" | "port" | "user">, error: unknown): ExecutorError {
  if (error instanceof ExecutorError) return error;
  const e = (error ?? {}) as { code?: unknown; level?: unknown; message?: unknown };
  const where = `${endpoint.user}@${endpoint.host}:${endpoint.port}`;
  const code = typeof e.code === "string" ? e.code : "";
  const message = typeof e.message === "string" ? e.message : "";
  if (["ECONNREFUSED", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ECONNRESET", "EPIPE", "EAI_AGAIN"].includes(code)) {
    return new ExecutorError(`the cluster's login node ${where} is unreachable (${code}); will try again`, true);
  }
  if (code === "ENOTFOUND")
    return new ExecutorError(`the cluster's login node ${endpoint.host} does not resolve (ENOTFOUND)`, true);
  if (e.level === "client-timeout" || /timed out/i.test(message))
    return new ExecutorError(`the cluster's login node ${where} did not answer in time; will try again`, true);
  if (e.level === "client-authentication")
    return new ExecutorError(
      `the cluster's login node ${where} refused the key of the compute environment's SSH credentials for ${endpoint.user}`,
      false,
    );
  if (/private ?key|passphrase|parse/i.test(message))
    return new ExecutorError(
      "the SSH credentials' private key cannot be read (wrong passphrase, or not an OpenSSH/PEM private key)",
      false,
    );
  if (e.level === "client-socket")
    return new ExecutorError(`the connection to ${where} failed (${code || "socket error"}); will try again`, true);
  return new ExecutorError(`the connection to ${where} failed (${code || (e.level as string) || "error"})`, true);
}

export class HostKeyMismatchError extends ExecutorError {
  constructor(
    readonly where: string,
    readonly expected: string,
    readonly presented: string,
  ) {
    super(
      `the host key of ${where} changed: it presented ${presented}, but ${expected} was confirmed. Nothing was sent. If the cluster's administrators replaced the key, check the connection again and confirm the new fingerprint; otherwise someone may be impersonating the login node.`,
      false,
    );
    this.name = "HostKeyMismatchError";
  }
}

/** An open connection: commands by exec, files by SFTP. */
export type TSshSession = {
  readonly endpoint: Pick<TSshEndpoint, "host" | "port" | "user">;
  exec(argv: readonly string[], opts?: { timeoutMs?: number; stdin?: string }): Promise<TExecResult>;
  sftp(): Promise<SFTPWrapper>;
  /** The account's home directory (SFTP's starting directory). */
  home(): Promise<string>;
  closed(): boolean;
  end(): void;
};

function promisified<T>(fn: (cb: (err: Error | undefined | null, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))));
}

/** Connects once (no retry), verifying the pinned host key before anything is sent. */
function connectOnce(endpoint: TSshEndpoint, timeouts: TSshTimeouts): Promise<TSshSession> {
  const where = `${endpoint.host}:${endpoint.port}`;
  return new Promise((resolve, reject) => {
    const client = new Client();
    let mismatch: HostKeyMismatchError | null = null;
    let settled = false;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      client.end();
      reject(mismatch ?? connectionError(endpoint, error));
    };
    client.once("ready", () => {
      if (settled) return;
      settled = true;
      resolve(sessionOf(client, endpoint, timeouts));
    });
    client.on("error", fail);
    client.once("close", () => fail(Object.assign(new Error("closed"), { code: "ECONNRESET" })));
    try {
      client.connect({
        host: endpoint.host,
        port: endpoint.port,
        username: endpoint.user,
        privateKey: endpoint.privateKey,
        ...(endpoint.passphrase ? { passphrase: endpoint.passphrase } : {}),
        readyTimeout: timeouts.readyMs,
        keepaliveInterval: 15_000,
        keepaliveCountMax: 3,
        // No agent, no keyboard-interactive, no password: the workspace's key only.
        tryKeyboard: false,
        hostVerifier: (key: Buffer) => {
          const presented = hostKeyFingerprint(key);
          if (endpoint.hostKeySha256 === null) {
            mismatch = new ExecutorError(
              `the host key of ${where} (${presented}) has not been confirmed: run "Check connection" on the compute environment and confirm the fingerprint`,
              false,
            ) as HostKeyMismatchError;
            return false;
          }
          if (presented !== endpoint.hostKeySha256) {
            mismatch = new HostKeyMismatchError(where, endpoint.hostKeySha256, presented);
            return false;
          }
          return true;
        },
      });
    } catch (error) {
      // ssh2 throws synchronously on a key it cannot parse (or decrypt with the passphrase).
      fail(error);
    }
  });
}

function sessionOf(client: Client, endpoint: TSshEndpoint, timeouts: TSshTimeouts): TSshSession {
  let closed = false;
  client.on("close", () => {
    closed = true;
  });
  client.on("error", () => {
    closed = true;
  });
  let sftp: Promise<SFTPWrapper> | null = null;
  let home: Promise<string> | null = null;
  const session: TSshSession = {
    endpoint: { host: endpoint.host, port: endpoint.port, user: endpoint.user },
    closed: () => closed,
    end: () => {
      closed = true;
      client.end();
    },
    exec(argv, opts = {}) {
      if (argv.length === 0 || argv.some((a) => a.includes("\0")))
        return Promise.reject(new ExecutorError("refusing an empty command or one with a NUL byte", false));
      const line = argv.map(shellQuote).join(" ");
      const timeoutMs = opts.timeoutMs ?? timeouts.execMs;
      return new Promise((resolve, reject) => {
        client.exec(line, (err: Error | undefined, channel: ClientChannel) => {
          if (err) return reject(connectionError(endpoint, err));
          const out: Buffer[] = [];
          const errOut: Buffer[] = [];
          let code: number | null = null;
          const timer = setTimeout(() => {
            channel.close();
            reject(
              new ExecutorError(
                `${argv[0]} on ${endpoint.host} did not answer in ${Math.round(timeoutMs / 1000)} s; will try again`,
                true,
              ),
            );
          }, timeoutMs);
          channel.on("data", (d: Buffer) => out.push(d));
          channel.stderr.on("data", (d: Buffer) => errOut.push(d));
          channel.on("exit", (c: number | null) => {
            code = c;
          });
          channel.on("close", () => {
            clearTimeout(timer);
            // No exit status: the connection went away under the command.
            if (code === null && closed)
              return reject(connectionError(endpoint, Object.assign(new Error("closed"), { code: "ECONNRESET" })));
            resolve({
              stdout: Buffer.concat(out).toString("utf8"),
              stderr: Buffer.concat(errOut).toString("utf8"),
              code: code ?? 255,
            });
          });
          if (opts.stdin !== undefined) channel.end(opts.stdin);
          else channel.end();
        });
      });
    },
    sftp() {
      sftp ??= promisified<SFTPWrapper>((cb) => client.sftp(cb)).catch((error: unknown) => {
        sftp = null;
        throw connectionError(endpoint, error);
      });
      return sftp;
    },
    home() {
      home ??= session.sftp().then((s) => promisified<string>((cb) => s.realpath(".", cb)));
      return home;
    },
  };
  return session;
}

/** Connects, trying a host that does not answer again with backoff (each attempt bounded by `readyMs`). */
export async function connectSsh(
  endpoint: TSshEndpoint,
  timeouts: TSshTimeouts = DEFAULT_SSH_TIMEOUTS,
): Promise<TSshSession> {
  let last: ExecutorError | null = null;
  for (let attempt = 0; attempt < Math.max(1, timeouts.attempts); attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, timeouts.backoffMs * 2 ** (attempt - 1)));
    try {
      return await connectOnce(endpoint, timeouts);
    } catch (error) {
      last = connectionError(endpoint, error);
      if (!last.retryable) throw last;
    }
  }
  throw last!;
}

/**
 * "Check connection" before a host key is confirmed: the key the host presents, and nothing
 * else (the connection is dropped at the key exchange, before any credential is offered).
 */
export function probeHostKey(host: string, port: number, readyMs = DEFAULT_SSH_TIMEOUTS.readyMs): Promise<string> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    let seen: string | null = null;
    const done = () => {
      client.end();
      if (seen) resolve(seen);
      else
        reject(
          connectionError(
            { host, port, user: "(none)" },
            lastError ?? Object.assign(new Error("closed"), { code: "ECONNRESET" }),
          ),
        );
    };
    let lastError: unknown = null;
    client.on("error", (error) => {
      lastError = error;
      done();
    });
    client.once("close", done);
    client.connect({
      host,
      port,
      username: "lockstep-host-key-probe",
      readyTimeout: readyMs,
      hostVerifier: (key: Buffer) => {
        seen = hostKeyFingerprint(key);
        return false;
      },
    });
  });
}

type TPooled = { key: string; session: Promise<TSshSession>; users: number; idle: NodeJS.Timeout | null };

/**
 * Connections pooled per endpoint (one compute environment's host, account, key and pin): every
 * executor and secrets store of the environment shares one SSH connection, each command on its
 * own channel. A connection nobody holds is closed after `idleMs`; a dropped one is replaced on
 * the next use.
 */
export class SshPool {
  private readonly pooled = new Map<string, TPooled>();
  constructor(
    private readonly timeouts: TSshTimeouts = DEFAULT_SSH_TIMEOUTS,
    private readonly idleMs = 30_000,
  ) {}

  static keyOf(endpoint: TSshEndpoint): string {
    return createHash("sha256")
      .update(
        JSON.stringify([
          endpoint.host,
          endpoint.port,
          endpoint.user,
          endpoint.privateKey,
          endpoint.passphrase ?? "",
          endpoint.hostKeySha256,
        ]),
      )
      .digest("hex");
  }

  /** A session on the endpoint's pooled connection; give it back with `release`. */
  async acquire(endpoint: TSshEndpoint): Promise<TSshSession> {
    const key = SshPool.keyOf(endpoint);
    let entry = this.pooled.get(key);
    if (entry) {
      const live = await entry.session.then(
        (s) => !s.closed(),
        () => false,
      );
      if (!live && this.pooled.get(key) === entry) {
        this.pooled.delete(key);
        entry = undefined;
      }
    }
    entry = this.pooled.get(key);
    if (!entry) {
      entry = { key, session: connectSsh(endpoint, this.timeouts), users: 0, idle: null };
      this.pooled.set(key, entry);
      const mine = entry;
      mine.session.catch(() => {
        if (this.pooled.get(key) === mine) this.pooled.delete(key);
      });
    }
    if (entry.idle) clearTimeout(entry.idle);
    entry.idle = null;
    entry.users++;
    try {
      return await entry.session;
    } catch (error) {
      entry.users--;
      throw error;
    }
  }

  release(endpoint: TSshEndpoint): void {
    const entry = this.pooled.get(SshPool.keyOf(endpoint));
    if (!entry) return;
    entry.users = Math.max(0, entry.users - 1);
    if (entry.users === 0 && !entry.idle) {
      entry.idle = setTimeout(() => {
        if (entry.users > 0 || this.pooled.get(entry.key) !== entry) return;
        this.pooled.delete(entry.key);
        void entry.session.then((s) => s.end()).catch(() => {});
      }, this.idleMs);
      entry.idle.unref();
    }
  }

  /** Drops the endpoint's connection (a test cutting the line; a connection seen broken). */
  async drop(endpoint: TSshEndpoint): Promise<void> {
    const key = SshPool.keyOf(endpoint);
    const entry = this.pooled.get(key);
    if (!entry) return;
    this.pooled.delete(key);
    if (entry.idle) clearTimeout(entry.idle);
    await entry.session.then((s) => s.end()).catch(() => {});
  }

  async closeAll(): Promise<void> {
    const entries = [...this.pooled.values()];
    this.pooled.clear();
    await Promise.all(
      entries.map((e) => (e.idle && clearTimeout(e.idle), e.session.then((s) => s.end()).catch(() => {}))),
    );
  }
}

/** The process's pool (the worker's): executors and secrets stores of one compute environment share connections. */
export const sshPool = new SshPool();

// ── SFTP, promisified and classified ───────────────────────────────────────────────────────────

export type TRemoteStat = {
  mode: number;
  uid: number;
  size: number;
  isDirectory: boolean;
  isFile: boolean;
  isSymbolicLink: boolean;
};

function statOf(s: Stats): TRemoteStat {
  return {
    mode: s.mode & 0o7777,
    uid: s.uid,
    size: s.size,
    isDirectory: s.isDirectory(),
    isFile: s.isFile(),
    isSymbolicLink: s.isSymbolicLink(),
  };
}

/**
 * The remote file operations Lockstep needs, over one SFTP channel. Every path is absolute;
 * nothing follows a link it did not check (lstat before use; files created exclusively).
 */
const sftpClosed = new WeakMap<SFTPWrapper, { closed: boolean }>();

/** Whether a (pooled, shared) SFTP channel has closed: one listener per channel, however many users it has. */
function closedState(sftp: SFTPWrapper): { closed: boolean } {
  let state = sftpClosed.get(sftp);
  if (!state) {
    const fresh = { closed: false };
    state = fresh;
    sftpClosed.set(sftp, fresh);
    // Each request in flight listens for the close too (removed when it is answered).
    sftp.setMaxListeners(200);
    sftp.once("close", () => {
      fresh.closed = true;
    });
  }
  return state;
}

export function remoteFiles(sftp: SFTPWrapper, opTimeoutMs = 60_000) {
  // A request on a channel that closed is never answered: fail it at once, and bound every other.
  const state = closedState(sftp);
  const call = <T>(fn: (cb: (err: Error | undefined | null, value: T) => void) => void) => {
    if (state.closed)
      return Promise.reject(new ExecutorError("the SFTP channel to the cluster closed; will try again", true));
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new ExecutorError(
              `an SFTP request to the cluster got no answer in ${Math.round(opTimeoutMs / 1000)} s; will try again`,
              true,
            ),
          ),
        opTimeoutMs,
      );
      const onClose = () => {
        clearTimeout(timer);
        reject(new ExecutorError("the SFTP channel to the cluster closed; will try again", true));
      };
      sftp.once("close", onClose);
      try {
        fn((err, value) => {
          clearTimeout(timer);
          sftp.off("close", onClose);
          if (err) reject(err);
          else resolve(value);
        });
      } catch (error) {
        clearTimeout(timer);
        sftp.off("close", onClose);
        reject(error);
      }
    });
  };
  const files = {
    lstat: async (path: string): Promise<TRemoteStat | null> => {
      try {
        return statOf(await call<Stats>((cb) => sftp.lstat(path, cb)));
      } catch (error) {
        if (sftpCode(error) === SFTP_NO_SUCH_FILE) return null;
        throw error;
      }
    },
    mkdir: async (path: string, mode: number): Promise<"created" | "exists"> => {
      try {
        await call<void>((cb) => sftp.mkdir(path, { mode }, (err) => cb(err, undefined)));
        return "created";
      } catch (error) {
        const info = await files.lstat(path).catch(() => null);
        if (info) return "exists";
        throw error;
      }
    },
    chmod: (path: string, mode: number) => call<void>((cb) => sftp.chmod(path, mode, (err) => cb(err, undefined))),
    rename: (from: string, to: string) =>
      call<void>((cb) => sftp.ext_openssh_rename(from, to, (err) => cb(err, undefined))).catch(() =>
        call<void>((cb) => sftp.rename(from, to, (err) => cb(err, undefined))),
      ),
    unlink: async (path: string) => {
      try {
        await call<void>((cb) => sftp.unlink(path, (err) => cb(err, undefined)));
      } catch (error) {
        if (sftpCode(error) !== SFTP_NO_SUCH_FILE) throw error;
      }
    },
    rmdir: async (path: string) => {
      try {
        await call<void>((cb) => sftp.rmdir(path, (err) => cb(err, undefined)));
      } catch (error) {
        if (sftpCode(error) !== SFTP_NO_SUCH_FILE) throw error;
      }
    },
    readdir: async (path: string): Promise<Array<{ name: string; stat: TRemoteStat }> | null> => {
      try {
        const list = await call<Array<{ filename: string; attrs: Stats }>>((cb) => sftp.readdir(path, cb));
        return list.map((e) => ({ name: e.filename, stat: statOf(e.attrs) }));
      } catch (error) {
        if (sftpCode(error) === SFTP_NO_SUCH_FILE) return null;
        throw error;
      }
    },
    /** Creates `path` exclusively (O_CREAT|O_EXCL: never an existing file or a planted link) with `mode`, writes it whole, closes it. */
    writeExclusive: async (path: string, content: string | Buffer, mode: number) => {
      const handle = await call<Buffer>((cb) => sftp.open(path, "wx", { mode }, cb));
      try {
        const data = Buffer.isBuffer(content) ? content : Buffer.from(content, "utf8");
        let at = 0;
        while (at < data.length) {
          const n = Math.min(32 * 1024, data.length - at);
          await call<void>((cb) => sftp.write(handle, data, at, n, at, (err) => cb(err, undefined)));
          at += n;
        }
        await call<void>((cb) => sftp.fchmod(handle, mode, (err) => cb(err, undefined)));
      } finally {
        await call<void>((cb) => sftp.close(handle, (err) => cb(err, undefined))).catch(() => {});
      }
    },
    /** Reads up to `maxBytes` of a plain file from `offset` (null when there is none, or it is a link or not a file). */
    read: async (
      path: string,
      opts: { offset?: number; maxBytes: number },
    ): Promise<{ bytes: Buffer; size: number } | null> => {
      const info = await files.lstat(path);
      if (!info || !info.isFile) return null;
      const handle = await call<Buffer>((cb) => sftp.open(path, "r", cb));
      try {
        const offset = opts.offset ?? 0;
        const want = Math.max(0, Math.min(opts.maxBytes, info.size - offset));
        const buffer = Buffer.alloc(want);
        let got = 0;
        while (got < want) {
          const n = await call<number>((cb) =>
            sftp.read(handle, buffer, got, Math.min(32 * 1024, want - got), offset + got, (err, bytesRead) =>
              cb(err, bytesRead),
            ),
          );
          if (n === 0) break;
          got += n;
        }
        return { bytes: buffer.subarray(0, got), size: info.size };
      } finally {
        await call<void>((cb) => sftp.close(handle, (err) => cb(err, undefined))).catch(() => {});
      }
    },
    /** A file handle readLogTail can read from (positioned reads and size). */
    openForRead: async (path: string) => {
      const info = await files.lstat(path);
      if (!info || !info.isFile) return null;
      const handle = await call<Buffer>((cb) => sftp.open(path, "r", cb));
      return {
        stat: async () => ({ size: (await call<Stats>((cb) => sftp.fstat(handle, cb))).size }),
        read: async (buffer: Buffer, offset: number, length: number, position: number) => ({
          bytesRead:
            length === 0
              ? 0
              : await call<number>((cb) => sftp.read(handle, buffer, offset, length, position, (err, n) => cb(err, n))),
        }),
        close: () => call<void>((cb) => sftp.close(handle, (err) => cb(err, undefined))).catch(() => {}),
      };
    },
    fastPut: (local: string, remote: string, mode: number) =>
      call<void>((cb) => sftp.fastPut(local, remote, { mode }, (err) => cb(err, undefined))),
    /** Removes a directory tree without following links (links are unlinked, never entered). */
    removeTree: async (path: string): Promise<void> => {
      const info = await files.lstat(path);
      if (!info) return;
      if (!info.isDirectory) return files.unlink(path);
      for (const entry of (await files.readdir(path)) ?? []) {
        if (entry.name === "." || entry.name === "..") continue;
        await files.removeTree(`${path}/${entry.name}`);
      }
      await files.rmdir(path);
    },
  };
  return files;
}

export type TRemoteFiles = ReturnType<typeof remoteFiles>;

/**
 * Runs `use` with the cluster's files over the endpoint's pooled connection (the SSH secrets
 * store's transport). A connection found broken is dropped from the pool so the next use dials again.
 */
export async function withRemoteFiles<T>(
  endpoint: TSshEndpoint,
  use: (files: TRemoteFiles) => Promise<T>,
  pool: SshPool = sshPool,
): Promise<T> {
  const session = await pool.acquire(endpoint);
  try {
    return await use(remoteFiles(await session.sftp()));
  } catch (error) {
    if (session.closed()) await pool.drop(endpoint);
    throw error;
  } finally {
    pool.release(endpoint);
  }
}
