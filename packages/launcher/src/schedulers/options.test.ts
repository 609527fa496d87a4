import { SCHEDULER_OPTION_RULES, schedulerOptionProblem } from "@lockstep/validators";
import { describe, expect, it } from "vitest";
import { schedulerFor, type TSchedulerKind } from "./index";
import { lsfDirectiveLines } from "./lsf";
import { pbsproDirectiveLines } from "./pbspro";
import { sgeDirectiveLines } from "./sge";
import { slurmDirectiveLines } from "./slurm";
import type { TSchedulerHeadSpec } from "./types";

/**
 * Head options a workspace could try, per scheduler: each one refused with a message naming its
 * flag and the rule, and — the positive control — the same option, unchecked, lands in the job
 * script as a directive the scheduler would obey.
 */
const unchecked: Record<TSchedulerKind, (spec: TSchedulerHeadSpec) => string[]> = {
  slurm: slurmDirectiveLines,
  lsf: lsfDirectiveLines,
  pbspro: pbsproDirectiveLines,
  sge: sgeDirectiveLines,
};

const spec: TSchedulerHeadSpec = {
  jobName: "lockstep-r1",
  options: [],
  scriptPath: "/home/ws-a/runs/r1/head.sh",
  workDir: "/home/ws-a/runs/r1",
  outputPath: "/home/ws-a/runs/r1/head.out",
};

type TAttack = { option: string; refused: RegExp };

const ATTACKS: Record<TSchedulerKind, TAttack[]> = {
  slurm: [
    { option: "--uid=0", refused: /--uid is not allowed: it changes the user the head job runs as/ },
    { option: "--gid=0", refused: /--gid is not allowed/ },
    {
      option: "--export=ALL,LD_PRELOAD=/tmp/x.so",
      refused: /--export is not allowed: it changes the head job's environment/,
    },
    {
      option: "--output=/home/ws-b/stolen.out",
      refused: /--output is not allowed: Lockstep decides where the head job writes its output/,
    },
    { option: "--chdir=/home/ws-b", refused: /--chdir is not allowed/ },
    {
      option: "--wrap=cat /home/ws-b/.lockstep/store",
      refused: /--wrap is not allowed: it replaces the head job's script/,
    },
    {
      option: "--partition=other",
      refused: /--partition is not allowed: the partition is the compute environment's own setting/,
    },
    { option: "-o /home/ws-b/stolen.out", refused: /-o: only long options \(--name=value\) are passed to sbatch/ },
    {
      option: "--out=/home/ws-b/stolen.out",
      refused: /--out is not one of the Slurm head options Lockstep passes through \(--time, /,
    },
    { option: "--time=10\n#SBATCH --uid=0", refused: /--time: the value must be the time limit/ },
    { option: "--time=10 --uid=0", refused: /--time: the value must be the time limit/ },
    { option: "--account=lab;rm -rf ~", refused: /--account: the value must be the account charged/ },
    { option: "--account=$(id)", refused: /--account: the value must be/ },
    { option: "--account=`id`", refused: /--account: the value must be/ },
    { option: "--qos=normal|evil", refused: /--qos: the value must be/ },
    { option: "--mem=4G\r", refused: /--mem: the value must be memory for the node/ },
    { option: "--time=１０", refused: /--time: the value must be/ },
    { option: "--constraint=a;b", refused: /--constraint: the value must be node features/ },
    { option: "--time", refused: /--time must be written --name=value, with a value of the time limit/ },
  ],
  lsf: [
    {
      option: "-o /home/ws-b/stolen.out",
      refused: /-o is not allowed: Lockstep decides where the head job writes its output/,
    },
    { option: "-oo /home/ws-b/stolen.out", refused: /-oo is not allowed/ },
    { option: "-cwd /home/ws-b", refused: /-cwd is not allowed: Lockstep decides where the head job runs/ },
    { option: "-env all,LD_PRELOAD=/tmp/x.so", refused: /-env is not allowed: it changes the head job's environment/ },
    { option: "-E /home/ws-a/evil.sh", refused: /-E is not allowed: it runs a pre-execution command/ },
    { option: "-Ep /home/ws-a/evil.sh", refused: /-Ep is not allowed/ },
    { option: "-q other", refused: /-q is not allowed: the queue is the compute environment's own setting/ },
    { option: "-W 60;id", refused: /-W: the value must be the run limit/ },
    { option: "-W 60\n#BSUB -oo /home/ws-b/stolen.out", refused: /-W: the value must be the run limit/ },
    { option: "-R rusage[mem=4096] span[hosts=1]", refused: /-R: the value must be one resource requirement/ },
    { option: "-R select[type==any] || -oo /tmp/x", refused: /-R: the value must be/ },
    { option: "-P $(id)", refused: /-P: the value must be the project charged/ },
    { option: "-W60", refused: /-W60 is not one of the LSF head options Lockstep passes through \(-W, -We, -M/ },
    { option: "-u someone@example.org", refused: /-u is not allowed: it mails someone/ },
  ],
  pbspro: [
    { option: "-W sandbox=PRIVATE", refused: /-W is not allowed: it sets job attributes such as file staging/ },
    { option: "-W stagein=/home/ws-a/x@login:/home/ws-b/store", refused: /-W is not allowed/ },
    { option: "-v LD_PRELOAD=/tmp/x.so", refused: /-v is not allowed: it changes the head job's environment/ },
    { option: "-V", refused: /-V is not allowed/ },
    {
      option: "-o login:/home/ws-b/stolen.out",
      refused: /-o is not allowed: Lockstep decides where the head job writes its output/,
    },
    { option: "-u root", refused: /-u is not allowed: it changes the user the head job runs as/ },
    { option: "-C #EVIL", refused: /-C is not allowed: it changes the directive prefix/ },
    { option: "-q other", refused: /-q is not allowed/ },
    { option: "-l walltime=01:00:00;id", refused: /-l walltime: the value must be the wall-clock limit/ },
    { option: "-l walltime=01:00:00\n#PBS -W sandbox=PRIVATE", refused: /-l walltime: the value must be/ },
    { option: "-l select=2:ncpus=4", refused: /-l select: the value must be one chunk/ },
    { option: "-l nodes=1:ppn=4", refused: /-l nodes is not one of the PBS Pro head options Lockstep passes through/ },
    { option: "-A `id`", refused: /-A: the value must be the account charged/ },
  ],
  sge: [
    { option: "-v LD_PRELOAD=/tmp/x.so", refused: /-v is not allowed: it changes the head job's environment/ },
    { option: "-V", refused: /-V is not allowed/ },
    { option: "-S /home/ws-a/evil-shell", refused: /-S is not allowed: Lockstep decides the head job's shell/ },
    { option: "-wd /home/ws-b", refused: /-wd is not allowed: Lockstep decides where the head job runs/ },
    { option: "-cwd", refused: /-cwd is not allowed/ },
    { option: "-o /home/ws-b/stolen.out", refused: /-o is not allowed/ },
    { option: "-@ /home/ws-a/more-options", refused: /-@ is not allowed: it reads more options from a file/ },
    { option: "-b y", refused: /-b is not allowed/ },
    { option: "-C #EVIL", refused: /-C is not allowed: it changes the directive prefix/ },
    { option: "-pe smp 4;id", refused: /-pe: the value must be a parallel environment and slot count/ },
    { option: "-pe smp  4", refused: /-pe: the value must be/ },
    { option: "-l h_vmem=4G,h_rt=99:00:00", refused: /-l h_vmem: the value must be the hard virtual-memory limit/ },
    { option: "-l h_rt=01:00:00\n#$ -v LD_PRELOAD=/tmp/x.so", refused: /-l h_rt: the value must be/ },
    { option: "-P $(id)", refused: /-P: the value must be the project/ },
  ],
};

const ACCEPTED: Record<TSchedulerKind, string[]> = {
  slurm: [
    "--time=60",
    "--time=1-12:00:00",
    "--mem=4G",
    "--mem-per-cpu=2000",
    "--cpus-per-task=4",
    "--account=lab_1",
    "--qos=normal",
    "--reservation=maint",
    "--constraint=skylake&ib",
    "--gres=gpu:a100:1",
    "--tmp=10G",
    "--nice=10",
    "--wckey=proj",
  ],
  lsf: [
    "-W 120",
    "-W 2:30",
    "-M 4GB",
    "-n 4",
    "-R rusage[mem=4096]",
    "-R span[hosts=1]",
    "-P lab_1",
    "-G grp",
    "-sla gold",
    "-app nextflow",
    "-We 60",
    "-sp 50",
  ],
  pbspro: [
    "-l walltime=02:00:00",
    "-l mem=4gb",
    "-l ncpus=4",
    "-l select=1:ncpus=4:mem=8gb",
    "-l place=pack:excl",
    "-A lab_1",
    "-P proj",
    "-p 10",
  ],
  sge: [
    "-l h_rt=02:00:00",
    "-l s_rt=3600",
    "-l h_vmem=4G",
    "-l mem_free=2.5G",
    "-l m_mem_free=4G",
    "-pe smp 4",
    "-pe mpi 2-8",
    "-P proj",
    "-A lab_1",
    "-p -10",
  ],
};

const KINDS = Object.keys(ATTACKS) as TSchedulerKind[];

describe.each(KINDS)("%s head options", (kind) => {
  const scheduler = schedulerFor(kind);

  it("passes every option of the allowlist with a well-formed value", () => {
    expect(() => scheduler.checkOptions(ACCEPTED[kind])).not.toThrow();
    expect(scheduler.directives({ ...spec, options: ACCEPTED[kind] }).length).toBeGreaterThan(ACCEPTED[kind].length);
    // Every flag of the allowlist is exercised by an accepted option.
    const flags = new Set(ACCEPTED[kind].map((o) => o.replace(/[= ].*$/s, "").replace(/^-l$/, "")));
    for (const rule of SCHEDULER_OPTION_RULES[kind]) {
      const covered = rule.flag.startsWith("-l ")
        ? ACCEPTED[kind].some((o) => o.startsWith(`${rule.flag}=`))
        : flags.has(rule.flag);
      expect(covered, rule.flag).toBe(true);
    }
    expect(scheduler.headOptionAllowlist).toBe(SCHEDULER_OPTION_RULES[kind]);
  });

  it.each(ATTACKS[kind].map((a) => [JSON.stringify(a.option), a] as const))(
    "refuses %s, naming the option and the rule",
    (_label, attack) => {
      const withAttack = { ...spec, options: [attack.option] };
      // Positive control: unchecked, the option is written into the script as the scheduler reads it.
      const script = unchecked[kind](withAttack).join("\n");
      const firstLine = attack.option.split("\n")[0]!;
      expect(script).toContain(firstLine.includes(" ") && kind === "lsf" ? firstLine.split(" ")[0]! : firstLine);
      // A newline's second half is a directive line of its own (LSF may quote the value around it).
      if (attack.option.includes("\n"))
        expect(script.split("\n").some((l) => l.startsWith(attack.option.split("\n")[1]!))).toBe(true);
      // Checked: refused before any directive or argv is built, with the option's position, flag and rule.
      expect(() => scheduler.checkOptions([attack.option])).toThrow(attack.refused);
      expect(() => scheduler.directives(withAttack)).toThrow(/head option 1: /);
      expect(() => scheduler.submit(withAttack)).toThrow(attack.refused);
      expect(schedulerOptionProblem(kind, attack.option)).toMatch(attack.refused);
    },
  );

  it("names every refused option by position, and the message never repeats a value", () => {
    const bad = ATTACKS[kind].find((a) => a.option.includes("\n"))!;
    let message = "";
    try {
      scheduler.checkOptions([ACCEPTED[kind][0]!, bad.option]);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/head option 2: /);
    // A sentence for a person, as the project's messages are.
    expect(message).toMatch(/^[A-Z][^\n]*\.$/);
    expect(message).not.toContain("\n");
    expect(message).not.toContain(bad.option.split("\n")[1]!);
  });

  it("refuses a queue or job name that is a list, a host, an option or holds a newline", () => {
    for (const queue of ["a b", "a,b", "a\nb", "-q", "all.q@host", "a;b", "$(id)", ""]) {
      expect(() => scheduler.directives({ ...spec, queue })).toThrow(
        kind === "slurm" ? /the partition must be one name/ : /the queue must be one name/,
      );
    }
    for (const jobName of ["1abc", "a b", "a\nb", "-N", "a;b", "x".repeat(101)]) {
      expect(() => scheduler.directives({ ...spec, jobName })).toThrow(/[Tt]he job name must start with a letter/);
      expect(() => scheduler.findByName(jobName)).toThrow(/[Tt]he job name must start with a letter/);
    }
  });
});
