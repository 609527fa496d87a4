import { randomUUID } from "node:crypto";
import { TRPCError } from "@trpc/server";
import { afterAll, describe, expect, inject, it } from "vitest";
import { seal, SealedBoxError, importPublicKey } from "@lockstep/crypto";
import { createDatabase, eq, listAuditEvents, schema, sealedSecretsOf, sql } from "@lockstep/db";
import { callerFor, makeUser, testKeys } from "./test/fixtures";

const { db, close } = createDatabase(inject("databaseUrl"), { max: 4 });
afterAll(close);

const MARKER = () => `MARKER-${randomUUID()}`;
const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => "ok",
    (e: unknown) => (e instanceof TRPCError ? e.code : String(e)),
  );

async function orgWorkspace() {
  const owner = await makeUser(db, "owner");
  const asOwner = callerFor(db, owner.id);
  const org = await asOwner.orgs.create({ name: "Sec", slug: `sec-${owner.id.slice(0, 8)}` });
  const ws = await asOwner.workspaces.create({ orgId: org.id, name: "Pipelines" });
  return { owner, asOwner, org, ws };
}

describe("workspace secrets", () => {
  it("stores a plain value sealed, lists metadata only, and the worker's key opens it", async () => {
    const { owner, asOwner, ws } = await orgWorkspace();
    const marker = MARKER();
    const created = await asOwner.secrets.create({ workspaceId: ws.id, name: "DB_PASSWORD", value: { plain: marker } });
    const list = await asOwner.secrets.list({ workspaceId: ws.id });
    expect(list).toEqual([
      expect.objectContaining({
        id: created.id,
        name: "DB_PASSWORD",
        lastUsedAt: null,
        createdBy: { id: owner.id, name: owner.name, email: owner.email },
      }),
    ]);
    expect(JSON.stringify(list)).not.toContain(marker);
    const [row] = await sealedSecretsOf(db, { scope: "workspace", workspaceId: ws.id });
    expect(row!.sealed).not.toContain(marker);
    expect(await testKeys.opening.open(row!.sealed, { scope: "workspace", ownerId: ws.id, name: "DB_PASSWORD" })).toBe(
      marker,
    );
  });

  it("accepts a value sealed by the client and never needs its plaintext", async () => {
    const { asOwner, ws } = await orgWorkspace();
    const marker = MARKER();
    const { kid, publicKey } = await asOwner.secrets.publicKey();
    const sealed = await seal(await importPublicKey(kid, publicKey), marker, {
      scope: "workspace",
      ownerId: ws.id,
      name: "API_TOKEN",
    });
    await asOwner.secrets.create({ workspaceId: ws.id, name: "API_TOKEN", value: { sealed } });
    const [row] = await sealedSecretsOf(db, { scope: "workspace", workspaceId: ws.id });
    expect(row!.sealed).toBe(sealed);
    expect(await testKeys.opening.open(row!.sealed, { scope: "workspace", ownerId: ws.id, name: "API_TOKEN" })).toBe(
      marker,
    );
  });

  it("a ciphertext copied to another row, scope or name does not open", async () => {
    const { asOwner, ws } = await orgWorkspace();
    const marker = MARKER();
    await asOwner.secrets.create({ workspaceId: ws.id, name: "SOURCE", value: { plain: marker } });
    await asOwner.secrets.create({ workspaceId: ws.id, name: "TARGET", value: { plain: "other" } });
    // Move SOURCE's sealed value into TARGET's row, as an attacker with database access could.
    await db.execute(
      sql`update secrets set sealed = (select sealed from secrets where workspace_id = ${ws.id} and name = 'SOURCE') where workspace_id = ${ws.id} and name = 'TARGET'`,
    );
    const rows = await sealedSecretsOf(db, { scope: "workspace", workspaceId: ws.id });
    const target = rows.find((r) => r.name === "TARGET")!;
    await expect(
      testKeys.opening.open(target.sealed, { scope: "workspace", ownerId: ws.id, name: "TARGET" }),
    ).rejects.toThrow(SealedBoxError);
    await expect(
      testKeys.opening.open(target.sealed, { scope: "user", ownerId: ws.id, name: "SOURCE" }),
    ).rejects.toThrow(SealedBoxError);
    await expect(
      testKeys.opening.open(target.sealed, { scope: "workspace", ownerId: randomUUID(), name: "SOURCE" }),
    ).rejects.toThrow(SealedBoxError);
  });

  it("a client-sealed value bound to another name is accepted as opaque but does not open for this row", async () => {
    const { asOwner, ws } = await orgWorkspace();
    const { kid, publicKey } = await asOwner.secrets.publicKey();
    const sealed = await seal(await importPublicKey(kid, publicKey), MARKER(), {
      scope: "workspace",
      ownerId: ws.id,
      name: "OTHER",
    });
    await asOwner.secrets.create({ workspaceId: ws.id, name: "MISBOUND", value: { sealed } });
    const [row] = await sealedSecretsOf(db, { scope: "workspace", workspaceId: ws.id });
    await expect(
      testKeys.opening.open(row!.sealed, { scope: "workspace", ownerId: ws.id, name: "MISBOUND" }),
    ).rejects.toThrow(SealedBoxError);
  });

  it("rejects bad names and values with the rule, and stores nothing", async () => {
    const { asOwner, ws } = await orgWorkspace();
    const marker = MARKER();
    const bad = [
      asOwner.secrets.create({ workspaceId: ws.id, name: "A-B", value: { plain: "x" } }),
      asOwner.secrets.create({ workspaceId: ws.id, name: "MULTI", value: { plain: `${marker}\nline2` } }),
      asOwner.secrets.create({ workspaceId: ws.id, name: "TOO_BIG", value: { plain: "x".repeat(65_537) } }),
      asOwner.secrets.create({ workspaceId: ws.id, name: "NOT_SEALED", value: { sealed: "not-an-envelope" } }),
    ];
    const errors = await Promise.all(bad.map((p) => p.catch((e: TRPCError) => e)));
    expect(errors.map((e) => (e as TRPCError).code)).toEqual([
      "BAD_REQUEST",
      "BAD_REQUEST",
      "BAD_REQUEST",
      "BAD_REQUEST",
    ]);
    expect((errors[0] as TRPCError).message).toMatch(/^name: Secret name may contain only letters/);
    expect((errors[1] as TRPCError).message).toMatch(/line break.*base64/);
    expect((errors[2] as TRPCError).message).toMatch(/65,537 bytes; the limit is 65,536/);
    expect((errors[3] as TRPCError).message).toMatch(/^value: the sealed value is not valid/);
    for (const e of errors) expect((e as TRPCError).message).not.toContain(marker);
    expect(await asOwner.secrets.list({ workspaceId: ws.id })).toEqual([]);
  });

  it("refuses a sealed value over 64 KiB, read from the envelope size", async () => {
    const { asOwner, ws } = await orgWorkspace();
    const { kid, publicKey } = await asOwner.secrets.publicKey();
    const sealed = await seal(await importPublicKey(kid, publicKey), "x".repeat(65_537), {
      scope: "workspace",
      ownerId: ws.id,
      name: "BIG",
    });
    const error = await asOwner.secrets
      .create({ workspaceId: ws.id, name: "BIG", value: { sealed } })
      .catch((e: TRPCError) => e);
    expect((error as TRPCError).message).toMatch(/65,537 bytes; the limit is 65,536/);
  });

  it("a duplicate name is a CONFLICT; overwrite replaces only the value; delete removes it; all audited without values", async () => {
    const { owner, asOwner, ws } = await orgWorkspace();
    const first = MARKER();
    const second = MARKER();
    const created = await asOwner.secrets.create({ workspaceId: ws.id, name: "ROTATING", value: { plain: first } });
    expect(await codeOf(asOwner.secrets.create({ workspaceId: ws.id, name: "ROTATING", value: { plain: "x" } }))).toBe(
      "CONFLICT",
    );
    expect(await asOwner.secrets.validateName({ workspaceId: ws.id, name: "ROTATING" })).toMatchObject({
      status: "duplicate",
    });
    expect(await asOwner.secrets.validateName({ workspaceId: ws.id, name: "__X" })).toMatchObject({
      status: "invalid",
    });
    expect(await asOwner.secrets.validateName({ workspaceId: ws.id, name: "FRESH_NAME" })).toEqual({ status: "ok" });
    await asOwner.secrets.update({ workspaceId: ws.id, secretId: created.id, value: { plain: second } });
    const [row] = await sealedSecretsOf(db, { scope: "workspace", workspaceId: ws.id });
    expect(await testKeys.opening.open(row!.sealed, { scope: "workspace", ownerId: ws.id, name: "ROTATING" })).toBe(
      second,
    );
    await asOwner.secrets.delete({ workspaceId: ws.id, secretId: created.id });
    expect(await asOwner.secrets.list({ workspaceId: ws.id })).toEqual([]);
    expect(await codeOf(asOwner.secrets.delete({ workspaceId: ws.id, secretId: created.id }))).toBe("NOT_FOUND");

    const { items } = await asOwner.audit.list({ workspaceId: ws.id });
    expect(items.map((e) => e.action)).toEqual(["secret.deleted", "secret.overwritten", "secret.created"]);
    expect(
      items.every((e) => e.actorEmail === owner.email && e.targetName === "ROTATING" && e.userAgent === "vitest"),
    ).toBe(true);
    const all = JSON.stringify(await listAuditEvents(db, { workspaceId: ws.id, limit: 100 }));
    expect(all).not.toContain(first);
    expect(all).not.toContain(second);
  });

  it("imports all lines or none, reporting each bad line", async () => {
    const { asOwner, ws } = await orgWorkspace();
    await asOwner.secrets.create({ workspaceId: ws.id, name: "EXISTS", value: { plain: "old" } });
    const error = await asOwner.secrets
      .import({
        workspaceId: ws.id,
        entries: [
          { line: 1, name: "GOOD_ONE", value: { plain: "a" } },
          { line: 2, name: "bad-name", value: { plain: "b" } },
          { line: 3, name: "EXISTS", value: { plain: "c" } },
          { line: 4, name: "GOOD_ONE", value: { plain: "d" } },
        ],
      })
      .catch((e: TRPCError) => e);
    expect((error as TRPCError).code).toBe("BAD_REQUEST");
    expect((error as TRPCError).message).toMatch(
      /^line 2: name may contain only.*; line 3: EXISTS already exists.*; line 4: GOOD_ONE is also on line 1$/,
    );
    expect((await asOwner.secrets.list({ workspaceId: ws.id })).map((s) => s.name)).toEqual(["EXISTS"]);

    const ok = await asOwner.secrets.import({
      workspaceId: ws.id,
      overwrite: true,
      entries: [
        { line: 1, name: "GOOD_ONE", value: { plain: "a" } },
        { line: 3, name: "EXISTS", value: { plain: "c" } },
      ],
    });
    expect(ok).toEqual({ created: 1, overwritten: 1 });
    const { items } = await asOwner.audit.list({ workspaceId: ws.id, action: "secrets.imported" });
    expect(items[0]?.detail).toEqual({ count: 2, names: ["GOOD_ONE", "EXISTS"] });
  });

  it("pages the audit log with a cursor", async () => {
    const { asOwner, ws } = await orgWorkspace();
    for (let i = 0; i < 5; i++)
      await asOwner.secrets.create({ workspaceId: ws.id, name: `S_${i}`, value: { plain: "x" } });
    const first = await asOwner.audit.list({ workspaceId: ws.id, limit: 2 });
    const second = await asOwner.audit.list({ workspaceId: ws.id, limit: 2, cursor: first.nextCursor! });
    const third = await asOwner.audit.list({ workspaceId: ws.id, limit: 2, cursor: second.nextCursor! });
    expect([...first.items, ...second.items, ...third.items].map((e) => e.targetName)).toEqual([
      "S_4",
      "S_3",
      "S_2",
      "S_1",
      "S_0",
    ]);
    expect(third.nextCursor).toBeNull();
  });
});

describe("user secrets", () => {
  it("are visible to their owner alone, not even by name", async () => {
    const alice = await makeUser(db, "alice");
    const bob = await makeUser(db, "bob");
    await callerFor(db, alice.id).userSecrets.create({ name: "API_TOKEN", value: { plain: MARKER() } });
    expect((await callerFor(db, alice.id).userSecrets.list()).map((s) => s.name)).toEqual(["API_TOKEN"]);
    expect(await callerFor(db, bob.id).userSecrets.list()).toEqual([]);
    const [aliceSecret] = await callerFor(db, alice.id).userSecrets.list();
    expect(await codeOf(callerFor(db, bob.id).userSecrets.delete({ secretId: aliceSecret!.id }))).toBe("NOT_FOUND");
    expect(
      await codeOf(callerFor(db, bob.id).userSecrets.update({ secretId: aliceSecret!.id, value: { plain: "x" } })),
    ).toBe("NOT_FOUND");
    // The same name is free for bob.
    await callerFor(db, bob.id).userSecrets.create({ name: "API_TOKEN", value: { plain: "bob" } });
    expect((await callerFor(db, alice.id).audit.mine()).items.map((e) => e.action)).toEqual(["secret.created"]);
    const rows = await db.select().from(schema.secrets).where(eq(schema.secrets.userId, alice.id));
    expect(rows).toHaveLength(1);
  });
});
