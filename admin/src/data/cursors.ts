// react-admin pages by number; the API by cursor (`cursor`, `limit` <= 100, `nextCursor`). We keep the cursor
// that opens each page visited, per list and query, so "next" and "previous" are one request each, and
// answer react-admin's partial pagination (pageInfo) instead of a total the API does not count.
import type { GetListParams, GetListResult, RaRecord } from "react-admin";

export interface CursorPage<T> {
  items: T[];
  nextCursor?: string | null;
}

const opened = new Map<string, (string | undefined)[]>();

export async function cursorPaging<T extends RaRecord>(
  resource: string,
  params: GetListParams,
  fetchPage: (cursor: string | undefined, limit: number) => Promise<CursorPage<T>>,
): Promise<GetListResult<T>> {
  const perPage = Math.min(Math.max(params.pagination?.perPage ?? 25, 1), 100);
  const page = Math.max(params.pagination?.page ?? 1, 1);
  const key = JSON.stringify([resource, params.filter ?? {}, params.sort ?? {}, perPage]);
  const cursors = opened.get(key) ?? [undefined];
  opened.set(key, cursors);

  // Normally the page's cursor is known (we came from the page before); after a jump we walk from the
  // last page we know, which is correct, only slower.
  let known = Math.min(page, cursors.length);
  let result = await fetchPage(cursors[known - 1], perPage);
  while (known < page && result.nextCursor) {
    cursors[known] = result.nextCursor;
    known += 1;
    result = await fetchPage(cursors[known - 1], perPage);
  }
  if (result.nextCursor) cursors[known] = result.nextCursor;
  // On the last page the count is known: without it react-admin shows "1-50 of 50" for 7 rows.
  return {
    data: result.items,
    total: result.nextCursor ? undefined : (known - 1) * perPage + result.items.length,
    pageInfo: { hasNextPage: Boolean(result.nextCursor), hasPreviousPage: known > 1 },
  };
}

/** A list the API returns whole (a few rows, e.g. tax rates): paged, sorted and filtered here. */
export function wholeList<T extends RaRecord>(items: T[], params: GetListParams): GetListResult<T> {
  const { field, order } = params.sort ?? { field: "id", order: "ASC" };
  const sorted = [...items].sort((a, b) => {
    const x = a[field];
    const y = b[field];
    const c = x === y ? 0 : x === undefined || x === null ? -1 : y === undefined || y === null ? 1 : x < y ? -1 : 1;
    return order === "DESC" ? -c : c;
  });
  const q = typeof params.filter?.q === "string" ? params.filter.q.toLowerCase() : "";
  const filtered = q ? sorted.filter((r) => JSON.stringify(r).toLowerCase().includes(q)) : sorted;
  const perPage = params.pagination?.perPage ?? 25;
  const page = params.pagination?.page ?? 1;
  return { data: filtered.slice((page - 1) * perPage, page * perPage), total: filtered.length };
}
