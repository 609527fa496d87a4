ALTER TYPE "public"."credential_provider" ADD VALUE 'ssh';--> statement-breakpoint
ALTER TYPE "public"."compute_env_kind" ADD VALUE 'ssh-slurm';--> statement-breakpoint
ALTER TYPE "public"."compute_env_kind" ADD VALUE 'ssh-lsf';--> statement-breakpoint
ALTER TYPE "public"."compute_env_kind" ADD VALUE 'ssh-pbspro';--> statement-breakpoint
ALTER TYPE "public"."compute_env_kind" ADD VALUE 'ssh-sge';--> statement-breakpoint
ALTER TABLE "compute_envs" ADD COLUMN "check_host_key" text;