ALTER TABLE "pipelines" ADD COLUMN "secret_needs" jsonb;--> statement-breakpoint
ALTER TABLE "pipelines" ADD COLUMN "optional_secrets" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "secret_copies" jsonb DEFAULT '[]'::jsonb NOT NULL;