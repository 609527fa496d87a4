import type { TRunSecretRef } from "@lockstep/db";

/**
 * A user secret's name is its owner's alone ("Nobody else can see them, not even their names").
 * Everywhere another person reads about a run — the run page, Activity, the CSV export, the API —
 * a personal secret reads "a personal secret of <launcher>", with the count only.
 */
export function personalSecretsPhrase(count: number, owner: string | null): string {
  const whose = owner || "the launcher";
  return count === 1 ? `a personal secret of ${whose}` : `${count} personal secrets of ${whose}`;
}

const escape = (name: string) => name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Replaces each personal secret's name in a free text: an error from a cloud API quotes the name
 * of the secret it could not create or delete. Secret names are letters, digits and underscores,
 * so a name counts where no such character touches it (`lockstep-<run>/API_TOKEN` included).
 */
export function scrubPersonalNames(text: string, refs: readonly TRunSecretRef[], owner: string | null): string {
  const names = refs.filter((r) => r.source === "user").map((r) => r.name);
  if (names.length === 0) return text;
  // Longest first, so a name inside a longer one is not half-replaced.
  const pattern = new RegExp(
    `(?<![A-Za-z0-9_])(?:${names
      .sort((a, b) => b.length - a.length)
      .map(escape)
      .join("|")})(?![A-Za-z0-9_])`,
    "g",
  );
  return text.replace(pattern, `[${personalSecretsPhrase(1, owner)}]`);
}

type TDetail = Record<string, string | number | boolean | string[] | null>;

/** Lists of secrets in audit details: "NAME (workspace)" / "NAME (user)" (events before personal names were hidden). */
const LIST_KEYS = ["names", "secrets"] as const;
const USER_ENTRY = / \(user\)$/;

/**
 * An audit event's detail as a workspace admin (or the export) may read it: no personal secret
 * name, whatever was recorded. Events written since record counts only; older ones are cleaned here.
 */
export function hidePersonalSecretNames(
  detail: TDetail,
  run: { refs: readonly TRunSecretRef[]; launcherName: string | null } | null,
): TDetail {
  const out: TDetail = { ...detail };
  let hidden = 0;
  for (const key of LIST_KEYS) {
    const list = out[key];
    if (!Array.isArray(list)) continue;
    const kept = list.filter((entry) => !USER_ENTRY.test(entry));
    hidden += list.length - kept.length;
    out[key] = run ? kept.map((entry) => scrubPersonalNames(entry, run.refs, run.launcherName)) : kept;
  }
  if (hidden > 0 && typeof out.personalSecrets !== "number") {
    out.personalSecrets = hidden;
    out.personalSecretsOf = run?.launcherName ?? "the launcher";
  }
  if (run) {
    for (const [key, value] of Object.entries(out)) {
      if (typeof value === "string" && key !== "personalSecretsOf")
        out[key] = scrubPersonalNames(value, run.refs, run.launcherName);
    }
  }
  return out;
}
