import { z } from "zod";
import "./messages";

export const ZEmail = z
  .string()
  .trim()
  .toLowerCase()
  .max(254, "Email must be at most 254 characters.")
  .pipe(z.email({ error: "Enter an email address like ada@example.org." }));

/** Length is what makes a password strong; no composition rules (NIST SP 800-63B). */
export const ZPassword = z
  .string()
  .min(10, "Password must be at least 10 characters.")
  .max(256, "Password must be at most 256 characters.")
  // Spaces are allowed (pass phrases), but ten of them are no password.
  .refine((p) => p.replace(/\s/g, "").length >= 10, "Password must have at least 10 characters that are not spaces.");

export const ZDisplayName = z.string().trim().min(1, "Enter a name.").max(100, "Name must be at most 100 characters.");

export const ZSlug = z
  .string()
  .trim()
  .min(2, "Short name must be at least 2 characters.")
  .max(40, "Short name must be at most 40 characters.")
  .regex(
    /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/,
    "Short name may contain only lower-case letters, digits and inner hyphens.",
  );

export const ZDescription = z.string().trim().max(1000, "Description must be at most 1,000 characters.");

export const ZTokenName = z
  .string()
  .trim()
  .min(1, "Give the token a name.")
  .max(100, "Token name must be at most 100 characters.");

export const ZId = z.uuid({ error: "Must be an id (UUID)." });

/** Derives a slug from a display name: "Genomics Core" → "genomics-core". */
export function slugify(name: string): string {
  const slug = name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40)
    .replace(/-+$/g, "");
  return slug.length >= 2 ? slug : `${slug || "x"}-${Math.random().toString(36).slice(2, 6)}`;
}

/**
 * A wait, said the way a person would: "about 8 minutes" rather than "506 s". Rounds up below a
 * minute (never "about 0 seconds") and to the nearest unit above.
 */
export function waitPhrase(seconds: number): string {
  const s = Math.max(1, Math.ceil(seconds));
  if (s < 60) return s === 1 ? "about 1 second" : `about ${s} seconds`;
  const m = Math.round(s / 60);
  if (m < 60) return m === 1 ? "about 1 minute" : `about ${m} minutes`;
  const h = Math.round(m / 60);
  return h === 1 ? "about 1 hour" : `about ${h} hours`;
}

/**
 * Where to send someone back to after signing in: only a path on this site. Anything that a
 * browser would resolve to another origin ("//evil.example", "/\\evil.example", "https://…",
 * "javascript:…") or that holds control characters gives the fallback.
 */
export function safeReturnPath(raw: unknown, fallback = "/dashboard"): string {
  if (typeof raw !== "string" || raw.length === 0 || raw.length > 2000) return fallback;
  if (!raw.startsWith("/") || raw.startsWith("//") || raw.includes("\\") || hasControlCharacter(raw)) return fallback;
  const base = "http://lockstep.invalid";
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch {
    return fallback;
  }
  if (url.origin !== base) return fallback;
  if (url.pathname.startsWith("/sign-in") || url.pathname.startsWith("/api/")) return fallback;
  return url.pathname + url.search + url.hash;
}

function hasControlCharacter(text: string): boolean {
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}
