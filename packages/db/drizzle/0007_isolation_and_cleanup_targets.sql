CREATE SEQUENCE "public"."run_uid_seq" INCREMENT BY 1 MINVALUE 0 MAXVALUE 65535 START WITH 0 CACHE 1 CYCLE;--> statement-breakpoint
ALTER TABLE "secrets" ADD COLUMN "value_problem" text;--> statement-breakpoint
ALTER TABLE "secrets" ADD COLUMN "value_checked_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "run_uid" integer;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "cleanup_target" jsonb;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "redaction" jsonb;--> statement-breakpoint
CREATE UNIQUE INDEX "runs_live_uid_key" ON "runs" USING btree ("run_uid") WHERE "runs"."run_uid" is not null and "runs"."finished_at" is null;