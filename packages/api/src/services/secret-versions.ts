import { timingSafeEqual } from "node:crypto";
import { currentSecretVersions, type TDbOrTx, type TRun, type TRunSecretVersion } from "@lockstep/db";

/**
 * Which version of each secret a run received, whether the secret has changed since, and — when
 * asked — whether another run of the workspace received the same value. The answer to "same value?"
 * compares the two runs' keyed fingerprints (HMAC-SHA256 under the worker's fingerprint key) here
 * and returns only true/false/null: the fingerprints themselves never leave the server.
 *
 * A personal secret is its launcher's alone: anyone else reads only how many of the launcher's
 * personal secrets changed, and personal secrets are compared only between two runs the viewer
 * launched.
 */
export type TRunSecretVersionsOut = {
  runId: string;
  /** False for runs provisioned before versions were recorded (or not provisioned yet). */
  recorded: boolean;
  secrets: Array<{
    name: string;
    source: "workspace" | "user";
    version: number;
    /** The secret's version now; null when it has been deleted since. */
    currentVersion: number | null;
    changed: boolean;
    /** Against `comparedWith`: same value (true), different (false), cannot tell (null). */
    sameValue: boolean | null;
  }>;
  /** Personal secrets of the launcher the viewer may not name: how many, and how many changed since. */
  personal: { count: number; changed: number };
  comparedWith: string | null;
};

const sameMac = (a: TRunSecretVersion["fingerprint"], b: TRunSecretVersion["fingerprint"]): boolean | null => {
  if (a.kid !== b.kid) return null; // fingerprints under different keys say nothing about the values
  const x = Buffer.from(a.mac, "base64url");
  const y = Buffer.from(b.mac, "base64url");
  return x.length === y.length && timingSafeEqual(x, y);
};

export async function runSecretVersions(
  db: TDbOrTx,
  run: TRun,
  viewerId: string,
  other: TRun | null,
): Promise<TRunSecretVersionsOut> {
  const own = run.launchedBy !== null && run.launchedBy === viewerId;
  const recorded = run.secretVersions;
  const ids = recorded.map((v) => v.secretId);
  const current = await currentSecretVersions(db, ids);
  const now = new Map(current.map((c) => [c.id, c.version]));
  // Personal secrets compare only between two runs of the viewer's own.
  const comparePersonal = own && other !== null && other.launchedBy === viewerId;
  const otherByKey = new Map((other?.secretVersions ?? []).map((v) => [`${v.source}:${v.name}`, v]));
  const rows = recorded.map((v) => {
    const currentVersion = now.get(v.secretId) ?? null;
    const match =
      other && (v.source === "workspace" || comparePersonal) ? otherByKey.get(`${v.source}:${v.name}`) : undefined;
    return {
      name: v.name,
      source: v.source,
      version: v.version,
      currentVersion,
      changed: currentVersion !== v.version,
      sameValue: match ? sameMac(v.fingerprint, match.fingerprint) : null,
    };
  });
  const hidden = own ? [] : rows.filter((r) => r.source === "user");
  return {
    runId: run.id,
    recorded: recorded.length > 0 || run.secretRefs.length === 0,
    secrets: own ? rows : rows.filter((r) => r.source === "workspace"),
    personal: { count: hidden.length, changed: hidden.filter((r) => r.changed).length },
    comparedWith: other?.id ?? null,
  };
}
