CREATE TYPE "public"."host_compute_envs_policy" AS ENUM('instance-admins', 'workspace-maintainers');--> statement-breakpoint
CREATE TABLE "instance_settings" (
	"id" boolean PRIMARY KEY DEFAULT true NOT NULL,
	"host_compute_envs" "host_compute_envs_policy" DEFAULT 'instance-admins' NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_by" uuid,
	CONSTRAINT "instance_settings_single_row" CHECK ("instance_settings"."id")
);
--> statement-breakpoint
ALTER TABLE "instance_settings" ADD CONSTRAINT "instance_settings_updated_by_users_id_fk" FOREIGN KEY ("updated_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;