import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { connectSsh, probeHostKey } from "@lockstep/launcher";
import { startSshd } from "./sshd";

/** The devstack's login node: its own host key, key-only logins for its accounts, the session environment it was given. Needs root. */
const isRoot = process.getuid?.() === 0;
const dir = mkdtempSync(join(tmpdir(), "lockstep-devstack-sshd-"));
chmodSync(dir, 0o711);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.runIf(isRoot)("startSshd", () => {
  it(
    "serves its own host key, lets its accounts in by key with the given session environment, and rotates the key on demand",
    { timeout: 120_000 },
    async () => {
      const sshd = await startSshd(join(dir, "sshd"), {
        users: ["lockstep-ws-a"],
        env: { LOCKSTEP_DEVSTACK_MARK: "from-sshd" },
      });
      try {
        // The fingerprint it reports is the one ssh-keygen prints for its key, and the one the server presents.
        const listed = spawnSync(
          "ssh-keygen",
          ["-l", "-E", "sha256", "-f", join(dir, "sshd", "ssh_host_ed25519_key.pub")],
          { encoding: "utf8" },
        ).stdout.split(/\s+/)[1];
        expect(sshd.hostKeySha256()).toBe(listed);
        expect(await probeHostKey(sshd.host, sshd.port)).toBe(listed);
        const account = sshd.accounts[0]!;
        const session = await connectSsh({
          host: sshd.host,
          port: sshd.port,
          user: account.user,
          privateKey: account.privateKey,
          hostKeySha256: listed!,
        });
        const r = await session.exec(["sh", "-c", 'echo "$(id -un) $LOCKSTEP_DEVSTACK_MARK"']);
        session.end();
        expect(r).toMatchObject({ code: 0, stdout: "lockstep-ws-a from-sshd\n" });
        const rotated = await sshd.rotateHostKey();
        expect(rotated).not.toBe(listed);
        expect(await probeHostKey(sshd.host, sshd.port)).toBe(rotated);
      } finally {
        await sshd.stop();
      }
    },
  );
});
