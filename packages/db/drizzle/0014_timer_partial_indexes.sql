CREATE INDEX "secrets_unchecked_idx" ON "secrets" USING btree ("updated_at") WHERE "secrets"."value_checked_at" is null;--> statement-breakpoint
CREATE INDEX "runs_holding_env_idx" ON "runs" USING btree ("compute_env_id") WHERE "runs"."status" in ('SUBMITTED', 'RUNNING') or "runs"."secrets_state" in ('PENDING', 'PROVISIONED', 'DELETING');--> statement-breakpoint
CREATE INDEX "runs_unsettled_secrets_idx" ON "runs" USING btree ("secrets_state") WHERE "runs"."secrets_state" in ('PENDING', 'PROVISIONED', 'DELETING', 'CLEANUP_FAILED');--> statement-breakpoint
CREATE INDEX "worker_heartbeats_last_seen_idx" ON "worker_heartbeats" USING btree ("last_seen_at");--> statement-breakpoint
CREATE INDEX "worker_heartbeats_last_check_idx" ON "worker_heartbeats" USING btree ("last_health_check_at");