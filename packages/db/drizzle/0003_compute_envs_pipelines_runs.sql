CREATE TYPE "public"."compute_env_kind" AS ENUM('local', 'slurm', 'aws-batch', 'google-batch');--> statement-breakpoint
CREATE TYPE "public"."run_status" AS ENUM('SUBMITTED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'LOST');--> statement-breakpoint
CREATE TYPE "public"."secrets_state" AS ENUM('NONE', 'PENDING', 'PROVISIONED', 'DELETING', 'DELETED', 'CLEANUP_FAILED');--> statement-breakpoint
CREATE TABLE "compute_envs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"name" text NOT NULL,
	"kind" "compute_env_kind" NOT NULL,
	"work_dir" text NOT NULL,
	"nextflow_version" text NOT NULL,
	"env" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"max_run_seconds" integer DEFAULT 86400 NOT NULL,
	"config" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "pipelines" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"name" text NOT NULL,
	"repository" text NOT NULL,
	"revision" text,
	"default_params" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"default_compute_env_id" uuid,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "run_log_lines" (
	"run_id" uuid NOT NULL,
	"seq" integer NOT NULL,
	"line" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"pipeline_id" uuid,
	"compute_env_id" uuid,
	"launched_by" uuid,
	"status" "run_status" DEFAULT 'SUBMITTED' NOT NULL,
	"secrets_state" "secrets_state" DEFAULT 'NONE' NOT NULL,
	"pipeline_name" text NOT NULL,
	"repository" text NOT NULL,
	"revision" text,
	"compute_env_name" text NOT NULL,
	"compute_env_kind" "compute_env_kind" NOT NULL,
	"params" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"secret_refs" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"run_dir" text,
	"head_env" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"executor_ref" text,
	"exit_code" integer,
	"error_message" text,
	"cancel_requested" boolean DEFAULT false NOT NULL,
	"progress" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"submitted_at" timestamp with time zone DEFAULT now() NOT NULL,
	"provisioned_at" timestamp with time zone,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"secrets_deleted_at" timestamp with time zone,
	"deadline_at" timestamp with time zone NOT NULL,
	"cleanup_attempts" integer DEFAULT 0 NOT NULL,
	"last_cleanup_error" text,
	"log_offset" bigint DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "compute_envs" ADD CONSTRAINT "compute_envs_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "compute_envs" ADD CONSTRAINT "compute_envs_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pipelines" ADD CONSTRAINT "pipelines_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pipelines" ADD CONSTRAINT "pipelines_default_compute_env_id_compute_envs_id_fk" FOREIGN KEY ("default_compute_env_id") REFERENCES "public"."compute_envs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pipelines" ADD CONSTRAINT "pipelines_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "run_log_lines" ADD CONSTRAINT "run_log_lines_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_pipeline_id_pipelines_id_fk" FOREIGN KEY ("pipeline_id") REFERENCES "public"."pipelines"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_compute_env_id_compute_envs_id_fk" FOREIGN KEY ("compute_env_id") REFERENCES "public"."compute_envs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_launched_by_users_id_fk" FOREIGN KEY ("launched_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "compute_envs_workspace_name_key" ON "compute_envs" USING btree ("workspace_id","name");--> statement-breakpoint
CREATE UNIQUE INDEX "pipelines_workspace_name_key" ON "pipelines" USING btree ("workspace_id","name");--> statement-breakpoint
CREATE UNIQUE INDEX "run_log_lines_run_seq_key" ON "run_log_lines" USING btree ("run_id","seq");--> statement-breakpoint
CREATE INDEX "runs_workspace_submitted_idx" ON "runs" USING btree ("workspace_id","submitted_at");--> statement-breakpoint
CREATE INDEX "runs_status_idx" ON "runs" USING btree ("status");--> statement-breakpoint
CREATE INDEX "runs_secrets_state_idx" ON "runs" USING btree ("secrets_state");