import { describe, expect, it } from "vitest";
import { summariseTrace } from "./trace";

const header = "task_id\thash\tnative_id\tname\tstatus\texit\tsubmit";
const row = (id: number, status: string) => `${id}\tab/cdef12\t${1000 + id}\tPROC (${id})\t${status}\t0\t2026-11-30`;

describe("summariseTrace", () => {
  it("counts tasks by Nextflow's trace status", () => {
    const text = [
      header,
      row(1, "COMPLETED"),
      row(2, "CACHED"),
      row(3, "FAILED"),
      row(4, "ABORTED"),
      row(5, "RUNNING"),
      row(6, "SUBMITTED"),
      "",
    ].join("\n");
    expect(summariseTrace(text)).toEqual({ tasks: 6, succeeded: 2, failed: 2, running: 2 });
  });
  it("finds the status column wherever the trace fields put it", () => {
    expect(summariseTrace("status\tname\nCOMPLETED\tA\nFAILED\tB\n")).toEqual({
      tasks: 2,
      succeeded: 1,
      failed: 1,
      running: 0,
    });
  });
  it("gives zero counts for an empty file or one without a status column", () => {
    expect(summariseTrace("")).toEqual({ tasks: 0, succeeded: 0, failed: 0, running: 0 });
    expect(summariseTrace("task_id\tname\n1\tA\n")).toEqual({ tasks: 0, succeeded: 0, failed: 0, running: 0 });
  });
});
