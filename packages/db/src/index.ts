export * from "./client";
export * from "./health";
export * as schema from "./schema";
export type { TUser, TAccessToken } from "./schema/users";
export type { TOrganization, TWorkspace } from "./schema/tenancy";
export * from "./queries/system";
export * from "./queries/users";
export * from "./queries/tenancy";
export { and, asc, desc, eq, inArray, isNull, ne, or, sql } from "drizzle-orm";
