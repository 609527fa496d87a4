-- Access tokens get scopes, a last-used address and a mandatory expiry.
-- Existing tokens keep working as before: every scope, and an expiry at most 90 days from now
-- (LOCKSTEP_TOKEN_MAX_DAYS' default; never-expiring tokens get one too). Revoked tokens without an
-- expiry take their revocation time.
ALTER TABLE "access_tokens" ADD COLUMN "scopes" text[] NOT NULL DEFAULT '{read,write,launch,admin}';--> statement-breakpoint
ALTER TABLE "access_tokens" ALTER COLUMN "scopes" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "access_tokens" ADD COLUMN "last_used_ip" text;--> statement-breakpoint
UPDATE "access_tokens" SET "expires_at" = "revoked_at" WHERE "expires_at" IS NULL AND "revoked_at" IS NOT NULL;--> statement-breakpoint
UPDATE "access_tokens" SET "expires_at" = least(coalesce("expires_at", 'infinity'::timestamptz), now() + interval '90 days') WHERE "revoked_at" IS NULL;--> statement-breakpoint
ALTER TABLE "access_tokens" ALTER COLUMN "expires_at" SET NOT NULL;
