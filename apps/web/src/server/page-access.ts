import { TRPCError } from "@trpc/server";
import { notFound } from "next/navigation";
import { pageCaller } from "./context";

type TCaller = Awaited<ReturnType<typeof pageCaller>>;

/**
 * Asks the API, as the page's user, for what a page shows, and answers HTTP 404 with the app's
 * not-found page when the API says it is not there for them (NOT_FOUND, or an id that cannot be
 * one). The rules are the API's own: a page never decides visibility by itself. Any other failure
 * is left to the page, whose own query shows it.
 */
export async function visibleOr404<T>(load: (caller: TCaller) => Promise<T>): Promise<T | null> {
  try {
    return await load(await pageCaller());
  } catch (error) {
    if (error instanceof TRPCError && (error.code === "NOT_FOUND" || error.code === "BAD_REQUEST")) notFound();
    return null;
  }
}
