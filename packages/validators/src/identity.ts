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
  .max(256, "Password must be at most 256 characters.");

export const ZDisplayName = z.string().trim().min(1, "Enter a name.").max(100, "Name must be at most 100 characters.");

export const ZSlug = z
  .string()
  .trim()
  .min(2, "Short name must be at least 2 characters.")
  .max(40, "Short name must be at most 40 characters.")
  .regex(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/, "Short name may contain only lower-case letters, digits and inner hyphens.");

export const ZDescription = z.string().trim().max(1000, "Description must be at most 1,000 characters.");

export const ZTokenName = z.string().trim().min(1, "Give the token a name.").max(100, "Token name must be at most 100 characters.");

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
