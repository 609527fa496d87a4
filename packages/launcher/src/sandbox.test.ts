import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { assertHidden, isWithin, sandboxArgs, sandboxBaseEnv, SandboxError } from "./sandbox";

const config = { bwrap: "bwrap", readOnly: ["/opt/nextflow/lib"] };

describe("sandboxArgs", () => {
  const args = sandboxArgs(config, "/runs/r1", ["/bin/sh", "/runs/r1/head.sh"]);
  const pairs = (flag: string) => args.flatMap((a, i) => (a === flag ? [args[i + 1]] : []));

  it("unshares every namespace but the network, and forbids nested user namespaces", () => {
    for (const flag of [
      "--unshare-user",
      "--unshare-pid",
      "--unshare-ipc",
      "--unshare-uts",
      "--disable-userns",
      "--new-session",
    ])
      expect(args).toContain(flag);
    expect(args).not.toContain("--unshare-net");
    expect(args).not.toContain("--share-net"); // not --unshare-all: the network stays by omission
    expect(pairs("--cap-drop")).toEqual(["ALL"]);
  });

  it("shows the run directory read-write, the given paths read-only, and a fresh /proc and /tmp", () => {
    expect(pairs("--bind")).toEqual(["/runs/r1"]);
    expect(pairs("--ro-bind")).toEqual(expect.arrayContaining(["/usr", "/opt/nextflow/lib"]));
    expect(pairs("--proc")).toEqual(["/proc"]);
    expect(pairs("--tmpfs")).toEqual(expect.arrayContaining(["/tmp"]));
    expect(args.slice(args.indexOf("--") + 1)).toEqual(["/bin/sh", "/runs/r1/head.sh"]);
  });

  it("mounts no home, data, or whole-/etc directory", () => {
    const mounted = [...pairs("--ro-bind"), ...pairs("--ro-bind-try"), ...pairs("--bind")];
    for (const forbidden of ["/", "/etc", "/root", "/home", "/var", "/work", "/srv", "/opt"])
      expect(mounted).not.toContain(forbidden);
    expect(mounted.filter((m) => m!.startsWith("/etc/")).every((m) => !/shadow|sudoers|ssh|munge|slurm/.test(m!))).toBe(
      true,
    );
  });

  it("gives the head an environment of its own, nothing of the caller's", () => {
    const env = sandboxBaseEnv("/runs/r1");
    expect(env.HOME).toBe("/runs/r1");
    expect(Object.keys(env).sort()).toEqual(["HOME", "LANG", "LOGNAME", "PATH", "TMPDIR", "USER"]);
  });
});

describe("assertHidden", () => {
  it("refuses a configuration whose read-only mounts would show a private path, and accepts one that does not", () => {
    expect(() => assertHidden(config, ["/opt/nextflow/lib/keys"])).toThrow(SandboxError);
    expect(() => assertHidden(config, ["/usr/local/lockstep/.data"])).toThrow(/under \/usr/);
    expect(() => assertHidden(config, ["/var/lib/lockstep/keys", "/srv/lockstep/.data"])).not.toThrow();
  });

  it("sees through a symbolic link to the real place", () => {
    const dir = mkdtempSync(join(tmpdir(), "lockstep-hidden-"));
    try {
      writeFileSync(join(dir, "real"), "x");
      const link = join(dir, "link");
      spawnSync("ln", ["-s", join(dir, "real"), link]);
      expect(() => assertHidden({ bwrap: "bwrap", readOnly: [dir] }, [link])).toThrow(SandboxError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("isWithin", () => {
  it("compares whole path components", () => {
    expect(isWithin("/usr/lib", "/usr")).toBe(true);
    expect(isWithin("/usr", "/usr")).toBe(true);
    expect(isWithin("/usrlocal", "/usr")).toBe(false);
  });
});
