import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { say } from "./log";

export type TSystemPackage = { binary: string; debian: string; why: string; elsewhere: string };

/** What `npm start` needs for runs (Redis itself unless REDIS_URL is set). */
export const RUNTIME_PACKAGES: TSystemPackage[] = [
  {
    binary: "redis-server",
    debian: "redis-server",
    why: "Lockstep's job queue needs Redis",
    elsewhere: "brew install redis, or set REDIS_URL",
  },
  {
    binary: "bwrap",
    debian: "bubblewrap",
    why: "local and Slurm runs cannot start (every run executes in a bubblewrap sandbox)",
    elsewhere:
      "install bubblewrap (Fedora: dnf install bubblewrap) and allow unprivileged user namespaces — see docs/security.md",
  },
  {
    binary: "java",
    debian: "openjdk-17-jre-headless",
    why: "Nextflow cannot run",
    elsewhere: "install a Java 17+ runtime",
  },
  {
    binary: "mvn",
    debian: "maven",
    why: "the pinned Nextflow cannot be resolved from Maven Central",
    elsewhere: "install Maven 3.8+",
  },
  {
    binary: "javac",
    debian: "openjdk-17-jdk-headless",
    why: "cloud runs cannot start (the worker compiles nf-lockstep, the secrets provider cloud heads load, with javac)",
    elsewhere: "install a Java 17+ JDK",
  },
];

export const SYSTEM_PACKAGES: TSystemPackage[] = [
  { binary: "bwrap", debian: "bubblewrap", why: "run sandbox for the executor tests", elsewhere: "install bubblewrap" },
  { binary: "redis-server", debian: "redis-server", why: "private Redis for tests", elsewhere: "brew install redis" },
  {
    binary: "chromium",
    debian: "chromium",
    why: "browser for end-to-end tests",
    elsewhere: "install Chromium and set CHROMIUM_PATH",
  },
  {
    binary: "java",
    debian: "openjdk-17-jre-headless",
    why: "Java 17+ runs Nextflow",
    elsewhere: "install a Java 17+ runtime",
  },
  {
    binary: "mvn",
    debian: "maven",
    why: "Maven resolves the pinned Nextflow from Maven Central",
    elsewhere: "install Maven 3.8+",
  },
  {
    binary: "javac",
    debian: "openjdk-17-jdk-headless",
    why: "JDK that builds nf-lockstep for the cloud secrets tests",
    elsewhere: "install a Java 17+ JDK",
  },
  {
    binary: "slurmctld",
    debian: "slurm-wlm",
    why: "a single-node Slurm for the slurm executor tests",
    elsewhere: "install slurm-wlm and munge (tests need root)",
  },
  { binary: "munged", debian: "munge", why: "munge authenticates Slurm", elsewhere: "install munge" },
  {
    binary: "sshd",
    debian: "openssh-server",
    why: "a login node for the SSH cluster executor tests",
    elsewhere: "install openssh-server (tests need root)",
  },
];

export function hasBinary(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" }).status === 0;
}

function isDebianRoot(): boolean {
  return process.getuid?.() === 0 && existsSync("/etc/debian_version") && hasBinary("apt-get");
}

/**
 * Installs missing system pieces with apt on a Debian machine run as root (as CI is); elsewhere
 * returns what to install so the caller can say so.
 */
export function ensureSystemPackages(packages: TSystemPackage[]): { missing: TSystemPackage[] } {
  let missing = packages.filter((p) => !hasBinary(p.binary));
  if (missing.length === 0 || !isDebianRoot()) return { missing };
  const names = missing.map((p) => p.debian);
  say(`installing system packages with apt: ${names.join(", ")} (${missing.map((p) => p.why).join("; ")})…`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const update = spawnSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
  if (update.status !== 0) say("apt-get update failed; trying the install with the package lists present");
  spawnSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...names], { stdio: "inherit", env });
  missing = packages.filter((p) => !hasBinary(p.binary));
  return { missing };
}
