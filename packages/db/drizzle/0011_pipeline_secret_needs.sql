ALTER TABLE "pipelines" ADD COLUMN "secret_needs" jsonb;--> statement-breakpoint
ALTER TABLE "pipelines" ADD COLUMN "optional_secrets" jsonb DEFAULT '[]'::jsonb NOT NULL;