import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { chmod, chown, lstat, mkdir, open, readdir, rename, rm, stat } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import { ProviderError, type TManagedCopy, type TRunRef, type TRunSecret, type TSecretsProvider } from "../../provider";
import { renderSecretsStore } from "./store-format";

export type TNextflowFileConfig = {
  /** Absolute directory holding one directory per run (`<runsDir>/<runId>/secrets/store.json`). */
  runsDir: string;
  /**
   * The unprivileged uid/gid the run's head runs as (root workers): the secrets directory and the
   * store are handed to it (0700 / 0600 stay), since Nextflow reads the store as that user and
   * writes its `.nf-*.secrets` sidecars beside it. Nobody else can read them.
   */
  owner?: { uid: number; gid: number };
};

const RUN_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Nextflow's local secrets store, one per run: `<runDir>/secrets/store.json`, a JSON array of
 * {name, value}, mode 0600 inside a 0700 directory (Nextflow refuses any other mode). The file is
 * written under a temporary name opened with O_EXCL and mode 0600, then renamed — never a moment
 * when it exists with wider permissions or half written. Cleanup removes the whole directory,
 * including the `.nf-<hash>.secrets` sidecars Nextflow writes next to the store and never deletes.
 */
export function nextflowFileProvider(
  config: TNextflowFileConfig,
): TSecretsProvider & { secretsDir(run: TRunRef): string } {
  if (!isAbsolute(config.runsDir)) throw new ProviderError("runsDir must be an absolute path", false);
  const secretsDir = (run: TRunRef) => {
    if (!RUN_ID.test(run.runId)) throw new ProviderError("run id must be a UUID", false);
    return join(config.runsDir, run.runId, "secrets");
  };

  return {
    kind: "nextflow-file",
    secretsDir,

    async provision(run, secrets: TRunSecret[]) {
      const dir = secretsDir(run);
      const store = join(dir, "store.json");
      const content = renderSecretsStore(secrets);
      try {
        await mkdir(join(config.runsDir, run.runId), { recursive: true, mode: 0o700 });
        await mkdir(dir, { mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== "EEXIST") throw error;
        });
        // A pre-existing directory (a retry, or a hostile one) must be ours: a directory, not a link.
        const info = await lstat(dir);
        if (!info.isDirectory() || info.isSymbolicLink()) throw new ProviderError(`${dir} is not a directory`, false);
        await chmod(dir, 0o700);
        if (config.owner) await chown(dir, config.owner.uid, config.owner.gid);
        const temp = join(dir, `.store-${randomBytes(6).toString("hex")}.tmp`);
        const handle = await open(temp, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600);
        try {
          await handle.writeFile(content, "utf8");
          await handle.sync();
        } finally {
          await handle.close();
        }
        await chmod(temp, 0o600); // umask cannot widen it, but be explicit for Nextflow's exact check
        if (config.owner) await chown(temp, config.owner.uid, config.owner.gid);
        await rename(temp, store);
      } catch (error) {
        if (error instanceof ProviderError) throw error;
        const e = error as NodeJS.ErrnoException;
        // Full disks and busy filesystems pass; permissions and missing parents do not.
        const retryable = ["ENOSPC", "EBUSY", "EAGAIN", "EIO", "EMFILE", "ENFILE"].includes(e.code ?? "");
        throw new ProviderError(
          `could not write the secrets store for run ${run.runId} (${e.code ?? "error"})`,
          retryable,
        );
      }
      // Nextflow reads the store itself: nothing for an executor to hand over.
      return { env: { NXF_SECRETS_FILE: store }, locations: [store], bindings: [] };
    },

    async cleanup(run) {
      const dir = secretsDir(run);
      try {
        await rm(dir, { recursive: true, force: true, maxRetries: 3 });
      } catch (error) {
        const e = error as NodeJS.ErrnoException;
        throw new ProviderError(
          `could not delete ${dir} (${e.code ?? "error"})`,
          e.code !== "EACCES" && e.code !== "EPERM",
        );
      }
      if (await exists(dir)) throw new ProviderError(`${dir} still exists after deletion`, true);
    },

    async listManaged(): Promise<TManagedCopy[]> {
      let entries: string[];
      try {
        entries = await readdir(config.runsDir);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
        throw error;
      }
      const found: TManagedCopy[] = [];
      for (const runId of entries) {
        if (!RUN_ID.test(runId)) continue;
        const dir = join(config.runsDir, runId, "secrets");
        if (await exists(dir)) found.push({ runId, location: dir });
      }
      return found;
    },
  };
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
