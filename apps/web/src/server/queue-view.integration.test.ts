// The integration suite's provided values (databaseUrl, redisUrl); apps/web's tsconfig does not include the declaration.
import type {} from "@lockstep/vitest-config/provided";
import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, inject, it } from "vitest";
import { createCaller } from "@lockstep/api";
import { createRateLimiter } from "@lockstep/auth";
import { createDatabase, findUserById } from "@lockstep/db";
import { createQueues, createRedis, jobCatalog } from "@lockstep/queue";
import { makeAdmin, makePlainUser, makeTestKeys } from "@lockstep/vitest-config/fixtures";
import { queueViewResponse } from "./queue-view";

/**
 * The admin queue view (GET /admin/queues, app/admin/queues/route.ts): anonymous callers and
 * signed-in non-admins get a 404, an admin's token without the `admin` scope too; an admin gets
 * the queues with the jobs a real launch enqueued — and no secret value anywhere in the page,
 * though the run's secrets carry a marker. No worker consumes this prefix, so the jobs wait.
 */
const { db, close } = createDatabase(inject("databaseUrl"), { max: 2 });
const redis = createRedis(inject("redisUrl"), "producer");
const queues = createQueues(redis, `it-qview-${randomUUID().slice(0, 8)}`);
const { sealing } = await makeTestKeys("qview");

afterAll(async () => {
  await queues.close();
  await redis.quit();
  await close();
});

const api = (userId: string) =>
  createCaller({
    db,
    pingRedis: async () => 0,
    limiter: createRateLimiter(redis, `rl-${randomUUID().slice(0, 8)}`),
    sealing,
    queues,
    identity: { userId, via: "session" },
    config: { signup: "invite", localPipelineRoots: [], tokenMaxDays: 90 },
    ip: null,
    userAgent: "vitest",
  });

describe("GET /admin/queues", () => {
  it("404 for anonymous callers, non-admins and an admin's token without the admin scope; the queues for an admin, with no value in them", async () => {
    const admin = await makeAdmin(db, "qadmin");
    const member = await makePlainUser(db, "qmember");
    const asAdmin = api(admin.id);
    const org = await asAdmin.orgs.create({ name: "Q", slug: `q-${admin.id.slice(0, 8)}` });
    const ws = await asAdmin.workspaces.create({ orgId: org.id, name: "Q" });
    const marker = `qview-MARKER-${randomUUID()}`;
    await asAdmin.secrets.create({ workspaceId: ws.id, name: "DB_PASSWORD", value: { plain: marker } });
    const ce = await asAdmin.computeEnvs.create({
      workspaceId: ws.id,
      computeEnv: {
        kind: "aws-batch",
        name: "AWS",
        workDir: "s3://bucket-q/runs",
        nextflowVersion: "24.10.8",
        config: {
          region: "eu-west-1",
          jobQueue: "q",
          executionRoleArn: "arn:aws:iam::123456789012:role/x",
          headImage: "public.ecr.aws/seqera-labs/nextflow:24.10.8",
          secretPrefix: "q/",
          credentialId: (
            await asAdmin.credentials.create({
              workspaceId: ws.id,
              name: "aws",
              provider: "aws",
              value: {
                plain: JSON.stringify({ accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "x".repeat(40) }),
              },
            })
          ).id,
        },
      },
    });
    const pipeline = await asAdmin.pipelines.create({
      workspaceId: ws.id,
      pipeline: { name: "hello", repository: "https://github.com/nextflow-io/hello", defaultComputeEnvId: ce.id },
    });
    const run = await asAdmin.runs.launch({ workspaceId: ws.id, pipelineId: pipeline.id });

    const adminRow = (await findUserById(db, admin.id))!;
    const memberRow = (await findUserById(db, member.id))!;
    for (const [who, caller] of [
      ["anonymous", null],
      ["a non-admin", memberRow],
      ["an admin's token without the admin scope", { ...adminRow, tokenScopes: ["read", "write", "launch"] }],
      ["a disabled admin", { ...adminRow, disabledAt: new Date() }],
    ] as const) {
      const res = await queueViewResponse(caller, queues);
      expect([who, res.status]).toEqual([who, 404]);
      expect(await res.text()).toBe("Not found\n");
    }

    for (const caller of [adminRow, { ...adminRow, tokenScopes: ["admin"] }]) {
      const res = await queueViewResponse(caller, queues);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toContain("text/html");
      const html = await res.text();
      // Positive control: the launch's job is listed, so the page shows jobs at all.
      expect(html).toContain(jobCatalog["runs.provision"].jobId({ runId: run.id }));
      expect(html).toContain("runs.provision");
      expect(html).not.toContain(marker);
      expect(html).not.toContain("qview-MARKER");
    }
  });
});
