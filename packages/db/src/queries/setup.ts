import { createHash, randomInt, timingSafeEqual } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import type { TDatabase, TDbOrTx, TTx } from "../client";
import { instanceSetup, users } from "../schema";

// The setup code lives here rather than in @lockstep/auth because the migration step of every
// deployment (migrate-cli, `npm start`) creates it, and @lockstep/db cannot depend on auth.

/** Serialises account creation with the admin claim (also taken by sign-up). */
export const ACCOUNTS_LOCK = 7263002;

// No 0/O, 1/I/L, U: a code read off a terminal is typed back without ambiguity.
const ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789";

/** 20 characters from 30 (≈ 98 bits), in groups of five: XXXXX-XXXXX-XXXXX-XXXXX. */
export function generateSetupCode(): string {
  const groups = Array.from({ length: 4 }, () =>
    Array.from({ length: 5 }, () => ALPHABET[randomInt(ALPHABET.length)]).join(""),
  );
  return groups.join("-");
}

/** Case and spaces do not matter when the code is typed back. */
export function normalizeSetupCode(code: string): string {
  return code.replace(/\s+/g, "").toUpperCase();
}

export function hashSetupCode(code: string): string {
  return createHash("sha256").update(normalizeSetupCode(code)).digest("hex");
}

export async function instanceHasAdmin(db: TDbOrTx): Promise<boolean> {
  const [row] = await db.select({ id: users.id }).from(users).where(eq(users.isInstanceAdmin, true)).limit(1);
  return row !== undefined;
}

export type TEnsureSetupCode = { status: "has-admin" } | { status: "preset" } | { status: "generated"; code: string };

/**
 * At start: while the instance has no admin, stores the hash of a setup code — LOCKSTEP_SETUP_CODE
 * when given, else a new random one, which is returned so the caller prints it once (its hash
 * alone is kept). A later start replaces it. Nothing happens once an admin exists.
 */
export async function ensureSetupCode(db: TDatabase, preset?: string): Promise<TEnsureSetupCode> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${ACCOUNTS_LOCK})`);
    if (await instanceHasAdmin(tx)) {
      await tx.delete(instanceSetup);
      return { status: "has-admin" as const };
    }
    const code = preset ?? generateSetupCode();
    const codeHash = hashSetupCode(code);
    await tx
      .insert(instanceSetup)
      .values({ id: true, codeHash })
      .onConflictDoUpdate({ target: instanceSetup.id, set: { codeHash, createdAt: new Date() } });
    return preset ? { status: "preset" as const } : { status: "generated" as const, code };
  });
}

/** Whether `code` is the instance's current setup code (constant-time on the hashes). */
export async function setupCodeMatches(db: TDbOrTx, code: string): Promise<boolean> {
  const [row] = await db.select().from(instanceSetup).where(eq(instanceSetup.id, true));
  if (!row) return false;
  const given = Buffer.from(hashSetupCode(code), "hex");
  const stored = Buffer.from(row.codeHash, "hex");
  return given.length === stored.length && timingSafeEqual(given, stored);
}

/** Used up by the account that claimed the instance. */
export async function consumeSetupCode(tx: TTx): Promise<void> {
  await tx.delete(instanceSetup);
}
