export * from "./client";
export * from "./health";
export * as schema from "./schema";
export * from "./queries/system";
export * from "./queries/users";
export * from "./queries/tenancy";
export { and, asc, desc, eq, inArray, isNull, ne, or, sql } from "drizzle-orm";
