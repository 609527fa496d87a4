CREATE TABLE "secret_versions" (
	"secret_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"written_at" timestamp with time zone DEFAULT now() NOT NULL,
	"written_by" uuid,
	"action" text NOT NULL,
	"via" text
);
--> statement-breakpoint
ALTER TABLE "secrets" ADD COLUMN "last_used_run_id" uuid;--> statement-breakpoint
ALTER TABLE "secrets" ADD COLUMN "version" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "pipelines" ADD COLUMN "nextflow_secrets" jsonb;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "secret_versions" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "secret_versions" ADD CONSTRAINT "secret_versions_secret_id_secrets_id_fk" FOREIGN KEY ("secret_id") REFERENCES "public"."secrets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "secret_versions" ADD CONSTRAINT "secret_versions_written_by_users_id_fk" FOREIGN KEY ("written_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "secret_versions_secret_version_key" ON "secret_versions" USING btree ("secret_id","version");--> statement-breakpoint
ALTER TABLE "secrets" ADD CONSTRAINT "secrets_last_used_run_id_runs_id_fk" FOREIGN KEY ("last_used_run_id") REFERENCES "public"."runs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
-- Secrets written before history existed: one row for the value they hold now (how many overwrites came before is not known).
INSERT INTO "secret_versions" ("secret_id", "version", "written_at", "written_by", "action", "via")
SELECT "id", 1, "updated_at", "updated_by", CASE WHEN "updated_at" > "created_at" THEN 'overwritten' ELSE 'created' END, 'before history was kept' FROM "secrets";
