import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { describe, expect, inject, it } from "vitest";
import { migrationsFolder } from "./migrate";

const DAY = 86_400_000;

describe("migration 0009: existing tokens", () => {
  it("get every scope and an expiry at most 90 days away; revoked ones stay revoked", async () => {
    // A database at migration 0008 (tokens without scopes, some never expiring), then the rest.
    const name = `it_${randomUUID().replace(/-/g, "").slice(0, 16)}`;
    const admin = postgres(inject("databaseUrl"), { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name}`);
    await admin.end();
    const url = new URL(inject("databaseUrl"));
    url.pathname = `/${name}`;
    const sql = postgres(url.toString(), { max: 1, onnotice: () => {} });
    const before = mkdtempSync(join(tmpdir(), "lockstep-mig-"));
    try {
      cpSync(migrationsFolder, before, { recursive: true });
      const journal = JSON.parse(readFileSync(join(before, "meta/_journal.json"), "utf8")) as {
        entries: Array<{ tag: string }>;
      };
      const upTo = journal.entries.findIndex((e) => e.tag === "0009_access_token_scopes");
      expect(upTo).toBeGreaterThan(0);
      writeFileSync(
        join(before, "meta/_journal.json"),
        JSON.stringify({ ...journal, entries: journal.entries.slice(0, upTo) }),
      );
      await migrate(drizzle(sql), { migrationsFolder: before });

      const [user] = await sql<
        Array<{ id: string }>
      >`insert into users (email, name) values ('old@example.test', 'Old') returning id`;
      const token = (label: string, expires: string | null, revoked: string | null) =>
        sql`insert into access_tokens (user_id, name, prefix, token_hash, expires_at, revoked_at)
            values (${user!.id}, ${label}, 'lst_x', ${label}, ${expires}::timestamptz, ${revoked}::timestamptz)`;
      await token("never", null, null);
      await token("ten-years", new Date(Date.now() + 3650 * DAY).toISOString(), null);
      await token("next-week", new Date(Date.now() + 7 * DAY).toISOString(), null);
      await token("revoked", null, "2026-01-02T03:04:05Z");

      await migrate(drizzle(sql), { migrationsFolder });
      // Times as epoch milliseconds: drizzle's driver changes how this client parses timestamps.
      const rows = await sql<
        Array<{ name: string; scopes: string[]; expires: number }>
      >`select name, scopes, (extract(epoch from expires_at) * 1000)::float8 as expires from access_tokens order by name`;
      const byName = Object.fromEntries(rows.map((r) => [r.name, r]));
      for (const r of rows) expect(r.scopes).toEqual(["read", "write", "launch", "admin"]);
      const in90 = Date.now() + 90 * DAY;
      expect(Math.abs(byName.never!.expires - in90)).toBeLessThan(60_000);
      expect(Math.abs(byName["ten-years"]!.expires - in90)).toBeLessThan(60_000);
      expect(Math.abs(byName["next-week"]!.expires - (Date.now() + 7 * DAY))).toBeLessThan(60_000);
      expect(new Date(byName.revoked!.expires).toISOString()).toBe("2026-01-02T03:04:05.000Z");
      // New rows must say their scopes: the column has no default any more.
      await expect(
        sql`insert into access_tokens (user_id, name, prefix, token_hash, expires_at) values (${user!.id}, 'x', 'lst_x', 'x2', now())`,
      ).rejects.toThrow(/scopes/);
    } finally {
      rmSync(before, { recursive: true, force: true });
      await sql.end();
    }
  });
});
