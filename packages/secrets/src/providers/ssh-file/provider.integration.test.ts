import { randomUUID } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSshd, type TSshAccount, type TStartedSshd } from "@lockstep/devstack";
import { remoteFiles, SshPool, withRemoteFiles, type TSshEndpoint } from "@lockstep/launcher";
import { providerContract } from "../../contract";
import { ProviderError, type TRunSecret } from "../../provider";
import { sshFileProvider } from "./provider";

/**
 * The Nextflow store written over SFTP to a real OpenSSH server (the devstack's, on a loopback
 * port) as two different Unix accounts, one per workspace. Needs root (it creates the accounts).
 */
const isRoot = process.getuid?.() === 0;
let base: string;
let sshd: TStartedSshd;
const pool = new SshPool({ readyMs: 10_000, execMs: 30_000, attempts: 2, backoffMs: 100 }, 2_000);

beforeAll(async () => {
  if (!isRoot) return;
  base = mkdtempSync(join(tmpdir(), "lockstep-ssh-store-"));
  chmodSync(base, 0o711);
  sshd = await startSshd(join(base, "sshd"), { users: ["lockstep-ws-a", "lockstep-ws-b"] });
}, 300_000);

afterAll(async () => {
  await pool.closeAll();
  await sshd?.stop();
  if (base) rmSync(base, { recursive: true, force: true });
});

const endpointOf = (account: TSshAccount): TSshEndpoint => ({
  host: sshd.host,
  port: sshd.port,
  user: account.user,
  privateKey: account.privateKey,
  ...(account.passphrase ? { passphrase: account.passphrase } : {}),
  hostKeySha256: sshd.hostKeySha256(),
});
const launchDirOf = (account: TSshAccount) => join(account.home, "lockstep-store-test");

async function providerFor(account: TSshAccount, withFiles?: Parameters<typeof sshFileProvider>[0]["withFiles"]) {
  const endpoint = endpointOf(account);
  await withRemoteFiles(endpoint, (files) => files.mkdir(launchDirOf(account), 0o700), pool);
  return sshFileProvider({
    launchDir: launchDirOf(account),
    where: `${account.user}@${sshd.host}:${sshd.port}`,
    withFiles: withFiles ?? ((use) => withRemoteFiles(endpoint, use, pool)),
  });
}

/** Runs a command as the account over SSH: what that account's processes (its jobs, its tasks) can do. */
async function asAccount(account: TSshAccount, argv: string[]) {
  const session = await pool.acquire(endpointOf(account));
  try {
    return await session.exec(argv);
  } finally {
    pool.release(endpointOf(account));
  }
}

describe.runIf(isRoot)("ssh-file store", () => {
  providerContract("ssh-file (real sshd, SFTP as the workspace's cluster account)", async () => {
    const a = sshd.accounts[0]!;
    return {
      provider: await providerFor(a),
      async readBack(run) {
        const store = join(launchDirOf(a), run.runId, "secrets", "store.json");
        return existsSync(store) ? (JSON.parse(readFileSync(store, "utf8")) as TRunSecret[]) : [];
      },
      locationPattern: (run) =>
        new RegExp(
          `^sftp://lockstep-ws-a@127\\.0\\.0\\.1:${sshd.port}${launchDirOf(a)}/${run.runId}/secrets/store\\.json$`,
        ),
    };
  });

  describe("ssh-file specifics", () => {
    it("the store is the account's own: 0600 in 0700 directories, owned by the account's uid", async () => {
      const b = sshd.accounts[1]!;
      const provider = await providerFor(b);
      const run = { runId: randomUUID(), workspaceId: randomUUID() };
      const { env } = await provider.provision(run, [{ name: "A_B", value: "v" }]);
      const store = env.NXF_SECRETS_FILE!;
      expect(store).toBe(join(launchDirOf(b), run.runId, "secrets", "store.json"));
      expect([statSync(store).mode & 0o777, statSync(store).uid]).toEqual([0o600, b.uid]);
      expect([
        statSync(join(launchDirOf(b), run.runId, "secrets")).mode & 0o777,
        statSync(join(launchDirOf(b), run.runId)).mode & 0o777,
      ]).toEqual([0o700, 0o700]);
      await provider.cleanup(run);
    });

    it("another workspace's account cannot read the store; its own account can (positive control)", async () => {
      const [a, b] = [sshd.accounts[0]!, sshd.accounts[1]!];
      const provider = await providerFor(a);
      const run = { runId: randomUUID(), workspaceId: randomUUID() };
      const marker = `ssh-store-marker-${randomUUID()}`;
      const { env } = await provider.provision(run, [{ name: "MARKED", value: marker }]);
      const theirs = await asAccount(b, ["cat", env.NXF_SECRETS_FILE!]);
      expect(theirs.code).not.toBe(0);
      expect(theirs.stderr).toMatch(/Permission denied/);
      expect(theirs.stdout).not.toContain(marker);
      const own = await asAccount(a, ["cat", env.NXF_SECRETS_FILE!]);
      expect([own.code, own.stdout.includes(marker)]).toEqual([0, true]);
      await provider.cleanup(run);
    });

    it("cleanup removes the store with Nextflow's .nf-*.secrets sidecars, and stat confirms it is gone", async () => {
      const a = sshd.accounts[0]!;
      const provider = await providerFor(a);
      const run = { runId: randomUUID(), workspaceId: randomUUID() };
      const { env } = await provider.provision(run, [{ name: "A_B", value: "v" }]);
      const sidecar = join(launchDirOf(a), run.runId, "secrets", ".nf-0123abcd.secrets");
      // Written as the account, as Nextflow running as it would.
      expect((await asAccount(a, ["sh", "-c", `umask 077; printf 'export A_B=v\\n' > "$1"`, "sh", sidecar])).code).toBe(
        0,
      );
      expect(existsSync(sidecar)).toBe(true);
      await provider.cleanup(run);
      expect(existsSync(env.NXF_SECRETS_FILE!)).toBe(false);
      expect(existsSync(join(launchDirOf(a), run.runId, "secrets"))).toBe(false);
    });

    it(
      "a connection cut in the middle of provisioning fails retryable, and what it left is listed for the sweeper and removed",
      { timeout: 60_000 },
      async () => {
        const a = sshd.accounts[0]!;
        const endpoint = endpointOf(a);
        // The connection is cut (the TCP connection closed) while the store's bytes are on their way.
        const cutting = await providerFor(a, (use) =>
          withRemoteFiles(
            endpoint,
            (files) =>
              use({
                ...files,
                writeExclusive: async (path, content, mode) => {
                  const writing = files.writeExclusive(path, content, mode);
                  setTimeout(() => void pool.drop(endpoint), 5);
                  await writing;
                },
              }),
            pool,
          ),
        );
        const run = { runId: randomUUID(), workspaceId: randomUUID() };
        const big = "s".repeat(4 * 1024 * 1024);
        const failed = await cutting.provision(run, [{ name: "BIG", value: big }]).then(
          () => null,
          (e: unknown) => e,
        );
        expect(failed).toBeInstanceOf(ProviderError);
        expect((failed as ProviderError).retryable).toBe(true);
        expect((failed as Error).message).not.toContain("sss");
        // Something was left on the cluster (the run's secrets directory, a partial temporary file).
        expect(existsSync(join(launchDirOf(a), run.runId, "secrets"))).toBe(true);
        // The sweeper's view, on a fresh connection: the leftover is listed, cleanup removes it.
        const sweeper = await providerFor(a);
        expect((await sweeper.listManaged()).map((c) => c.runId)).toContain(run.runId);
        await sweeper.cleanup(run);
        expect((await sweeper.listManaged()).map((c) => c.runId)).not.toContain(run.runId);
        expect(existsSync(join(launchDirOf(a), run.runId, "secrets"))).toBe(false);
      },
    );

    it("a planted link at the secrets directory is refused, not followed", async () => {
      const a = sshd.accounts[0]!;
      const provider = await providerFor(a);
      const run = { runId: randomUUID(), workspaceId: randomUUID() };
      const runDir = join(launchDirOf(a), run.runId);
      expect(
        (await asAccount(a, ["sh", "-c", 'mkdir -m 700 "$1" && ln -s /tmp "$1/secrets"', "sh", runDir])).code,
      ).toBe(0);
      const refused = await provider.provision(run, [{ name: "A_B", value: "v" }]).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(ProviderError);
      expect((refused as Error).message).toMatch(/is not a directory/);
      await provider.cleanup(run);
    });

    it("remote files: an exclusive create refuses an existing name", async () => {
      const a = sshd.accounts[0]!;
      const session = await pool.acquire(endpointOf(a));
      try {
        const files = remoteFiles(await session.sftp());
        const path = join(launchDirOf(a), `excl-${randomUUID()}`);
        await files.writeExclusive(path, "first", 0o600);
        await expect(files.writeExclusive(path, "second", 0o600)).rejects.toBeTruthy();
        expect(readFileSync(path, "utf8")).toBe("first");
        await files.unlink(path);
      } finally {
        pool.release(endpointOf(a));
      }
    });
  });
});
