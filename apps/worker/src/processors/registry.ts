import type { TRegistry } from "./types";
import { reseal } from "./secrets/reseal";
import { healthCheck } from "./system/health-check";

export const registry: TRegistry = {
  "system.health-check": healthCheck,
  "secrets.reseal": reseal,
};
