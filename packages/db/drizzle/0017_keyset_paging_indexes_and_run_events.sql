DROP INDEX "runs_workspace_submitted_idx";--> statement-breakpoint
CREATE INDEX "access_tokens_user_created_idx" ON "access_tokens" USING btree ("user_id","created_at","id");--> statement-breakpoint
CREATE INDEX "secrets_workspace_updated_idx" ON "secrets" USING btree ("workspace_id","updated_at","id") WHERE "secrets"."scope" = 'workspace';--> statement-breakpoint
CREATE INDEX "secrets_user_updated_idx" ON "secrets" USING btree ("user_id","updated_at","id") WHERE "secrets"."scope" = 'user';--> statement-breakpoint
CREATE INDEX "runs_workspace_submitted_id_idx" ON "runs" USING btree ("workspace_id","submitted_at","id");--> statement-breakpoint
-- Run events for pages that watch runs (runs.onChange, over SSE): every change of a run's state or
-- progress is announced on channel lockstep_run_events, whoever wrote it (worker, web, sweeper).
-- Ids and states only, never params, errors or secret names. Delivered at commit, so a listener
-- that reads the run after the event sees the change.
CREATE FUNCTION "lockstep_notify_run_event"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('lockstep_run_events', json_build_object('id', NEW.id, 'workspaceId', NEW.workspace_id, 'status', NEW.status, 'secretsState', NEW.secrets_state)::text);
  RETURN NULL;
END;
$$;--> statement-breakpoint
CREATE TRIGGER "runs_notify_insert" AFTER INSERT ON "runs" FOR EACH ROW EXECUTE FUNCTION "lockstep_notify_run_event"();--> statement-breakpoint
CREATE TRIGGER "runs_notify_update" AFTER UPDATE ON "runs" FOR EACH ROW
  WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.secrets_state IS DISTINCT FROM NEW.secrets_state OR OLD.progress IS DISTINCT FROM NEW.progress OR OLD.cancel_requested IS DISTINCT FROM NEW.cancel_requested OR OLD.finished_at IS DISTINCT FROM NEW.finished_at)
  EXECUTE FUNCTION "lockstep_notify_run_event"();
