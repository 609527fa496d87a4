import type { IncomingMessage, ServerResponse } from "node:http";

export const CLIENT_ADDRESS_HEADER: "x-lockstep-client-address";
export const DEFAULT_MAX_BODY_BYTES: number;
export function maxBodyBytes(raw?: string): number;
export function admit(req: IncomingMessage, res: ServerResponse, maxBody: number): boolean;
export function install(maxBody?: number): void;
