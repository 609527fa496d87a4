"use client";

import { Button } from "@lockstep/ui";

/** Every list answers a page of this size; a full page means there may be more. */
export const PAGE_SIZE = 50;
/** The largest page the API gives (for pickers over short lists: compute environments, pipelines). */
export const PAGE_MAX = 200;

/** For useInfiniteQuery: the next page starts after the last row's cursor; a short page was the last. */
export function nextPageAfter<T extends { cursor: string }>(limit = PAGE_SIZE) {
  return (last: T[]): string | undefined => (last.length >= limit ? last.at(-1)?.cursor : undefined);
}

/** The rows of every page loaded so far, in order. */
export function rowsOf<T>(data: { pages: T[][] } | undefined): T[] {
  return data?.pages.flat() ?? [];
}

/** "Load more" under a paged list, while the server may have more rows; nothing once it has none. */
export function LoadMore({
  query,
  label = "Load more",
}: {
  query: { hasNextPage: boolean; isFetchingNextPage: boolean; fetchNextPage: () => Promise<unknown> };
  label?: string;
}) {
  if (!query.hasNextPage) return null;
  return (
    <div className="mt-3 flex justify-center">
      <Button variant="secondary" onClick={() => void query.fetchNextPage()} disabled={query.isFetchingNextPage}>
        {query.isFetchingNextPage ? "Loading…" : label}
      </Button>
    </div>
  );
}
