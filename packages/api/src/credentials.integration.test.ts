import type { TRPCError } from "@trpc/server";
import { afterAll, describe, expect, inject, it } from "vitest";
import { createDatabase, sealedCredential } from "@lockstep/db";
import { callerFor, makeUser, testKeys } from "./test/fixtures";

const { db, close } = createDatabase(inject("databaseUrl"), { max: 2 });
afterAll(close);

describe("workspace credentials", () => {
  it("are sealed, write-only, checked per cloud, and bound to their workspace and name", async () => {
    const owner = await makeUser(db, "owner");
    const asOwner = callerFor(db, owner.id);
    const org = await asOwner.orgs.create({ name: "Cloud", slug: `cloud-${owner.id.slice(0, 8)}` });
    const ws = await asOwner.workspaces.create({ orgId: org.id, name: "Cloud" });
    const secretKey = "MARKERsecretAccessKey0123456789abcdef";
    const plain = JSON.stringify({ accessKeyId: "AKIAABCDEFGHIJKLMNOP", secretAccessKey: secretKey });
    const created = await asOwner.credentials.create({
      workspaceId: ws.id,
      name: "prod-aws",
      provider: "aws",
      value: { plain },
    });
    const listed = await asOwner.credentials.list({ workspaceId: ws.id });
    expect(listed).toEqual([expect.objectContaining({ id: created.id, name: "prod-aws", provider: "aws" })]);
    expect(JSON.stringify(listed)).not.toContain("MARKER");
    const row = await sealedCredential(db, created.id);
    expect(row!.sealed).not.toContain("MARKER");
    expect(await testKeys.opening.open(row!.sealed, { scope: "credential", ownerId: ws.id, name: "prod-aws" })).toBe(
      plain,
    );

    const bad = await asOwner.credentials
      .create({
        workspaceId: ws.id,
        name: "bad",
        provider: "aws",
        value: { plain: JSON.stringify({ accessKeyId: "MARKER-x", secretAccessKey: "y" }) },
      })
      .catch((e: TRPCError) => e);
    expect((bad as TRPCError).code).toBe("BAD_REQUEST");
    expect((bad as TRPCError).message).toMatch(/^value: /);
    expect((bad as TRPCError).message).not.toContain("MARKER");

    // An aws-batch environment needs AWS credentials of the same workspace.
    const env = {
      kind: "aws-batch",
      name: "AWS",
      workDir: "s3://bucket/work",
      nextflowVersion: "24.10.8",
      config: {
        region: "eu-west-1",
        jobQueue: "q",
        executionRoleArn: "arn:aws:iam::123456789012:role/exec",
        headImage: "img",
        credentialId: created.id,
      },
    } as const;
    const ce = await asOwner.computeEnvs.create({ workspaceId: ws.id, computeEnv: env });
    expect(ce.config).toMatchObject({ credentialId: created.id, secretPrefix: "lockstep-" });
    const google = await asOwner.credentials.create({
      workspaceId: ws.id,
      name: "gcp",
      provider: "google",
      value: {
        plain: JSON.stringify({
          type: "service_account",
          project_id: "p",
          private_key: "k",
          client_email: "a@p.iam.gserviceaccount.com",
        }),
      },
    });
    const mismatch = await asOwner.computeEnvs
      .create({
        workspaceId: ws.id,
        computeEnv: { ...env, name: "AWS2", config: { ...env.config, credentialId: google.id } },
      })
      .catch((e: TRPCError) => e);
    expect((mismatch as TRPCError).message).toBe(
      "computeEnv.config.credentialId: choose AWS credentials of this workspace.",
    );

    // Credentials a compute environment uses cannot be deleted: its runs could neither start nor clean up.
    const inUse = await asOwner.credentials
      .delete({ workspaceId: ws.id, credentialId: created.id })
      .catch((e: TRPCError) => e);
    expect((inUse as TRPCError).code).toBe("CONFLICT");
    expect((inUse as TRPCError).message).toBe(
      'credentialId: used by compute environment "AWS"; change or delete it first.',
    );
    expect(await sealedCredential(db, created.id)).not.toBeNull();
    await asOwner.computeEnvs.delete({ workspaceId: ws.id, computeEnvId: ce.id });
    await asOwner.credentials.delete({ workspaceId: ws.id, credentialId: created.id });
    expect(await sealedCredential(db, created.id)).toBeNull();
  });
});
