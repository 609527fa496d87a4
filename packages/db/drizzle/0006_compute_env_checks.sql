ALTER TABLE "compute_envs" ADD COLUMN "check_requested_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "compute_envs" ADD COLUMN "checked_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "compute_envs" ADD COLUMN "check_ok" boolean;--> statement-breakpoint
ALTER TABLE "compute_envs" ADD COLUMN "check_message" text;