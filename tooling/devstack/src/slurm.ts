import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, hostname } from "node:os";
import { join } from "node:path";
import { freePort } from "./ports";
import { StartupError } from "./log";
import { ensureSystemPackages, hasBinary } from "./system";

export type TStartedSlurm = {
  /** Point SLURM_CONF at this for sbatch, squeue, scancel. */
  conf: string;
  partition: string;
  stop: () => Promise<void>;
};

/**
 * The unprivileged account host-Slurm head jobs are submitted as (the worker's default
 * LOCKSTEP_SLURM_RUN_USER): a system user with no home and no login shell.
 */
export function ensureRunUser(name: string) {
  if (spawnSync("id", ["-u", name], { stdio: "ignore" }).status === 0) return;
  const r = spawnSync(
    "useradd",
    ["--system", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", name],
    { encoding: "utf8" },
  );
  if (r.status !== 0)
    throw new StartupError(`could not create the Slurm run user ${name}: ${(r.stderr || r.stdout).trim()}`);
}

/**
 * A real single-node Slurm cluster (Debian's slurm-wlm, munge authentication) with its own
 * config, state and ports under `dir`, as in shared/recipes/slurm-single-node.md. Needs root.
 */
export async function startSlurm(dir: string): Promise<TStartedSlurm> {
  if (process.getuid?.() !== 0) throw new StartupError("a private Slurm needs root (slurmd runs jobs as their user)");
  const { missing } = ensureSystemPackages([
    {
      binary: "slurmctld",
      debian: "slurm-wlm",
      why: "Slurm for the slurm executor tests",
      elsewhere: "install slurm-wlm",
    },
    { binary: "munged", debian: "munge", why: "munge authenticates Slurm", elsewhere: "install munge" },
  ]);
  if (missing.length > 0) throw new StartupError(`Slurm is not installed (${missing.map((m) => m.debian).join(", ")})`);
  for (const d of ["state", "spool", "log"]) mkdirSync(join(dir, d), { recursive: true });
  // Jobs run as the unprivileged run user, and slurmstepd executes the batch script from the spool
  // directory as that user: the way there must be open to it, as /var/spool/slurmd is.
  chmodSync(dir, 0o755);
  chmodSync(join(dir, "spool"), 0o755);
  ensureRunUser("lockstep-run");

  // munge: one daemon per machine; start it if none answers.
  if (spawnSync("munge", ["-n"], { stdio: "ignore" }).status !== 0) {
    mkdirSync("/run/munge", { recursive: true });
    spawnSync("chown", ["munge:munge", "/run/munge"]);
    if (!existsSync("/etc/munge/munge.key") && hasBinary("mungekey"))
      spawnSync("mungekey", ["--create"], { stdio: "ignore" });
    spawnSync("chown", ["munge:munge", "/etc/munge/munge.key"]);
    const r = spawnSync("munged", ["--force"], { encoding: "utf8" });
    if (r.status !== 0) throw new StartupError(`munged did not start: ${(r.stderr || r.stdout).trim()}`);
  }

  const host = hostname().split(".")[0]!;
  const memMb = Math.floor(
    Number(/MemTotal:\s+(\d+)/.exec(readFileSync("/proc/meminfo", "utf8"))?.[1] ?? 2_000_000) / 1024 / 2,
  );
  const [ctldPort, dPort] = [await freePort(), await freePort()];
  const conf = join(dir, "slurm.conf");
  writeFileSync(
    conf,
    [
      "ClusterName=lockstep",
      `SlurmctldHost=${host}`,
      `SlurmctldPort=${ctldPort}`,
      `SlurmdPort=${dPort}`,
      "AuthType=auth/munge",
      "ProctrackType=proctrack/linuxproc",
      "TaskPlugin=task/none",
      "SelectType=select/cons_tres",
      "SelectTypeParameters=CR_Core",
      "SlurmUser=root",
      "SlurmdUser=root",
      `StateSaveLocation=${join(dir, "state")}`,
      `SlurmdSpoolDir=${join(dir, "spool")}`,
      `SlurmctldPidFile=${join(dir, "slurmctld.pid")}`,
      `SlurmdPidFile=${join(dir, "slurmd.pid")}`,
      `SlurmctldLogFile=${join(dir, "log", "slurmctld.log")}`,
      `SlurmdLogFile=${join(dir, "log", "slurmd.log")}`,
      "ReturnToService=2",
      "JobAcctGatherType=jobacct_gather/none",
      "AccountingStorageType=accounting_storage/none",
      "MpiDefault=none",
      `NodeName=${host} CPUs=${cpus().length} RealMemory=${memMb} State=UNKNOWN`,
      `PartitionName=debug Nodes=${host} Default=YES MaxTime=INFINITE State=UP`,
      "",
    ].join("\n"),
  );
  const env = { ...process.env, SLURM_CONF: conf };
  execFileSync("slurmctld", ["-f", conf], { env, stdio: "ignore" });
  execFileSync("slurmd", ["-f", conf], { env, stdio: "ignore" });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = spawnSync("sinfo", ["-h", "-o", "%t"], { env, encoding: "utf8" });
    if (r.status === 0 && /idle|mix|alloc/.test(r.stdout)) break;
    if (Date.now() > deadline)
      throw new StartupError(`Slurm did not become ready: ${r.stdout.trim()} ${r.stderr.trim()}`);
    await new Promise((res) => setTimeout(res, 500));
  }
  return {
    conf,
    partition: "debug",
    stop: async () => {
      for (const pidFile of ["slurmd.pid", "slurmctld.pid"]) {
        try {
          process.kill(Number(readFileSync(join(dir, pidFile), "utf8").trim()), "SIGTERM");
        } catch {
          /* not running */
        }
      }
      await new Promise((res) => setTimeout(res, 1_000));
    },
  };
}
