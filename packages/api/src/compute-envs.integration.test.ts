import { TRPCError } from "@trpc/server";
import { afterAll, describe, expect, inject, it } from "vitest";
import { and, createDatabase, eq, getComputeEnv, listInstanceAuditEvents, schema, sql } from "@lockstep/db";
import {
  addOrgMember,
  addParticipant,
  callerFor,
  freshDatabase,
  makeAdmin,
  makeInstanceAdmin,
  makePlainUser,
  makeUser,
} from "./test/fixtures";

const { db, close } = createDatabase(inject("databaseUrl"), { max: 4 });
afterAll(close);

const localEnv = { kind: "local", name: "Local", workDir: "/tmp/lockstep-ce-it", nextflowVersion: "24.10.5" } as const;
const storedEnv = { TZ: "UTC", NXF_CONDA_CACHEDIR: "/scratch/conda", LOCKSTEP_E2E: "1" };

/** A workspace with one local environment holding three variables. */
async function setup() {
  const owner = await makeUser(db, "ce-owner");
  await makeInstanceAdmin(db, owner.id);
  const asOwner = callerFor(db, owner.id);
  const org = await asOwner.orgs.create({ name: "Compute", slug: `ce-${owner.id.slice(0, 8)}` });
  const ws = await asOwner.workspaces.create({ orgId: org.id, name: "Envs" });
  const ce = await asOwner.computeEnvs.create({ workspaceId: ws.id, computeEnv: { ...localEnv, env: storedEnv } });
  const stored = async () => (await getComputeEnv(db, ws.id, ce.id))!;
  return { asOwner, ws, ce, stored };
}

const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: unknown) => (e instanceof TRPCError ? { code: e.code, message: e.message } : { code: "?", message: String(e) }),
  );

describe("editing a compute environment's variables", () => {
  it("keeps the stored values of kept names, which the API never returns", async () => {
    const { asOwner, ws, ce, stored } = await setup();
    expect(ce.envNames).toEqual(["LOCKSTEP_E2E", "NXF_CONDA_CACHEDIR", "TZ"]);
    const saved = await asOwner.computeEnvs.update({
      workspaceId: ws.id,
      computeEnvId: ce.id,
      computeEnv: { ...localEnv, name: "Renamed" },
      keepEnv: ["TZ", "NXF_CONDA_CACHEDIR", "LOCKSTEP_E2E"],
    });
    expect(saved).toMatchObject({ name: "Renamed", envNames: ["LOCKSTEP_E2E", "NXF_CONDA_CACHEDIR", "TZ"] });
    expect(JSON.stringify(saved)).not.toContain("-Xmx4g");
    expect((await stored()).env).toEqual(storedEnv);
  });

  it("a name both kept and given takes the given value; new names are added", async () => {
    const { asOwner, ws, ce, stored } = await setup();
    const saved = await asOwner.computeEnvs.update({
      workspaceId: ws.id,
      computeEnvId: ce.id,
      computeEnv: { ...localEnv, env: { TZ: "Europe/Berlin", EXTRA: "x" } },
      keepEnv: ["TZ", "NXF_CONDA_CACHEDIR", "LOCKSTEP_E2E"],
    });
    expect(saved.envNames).toEqual(["EXTRA", "LOCKSTEP_E2E", "NXF_CONDA_CACHEDIR", "TZ"]);
    expect((await stored()).env).toEqual({ ...storedEnv, TZ: "Europe/Berlin", EXTRA: "x" });
  });

  it("drops the stored names that are neither kept nor given", async () => {
    const { asOwner, ws, ce, stored } = await setup();
    const saved = await asOwner.computeEnvs.update({
      workspaceId: ws.id,
      computeEnvId: ce.id,
      computeEnv: localEnv,
      keepEnv: ["TZ"],
    });
    expect(saved.envNames).toEqual(["TZ"]);
    expect((await stored()).env).toEqual({ TZ: "UTC" });
    // Without keepEnv, the given set replaces the stored one (a client that sends every value).
    await asOwner.computeEnvs.update({
      workspaceId: ws.id,
      computeEnvId: ce.id,
      computeEnv: { ...localEnv, env: { ONLY: "this" } },
    });
    expect((await stored()).env).toEqual({ ONLY: "this" });
  });

  it("refuses to keep a name that is not set, naming the field, and changes nothing", async () => {
    const { asOwner, ws, ce, stored } = await setup();
    const before = await stored();
    const error = await errorOf(
      asOwner.computeEnvs.update({
        workspaceId: ws.id,
        computeEnvId: ce.id,
        computeEnv: { ...localEnv, name: "Should not stick", env: { EXTRA: "x" } },
        keepEnv: ["TZ", "NOT_THERE"],
      }),
    );
    expect(error).toEqual({
      code: "BAD_REQUEST",
      message: "keepEnv: NOT_THERE is not set on this compute environment",
    });
    expect(await stored()).toEqual(before);
  });

  it("checks kept names by the environment variable rule, and the 100-variable limit on the result", async () => {
    const { asOwner, ws, ce, stored } = await setup();
    const before = await stored();
    const badName = await errorOf(
      asOwner.computeEnvs.update({
        workspaceId: ws.id,
        computeEnvId: ce.id,
        computeEnv: localEnv,
        keepEnv: ["BAD-NAME"],
      }),
    );
    expect(badName?.code).toBe("BAD_REQUEST");
    expect(badName?.message).toMatch(/^keepEnv\.0: Use letters, digits and '_' only, not starting with a digit\.$/);
    const given = Object.fromEntries(Array.from({ length: 98 }, (_, i) => [`NEW_${i}`, "v"]));
    const tooMany = await errorOf(
      asOwner.computeEnvs.update({
        workspaceId: ws.id,
        computeEnvId: ce.id,
        computeEnv: { ...localEnv, env: given },
        keepEnv: ["TZ", "NXF_CONDA_CACHEDIR", "LOCKSTEP_E2E"],
      }),
    );
    expect(tooMany).toEqual({
      code: "BAD_REQUEST",
      message: "computeEnv.env: at most 100 environment variables (101 kept and given)",
    });
    expect(await stored()).toEqual(before);
    // 97 new and 3 kept is exactly the limit.
    const { NEW_97: _, ...ninetySeven } = given;
    const saved = await asOwner.computeEnvs.update({
      workspaceId: ws.id,
      computeEnvId: ce.id,
      computeEnv: { ...localEnv, env: ninetySeven },
      keepEnv: ["TZ", "NXF_CONDA_CACHEDIR", "LOCKSTEP_E2E"],
    });
    expect(saved.envNames).toHaveLength(100);
  });

  it("does not reveal another workspace's environment through keepEnv", async () => {
    const { ce } = await setup();
    const other = await makeUser(db, "ce-other");
    const asOther = callerFor(db, other.id);
    const error = await errorOf(
      asOther.computeEnvs.update({
        workspaceId: other.personalWorkspaceId,
        computeEnvId: ce.id,
        computeEnv: localEnv,
        keepEnv: ["TZ"],
      }),
    );
    expect(error).toEqual({ code: "NOT_FOUND", message: "No such compute environment." });
  });
});

const slurmEnv = {
  kind: "slurm",
  name: "Host Slurm",
  workDir: "/tmp/lockstep-ce-it",
  nextflowVersion: "24.10.5",
  config: { partition: "debug" },
} as const;
const awsKey = JSON.stringify({
  accessKeyId: "AKIAABCDEFGHIJKLMNOP",
  secretAccessKey: "0123456789abcdef0123456789abcdef",
});
const REFUSED_CREATE =
  "computeEnv.kind: Only an instance admin can create local or host Slurm compute environments on this instance.";
const REFUSED_EDIT =
  "computeEnv.kind: Only an instance admin can edit local or host Slurm compute environments on this instance.";

/** An org workspace owned by `admin`, with `maintainer` (a plain user) as maintainer, and AWS credentials. */
async function teamOf(database: typeof db, admin: { id: string }, maintainer: { id: string; email: string }) {
  const asAdmin = callerFor(database, admin.id);
  const org = await asAdmin.orgs.create({ name: "Host kinds", slug: `hk-${admin.id.slice(0, 8)}` });
  await addOrgMember(database, asAdmin, { orgId: org.id, user: maintainer, role: "member" });
  const ws = await asAdmin.workspaces.create({ orgId: org.id, name: "Team" });
  await addParticipant(database, asAdmin, { workspaceId: ws.id, user: maintainer, role: "maintainer" });
  const credential = await asAdmin.credentials.create({
    workspaceId: ws.id,
    name: "aws",
    provider: "aws",
    value: { plain: awsKey },
  });
  const cloudEnv = {
    kind: "aws-batch",
    name: "Cloud",
    workDir: "s3://lockstep-gate/work",
    nextflowVersion: "24.10.5",
    config: {
      region: "eu-west-1",
      jobQueue: "q",
      executionRoleArn: "arn:aws:iam::123456789012:role/exec",
      headImage: "nextflow/nextflow:24.10.5",
      credentialId: credential.id,
    },
  } as const;
  return { asAdmin, asMaintainer: callerFor(database, maintainer.id), ws, cloudEnv };
}

describe("who may create and edit local and host Slurm compute environments", () => {
  it("by default an instance admin only: a maintainer gets FORBIDDEN on the kind field; cloud kinds and deleting are unchanged", async () => {
    const admin = await makeUser(db, "ce-admin");
    await makeInstanceAdmin(db, admin.id);
    const maintainer = await makePlainUser(db, "ce-maintainer");
    const { asAdmin, asMaintainer, ws, cloudEnv } = await teamOf(db, admin, maintainer);

    // Positive control: the instance admin creates both host kinds.
    const local = await asAdmin.computeEnvs.create({ workspaceId: ws.id, computeEnv: localEnv });
    const slurm = await asAdmin.computeEnvs.create({ workspaceId: ws.id, computeEnv: slurmEnv });
    expect([local.kind, slurm.kind]).toEqual(["local", "slurm"]);

    expect(
      await errorOf(asMaintainer.computeEnvs.create({ workspaceId: ws.id, computeEnv: { ...localEnv, name: "Mine" } })),
    ).toEqual({ code: "FORBIDDEN", message: REFUSED_CREATE });
    expect(
      await errorOf(asMaintainer.computeEnvs.create({ workspaceId: ws.id, computeEnv: { ...slurmEnv, name: "Mine" } })),
    ).toEqual({ code: "FORBIDDEN", message: REFUSED_CREATE });
    expect(
      await errorOf(
        asMaintainer.computeEnvs.update({
          workspaceId: ws.id,
          computeEnvId: local.id,
          computeEnv: { ...localEnv, workDir: "/srv/elsewhere" },
        }),
      ),
    ).toEqual({ code: "FORBIDDEN", message: REFUSED_EDIT });
    // Nor may a host environment be turned into a cloud one, or a cloud one into a host one.
    expect(
      await errorOf(
        asMaintainer.computeEnvs.update({ workspaceId: ws.id, computeEnvId: slurm.id, computeEnv: cloudEnv }),
      ),
    ).toEqual({ code: "FORBIDDEN", message: REFUSED_EDIT });
    const cloud = await asMaintainer.computeEnvs.create({ workspaceId: ws.id, computeEnv: cloudEnv });
    expect(
      await errorOf(
        asMaintainer.computeEnvs.update({ workspaceId: ws.id, computeEnvId: cloud.id, computeEnv: localEnv }),
      ),
    ).toEqual({ code: "FORBIDDEN", message: REFUSED_EDIT });
    expect((await getComputeEnv(db, ws.id, local.id))!.workDir).toBe(localEnv.workDir);
    expect((await getComputeEnv(db, ws.id, cloud.id))!.kind).toBe("aws-batch");

    // Cloud kinds stay a maintainer's, and so does deleting any kind.
    expect(
      await asMaintainer.computeEnvs.update({
        workspaceId: ws.id,
        computeEnvId: cloud.id,
        computeEnv: { ...cloudEnv, name: "Cloud 2" },
      }),
    ).toMatchObject({ name: "Cloud 2" });
    expect(await asMaintainer.computeEnvs.delete({ workspaceId: ws.id, computeEnvId: slurm.id })).toEqual({ ok: true });
    expect((await asAdmin.computeEnvs.list({ workspaceId: ws.id })).map((c) => c.name).sort()).toEqual([
      "Cloud 2",
      "Local",
    ]);
  });

  it("a new account cannot create one in its own personal workspace", async () => {
    const stranger = await makePlainUser(db, "ce-stranger");
    const asStranger = callerFor(db, stranger.id);
    expect(
      await errorOf(asStranger.computeEnvs.create({ workspaceId: stranger.personalWorkspaceId, computeEnv: localEnv })),
    ).toEqual({ code: "FORBIDDEN", message: REFUSED_CREATE });
    expect(await asStranger.computeEnvs.list({ workspaceId: stranger.personalWorkspaceId })).toEqual([]);
  });

  it("an instance admin can hand it to workspace maintainers, and take it back", async () => {
    // Its own database: the setting is instance-wide.
    const fresh = await freshDatabase(inject("databaseUrl"));
    try {
      const admin = await makeAdmin(fresh.db, "first"); // the instance admin
      const maintainer = await makeUser(fresh.db, "maintainer");
      expect([admin.isInstanceAdmin, maintainer.isInstanceAdmin]).toEqual([true, false]);
      const { asAdmin, asMaintainer, ws } = await teamOf(fresh.db, admin, maintainer);
      expect((await asAdmin.instance.get()).hostComputeEnvs).toBe("instance-admins");
      expect(await errorOf(asMaintainer.computeEnvs.create({ workspaceId: ws.id, computeEnv: localEnv }))).toEqual({
        code: "FORBIDDEN",
        message: REFUSED_CREATE,
      });

      await asAdmin.instance.update({ hostComputeEnvs: "workspace-maintainers" });
      const local = await asMaintainer.computeEnvs.create({ workspaceId: ws.id, computeEnv: localEnv });
      await asMaintainer.computeEnvs.update({
        workspaceId: ws.id,
        computeEnvId: local.id,
        computeEnv: { ...slurmEnv, name: "Now Slurm" },
      });
      expect((await getComputeEnv(fresh.db, ws.id, local.id))!.kind).toBe("slurm");
      // Still only for those whose workspace role manages compute environments.
      const viewer = await makeUser(fresh.db, "viewer");
      await addParticipant(fresh.db, asAdmin, { workspaceId: ws.id, user: viewer, role: "launch" });
      expect(
        await errorOf(
          callerFor(fresh.db, viewer.id).computeEnvs.create({
            workspaceId: ws.id,
            computeEnv: { ...localEnv, name: "V" },
          }),
        ),
      ).toMatchObject({ code: "FORBIDDEN" });

      await asAdmin.instance.update({ hostComputeEnvs: "instance-admins" });
      expect(
        await errorOf(
          asMaintainer.computeEnvs.update({ workspaceId: ws.id, computeEnvId: local.id, computeEnv: localEnv }),
        ),
      ).toEqual({ code: "FORBIDDEN", message: REFUSED_EDIT });

      const events = await listInstanceAuditEvents(fresh.db, 10);
      expect(events.map((e) => [e.action, e.actorId, e.ip, e.detail])).toEqual([
        [
          "instance.settings_updated",
          admin.id,
          "127.0.0.1",
          { setting: "hostComputeEnvs", from: "workspace-maintainers", to: "instance-admins" },
        ],
        [
          "instance.settings_updated",
          admin.id,
          "127.0.0.1",
          { setting: "hostComputeEnvs", from: "instance-admins", to: "workspace-maintainers" },
        ],
      ]);
    } finally {
      await fresh.close();
    }
  });
});

describe("SSH cluster environments: the host key is trusted only by confirming what a check saw", () => {
  const seen = `SHA256:${"B".repeat(43)}`;
  const other = `SHA256:${"C".repeat(43)}`;
  const keyText = "-----BEGIN OPENSSH PRIVATE KEY-----\nssh-ce-test-key-marker\n-----END OPENSSH PRIVATE KEY-----\n";

  async function sshSetup() {
    const { asOwner, ws } = await setup();
    const credential = await asOwner.credentials.create({
      workspaceId: ws.id,
      name: "cluster",
      provider: "ssh",
      value: { plain: JSON.stringify({ user: "alice", privateKey: keyText }) },
    });
    const sshEnv = {
      kind: "ssh-slurm" as const,
      name: "Cluster",
      workDir: "/scratch/alice/work",
      nextflowVersion: "24.10.8",
      config: {
        host: "login.cluster.example.org",
        port: 2222,
        credentialId: credential.id,
        launchDir: "/home/alice/lockstep",
        queue: "debug",
      },
    };
    return { asOwner, ws, credential, sshEnv };
  }

  it("a create or an edit cannot set a host key; only the fingerprint the last check saw can be confirmed", async () => {
    const { asOwner, ws, sshEnv } = await sshSetup();
    const refused = await errorOf(
      asOwner.computeEnvs.create({
        workspaceId: ws.id,
        computeEnv: { ...sshEnv, config: { ...sshEnv.config, hostKeySha256: seen } },
      }),
    );
    expect(refused).toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/^computeEnv\.config\.hostKeySha256: /),
    });
    const ce = await asOwner.computeEnvs.create({ workspaceId: ws.id, computeEnv: sshEnv });
    expect(ce.check).toMatchObject({ hostKey: null });
    // Nothing seen yet: nothing can be confirmed.
    expect(
      await errorOf(asOwner.computeEnvs.confirmHostKey({ workspaceId: ws.id, computeEnvId: ce.id, fingerprint: seen })),
    ).toMatchObject({ code: "CONFLICT" });
    // What the worker records when the login node presents its key.
    await db.update(schema.computeEnvs).set({ checkHostKey: seen }).where(eq(schema.computeEnvs.id, ce.id));
    expect(
      await errorOf(
        asOwner.computeEnvs.confirmHostKey({ workspaceId: ws.id, computeEnvId: ce.id, fingerprint: other }),
      ),
    ).toMatchObject({ code: "CONFLICT", message: expect.stringMatching(/^fingerprint: /) });
    const confirmed = await asOwner.computeEnvs.confirmHostKey({
      workspaceId: ws.id,
      computeEnvId: ce.id,
      fingerprint: seen,
    });
    expect(confirmed.config).toMatchObject({ hostKeySha256: seen });
    expect(confirmed.check).toMatchObject({ hostKey: null });
    const events = await db
      .select()
      .from(schema.auditEvents)
      .where(and(eq(schema.auditEvents.targetId, ce.id), eq(schema.auditEvents.action, "computeEnv.hostKeyConfirmed")));
    expect(events.map((e) => e.detail)).toEqual([{ fingerprint: seen }]);

    // An edit that leaves the login node where it is keeps the key; an edit cannot swap it for another.
    const renamed = await asOwner.computeEnvs.update({
      workspaceId: ws.id,
      computeEnvId: ce.id,
      computeEnv: { ...sshEnv, name: "Cluster 2" },
    });
    expect(renamed.config).toMatchObject({ hostKeySha256: seen });
    expect(
      await errorOf(
        asOwner.computeEnvs.update({
          workspaceId: ws.id,
          computeEnvId: ce.id,
          computeEnv: { ...sshEnv, config: { ...sshEnv.config, hostKeySha256: other } },
        }),
      ),
    ).toMatchObject({
      code: "BAD_REQUEST",
    });
    expect((await getComputeEnv(db, ws.id, ce.id))!.config).toMatchObject({ hostKeySha256: seen });
    // Pointed at another login node, the key is dropped: the new node's must be checked and confirmed.
    const moved = await asOwner.computeEnvs.update({
      workspaceId: ws.id,
      computeEnvId: ce.id,
      computeEnv: { ...sshEnv, config: { ...sshEnv.config, host: "login2.cluster.example.org" } },
    });
    expect(moved.config).not.toHaveProperty("hostKeySha256");
  });

  it("a stored row whose settings do not fit its kind fails by the environment's name and the field, and asks for no check", async () => {
    const { asOwner, ws, sshEnv } = await sshSetup();
    const ce = await asOwner.computeEnvs.create({ workspaceId: ws.id, computeEnv: sshEnv });
    const ids = { workspaceId: ws.id, computeEnvId: ce.id };
    // Positive control: the row as the API stored it answers, typed by its kind.
    const fine = await asOwner.computeEnvs.get(ids);
    expect(fine.kind === "ssh-slurm" ? fine.config.port : null).toBe(2222);
    // Behind the API's back (a hand edit, a bug), the port becomes text.
    await db
      .update(schema.computeEnvs)
      .set({ config: sql`jsonb_set(${schema.computeEnvs.config}, '{port}', '"2222"'::jsonb)` })
      .where(eq(schema.computeEnvs.id, ce.id));
    const broken = {
      code: "INTERNAL_SERVER_ERROR",
      message: `compute environment "Cluster" (${ce.id}) has stored ssh-slurm settings that do not fit that kind: config.port: Must be a number.`,
    };
    expect(await errorOf(asOwner.computeEnvs.get(ids))).toEqual(broken);
    expect(await errorOf(asOwner.computeEnvs.list({ workspaceId: ws.id }))).toEqual(broken);
    expect(await errorOf(asOwner.computeEnvs.check(ids))).toEqual(broken);
    expect((await getComputeEnv(db, ws.id, ce.id))!.checkRequestedAt).toBeNull();
  });

  it("SSH credentials are write-only: the key is never in any answer", async () => {
    const { asOwner, ws, credential } = await sshSetup();
    expect(credential).toEqual({ id: expect.any(String), name: "cluster", provider: "ssh" });
    const listed = await asOwner.credentials.list({ workspaceId: ws.id });
    expect(JSON.stringify(listed)).not.toContain("ssh-ce-test-key-marker");
    const bad = await errorOf(
      asOwner.credentials.create({
        workspaceId: ws.id,
        name: "bad",
        provider: "ssh",
        value: { plain: JSON.stringify({ user: "alice", privateKey: "ssh-ce-bad-key-marker" }) },
      }),
    );
    expect(bad).toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(/^value: privateKey: /) });
    expect(bad!.message).not.toContain("ssh-ce-bad-key-marker");
  });
});
