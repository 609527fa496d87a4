import { randomBytes } from "node:crypto";
import { posix } from "node:path";
import { ProviderError, type TManagedCopy, type TRunRef, type TRunSecret, type TSecretsProvider } from "../../provider";
import { renderSecretsStore } from "../nextflow-file/store-format";

const { join } = posix;

/** A file on the cluster as SFTP describes it (mode without the type bits). */
export type TRemoteStat = {
  mode: number;
  uid: number;
  size: number;
  isDirectory: boolean;
  isFile: boolean;
  isSymbolicLink: boolean;
};

/**
 * The SFTP operations the store needs (implemented by @lockstep/launcher's `remoteFiles`, over
 * the compute environment's pooled SSH connection). Paths are absolute on the cluster.
 */
export type TRemoteStoreFiles = {
  lstat(path: string): Promise<TRemoteStat | null>;
  mkdir(path: string, mode: number): Promise<"created" | "exists">;
  chmod(path: string, mode: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  readdir(path: string): Promise<Array<{ name: string; stat: TRemoteStat }> | null>;
  /** O_CREAT|O_EXCL with `mode`: never an existing file or a planted link. */
  writeExclusive(path: string, content: string, mode: number): Promise<void>;
  removeTree(path: string): Promise<void>;
};

export type TSshFileConfig = {
  /** Absolute directory on the cluster holding one directory per run (the compute environment's launch directory). */
  launchDir: string;
  /** `user@host:port`, for locations. */
  where: string;
  /** Runs `use` with the cluster's files over the compute environment's SSH connection; errors carry `retryable`. */
  withFiles<T>(use: (files: TRemoteStoreFiles) => Promise<T>): Promise<T>;
};

const RUN_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function classify(what: string, error: unknown): ProviderError {
  if (error instanceof ProviderError) return error;
  const e = (error ?? {}) as { retryable?: unknown; code?: unknown };
  // The SSH layer says whether the line or the host may come back; SFTP's permission denied (3) and no such file (2) do not pass by themselves.
  const retryable = typeof e.retryable === "boolean" ? e.retryable : e.code !== 3 && e.code !== 2;
  const detail =
    typeof e.retryable === "boolean" && error instanceof Error
      ? `: ${error.message}`
      : e.code === 3
        ? " (permission denied)"
        : e.code === 2
          ? " (no such file)"
          : "";
  return new ProviderError(`${what}${detail}`, retryable);
}

/**
 * Nextflow's local secrets store on a cluster, written over SFTP as the workspace's own cluster
 * account: `<launchDir>/<runId>/secrets/store.json`, a 0600 file created exclusively (O_EXCL,
 * under a temporary name, then renamed) in a 0700 directory inside the run's 0700 directory. No
 * other Unix account on the cluster — another workspace's included — can enter it. Cleanup
 * removes the whole secrets directory: the store, Nextflow's `.nf-<hash>.secrets` sidecars and
 * any temporary file a dropped connection left, and then checks with stat that it is gone.
 */
export function sshFileProvider(config: TSshFileConfig): TSecretsProvider & { storePath(run: TRunRef): string } {
  if (!config.launchDir.startsWith("/") || config.launchDir.split("/").includes(".."))
    throw new ProviderError("launchDir must be an absolute path without '..'", false);
  const runDir = (run: TRunRef) => {
    if (!RUN_ID.test(run.runId)) throw new ProviderError("run id must be a UUID", false);
    return join(config.launchDir, run.runId);
  };
  const secretsDir = (run: TRunRef) => join(runDir(run), "secrets");
  const storePath = (run: TRunRef) => join(secretsDir(run), "store.json");
  const location = (path: string) => `sftp://${config.where}${path}`;

  async function privateDir(files: TRemoteStoreFiles, path: string) {
    await files.mkdir(path, 0o700);
    const info = await files.lstat(path);
    // A pre-existing one (a retry, or something planted) must be a directory, not a link.
    if (!info || !info.isDirectory || info.isSymbolicLink)
      throw new ProviderError(`${path} on the cluster is not a directory`, false);
    if (info.mode !== 0o700) await files.chmod(path, 0o700);
  }

  return {
    kind: "ssh-file",
    storePath,

    async provision(run, secrets: TRunSecret[]) {
      const dir = secretsDir(run);
      const store = storePath(run);
      const content = renderSecretsStore(secrets);
      try {
        await config.withFiles(async (files) => {
          if (!(await files.lstat(config.launchDir)))
            throw new ProviderError(
              `the launch directory ${config.launchDir} does not exist on the cluster (run "Check connection")`,
              false,
            );
          await privateDir(files, runDir(run));
          await privateDir(files, dir);
          const temp = join(dir, `.store-${randomBytes(6).toString("hex")}.tmp`);
          try {
            await files.writeExclusive(temp, content, 0o600);
            await files.rename(temp, store);
          } catch (error) {
            await files.unlink(temp).catch(() => {});
            throw error;
          }
          const info = await files.lstat(store);
          if (!info || !info.isFile || info.mode !== 0o600)
            throw new ProviderError(`the secrets store of run ${run.runId} is not a 0600 file after writing`, true);
        });
      } catch (error) {
        throw classify(`could not write the secrets store for run ${run.runId} on ${config.where}`, error);
      }
      return { env: { NXF_SECRETS_FILE: store }, locations: [location(store)], bindings: [] };
    },

    async cleanup(run) {
      const dir = secretsDir(run);
      try {
        await config.withFiles(async (files) => {
          await files.removeTree(dir);
          if (await files.lstat(dir)) throw new ProviderError(`${location(dir)} still exists after deletion`, true);
        });
      } catch (error) {
        throw classify(`could not delete ${location(dir)}`, error);
      }
    },

    async listManaged(): Promise<TManagedCopy[]> {
      try {
        return await config.withFiles(async (files) => {
          const entries = (await files.readdir(config.launchDir)) ?? [];
          const found: TManagedCopy[] = [];
          for (const entry of entries) {
            if (!RUN_ID.test(entry.name) || !entry.stat.isDirectory) continue;
            const dir = join(config.launchDir, entry.name, "secrets");
            if (await files.lstat(dir)) found.push({ runId: entry.name, location: location(dir) });
          }
          return found;
        });
      } catch (error) {
        throw classify(`could not list the secrets stores in ${location(config.launchDir)}`, error);
      }
    },
  };
}
