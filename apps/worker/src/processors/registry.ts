import type { TRegistry } from "./types";
import { check as checkComputeEnv } from "./compute-envs/check";
import { inspect as inspectPipeline } from "./pipelines/inspect";
import { cancel } from "./runs/cancel";
import { cleanup } from "./runs/cleanup";
import { launch } from "./runs/launch";
import { monitor } from "./runs/monitor";
import { provision } from "./runs/provision";
import { sweep } from "./runs/sweep";
import { reseal } from "./secrets/reseal";
import { validate as validateSecret } from "./secrets/validate";
import { healthCheck } from "./system/health-check";
import { deliver as deliverWebhook } from "./webhooks/deliver";
import { drain as drainWebhooks } from "./webhooks/drain";

export const registry: TRegistry = {
  "system.health-check": healthCheck,
  "secrets.reseal": reseal,
  "secrets.validate": validateSecret,
  "pipelines.inspect": inspectPipeline,
  "runs.provision": provision,
  "runs.launch": launch,
  "runs.monitor": monitor,
  "runs.cancel": cancel,
  "runs.cleanup": cleanup,
  "runs.sweep": sweep,
  "computeEnvs.check": checkComputeEnv,
  "webhooks.deliver": deliverWebhook,
  "webhooks.drain": drainWebhooks,
};
