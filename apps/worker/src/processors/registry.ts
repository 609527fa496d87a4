import type { TRegistry } from "./types";
import { healthCheck } from "./system/health-check";

export const registry: TRegistry = {
  "system.health-check": healthCheck,
};
