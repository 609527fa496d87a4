import { randomUUID } from "node:crypto";
import { createRedactor } from "@lockstep/redact";
import { describe, expect, it } from "vitest";
import { ExecutorError, type TExecutor, type THeadHandle, type THeadState, type TRunLaunch } from "./executor";

/**
 * The behaviour every executor must have, run against each real backend available here (real
 * Nextflow in the real sandbox, a real Slurm, moto's Batch, the fake Google Batch server), as
 * packages/secrets/src/contract.ts does for providers. What a backend cannot do is said by the
 * subject leaving it out, never by weakening a check.
 */
export type TExecutorContractSubject = {
  executor: TExecutor;
  /** Where a new run's files live (host: `<runs directory>/<runId>`; cloud: the run's prefix in the work directory). */
  runDir(runId: string): string;
  /**
   * A run that ends by itself with exit code 0 (once `finish` lets it, on backends a test drives).
   * Host backends: one task, whose output `contract-greeting from the task` reaches the console.
   */
  launch(run: { runId: string; runDir: string }): TRunLaunch;
  /** Waits for the head to end the way the backend ends it (a real run finishing; a fake told the job succeeded). */
  finish(head: THeadHandle): Promise<void>;
  /** Heads the backend holds for the run: how a repeated start is seen to have made only one. */
  headsOf(run: { runId: string; runDir: string }): Promise<number>;
  /** A ref naming nothing the backend knows. */
  unknownRef(): string;
  /** A run that keeps running until cancelled; absent where the backend cannot hold one (moto's simple Batch ends every job at once). */
  hold?(run: { runId: string; runDir: string }): TRunLaunch;
  /** The same kind misconfigured (a queue, partition or sandbox that does not exist): check must refuse, permanently, saying this. */
  misconfigured: { executor: TExecutor; problem: RegExp };
  /** The same kind pointed at a backend that does not answer: every call must fail retryable. Absent for local (no remote backend). */
  unreachable?: TExecutor;
  /** How long a run takes here, at most. */
  timeoutMs: number;
};

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => new Error("expected a rejection, got an answer"),
    (error: unknown) => error,
  );
}

export function executorContract(label: string, subject: () => Promise<TExecutorContractSubject>) {
  const newRun = (s: TExecutorContractSubject) => {
    const runId = randomUUID();
    return { runId, runDir: s.runDir(runId) };
  };
  const waitUntil = async (
    s: TExecutorContractSubject,
    head: THeadHandle,
    done: (state: THeadState) => boolean,
  ): Promise<THeadState> => {
    const deadline = Date.now() + s.timeoutMs;
    for (;;) {
      const state = await s.executor.status(head);
      if (done(state)) return state;
      if (Date.now() > deadline)
        throw new Error(`head ${head.ref} still ${JSON.stringify(state)} after ${s.timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };

  // One finished run, shared by the statements about finished heads (real runs take a while).
  let finished:
    Promise<{ s: TExecutorContractSubject; head: THeadHandle; state: THeadState; starts: string[] }> | undefined;
  const finishedRun = () =>
    (finished ??= (async () => {
      const s = await subject();
      const run = newRun(s);
      await s.executor.prepare(run);
      await s.executor.prepare(run);
      const first = await s.executor.start(s.launch(run));
      const again = await s.executor.start(s.launch(run));
      const head = { ...run, ref: first.ref };
      await s.finish(head);
      const state = await waitUntil(s, head, (st) => st.state !== "running");
      return { s, head, state, starts: [first.ref, again.ref] };
    })());

  describe(`executor contract: ${label}`, () => {
    it(
      "start is idempotent for a run id: a repeated start returns the same head and starts no second one",
      { timeout: 600_000 },
      async () => {
        const { s, head, state, starts } = await finishedRun();
        expect(starts[1]).toBe(starts[0]);
        expect(await s.headsOf(head)).toBe(1);
        expect(state).toEqual({ state: "finished", exitCode: 0 });
      },
    );

    it(
      "a finished head stays finished: cancel is a no-op and release is idempotent",
      { timeout: 600_000 },
      async () => {
        const { s, head, state } = await finishedRun();
        await expect(s.executor.cancel(head)).resolves.toBeUndefined();
        expect(await s.executor.status(head)).toEqual(state);
        await expect(s.executor.release(head)).resolves.toBeUndefined();
        await expect(s.executor.release(head)).resolves.toBeUndefined();
        expect(await s.executor.status(head)).toEqual(state);
      },
    );

    it(
      "collect (where the head's output is on this machine) gives the console, redacted, and the task counts",
      { timeout: 600_000 },
      async () => {
        const { s, head } = await finishedRun();
        if (!s.executor.collect) return; // cloud heads log to the cloud's logging service
        const collected = await s.executor.collect({
          runDir: head.runDir,
          offset: 0,
          redactor: createRedactor(["contract-greeting"]),
          final: true,
          room: 1000,
        });
        expect(collected.logError).toBeUndefined();
        const lines = collected.log!.lines;
        // The pipeline printed "contract-greeting from the task": it is there, masked.
        expect(lines.some((l) => l.includes("*** from the task"))).toBe(true);
        expect(lines.join("\n")).not.toContain("contract-greeting");
        expect(collected.progress).toMatchObject({ tasks: 1, succeeded: 1, failed: 0 });
      },
    );

    it("status of a ref the backend never knew says vanished", { timeout: 120_000 }, async () => {
      const s = await subject();
      const run = newRun(s);
      await s.executor.prepare(run);
      expect(await s.executor.status({ ...run, ref: s.unknownRef() })).toMatchObject({
        state: "vanished",
        detail: expect.any(String),
      });
    });

    it("cancel stops a running head, once and for all", { timeout: 600_000 }, async () => {
      const s = await subject();
      if (!s.hold) return; // this backend ends every job at once
      const run = newRun(s);
      await s.executor.prepare(run);
      const { ref } = await s.executor.start(s.hold(run));
      const head = { ...run, ref };
      expect(await s.executor.status(head)).toEqual({ state: "running" });
      await s.executor.cancel(head);
      const after = await waitUntil(s, head, (st) => st.state !== "running");
      expect(after.state === "vanished" || (after.state === "finished" && after.exitCode !== 0)).toBe(true);
      await expect(s.executor.cancel(head)).resolves.toBeUndefined();
      await s.executor.release(head);
    });

    it(
      "check says what answered; misconfigured, it throws a permanent ExecutorError saying what is wrong",
      { timeout: 120_000 },
      async () => {
        const s = await subject();
        const { reached } = await s.executor.check();
        expect(reached).toMatch(/\S/);
        const refused = await rejection(s.misconfigured.executor.check());
        expect(refused).toBeInstanceOf(ExecutorError);
        expect((refused as ExecutorError).retryable).toBe(false);
        expect((refused as ExecutorError).message).toMatch(s.misconfigured.problem);
      },
    );

    it("failures are ExecutorErrors saying whether a retry can help", { timeout: 180_000 }, async () => {
      const s = await subject();
      // A run no retry can start: a run name Nextflow would refuse. Nothing is started.
      const run = newRun(s);
      await s.executor.prepare(run);
      const bad = await rejection(s.executor.start({ ...s.launch(run), runName: "Not A Run Name; rm -rf /" }));
      expect(bad).toBeInstanceOf(ExecutorError);
      expect((bad as ExecutorError).retryable).toBe(false);
      expect(await s.headsOf(run)).toBe(0);
      // A malformed run id is refused before anything is touched.
      const foreign = await rejection(s.executor.start({ ...s.launch(run), runId: "../other" }));
      expect([foreign instanceof ExecutorError, (foreign as ExecutorError).retryable]).toEqual([true, false]);

      if (!s.unreachable) return; // local: no remote backend to be away
      const away = newRun(s);
      const unreachable = s.unreachable;
      for (const call of [
        () => unreachable.check(),
        () => unreachable.start(s.launch(away)),
        () => unreachable.status({ ...away, ref: s.unknownRef() }),
      ]) {
        const error = await rejection(call());
        expect(error).toBeInstanceOf(ExecutorError);
        expect((error as ExecutorError).retryable, (error as Error).message).toBe(true);
      }
    });
  });
}
