// `./build.sh sdk-pack` type-checks this with tsc (NodeNext, so through the package's exports map).
import { HeadlessClient, CatalogChangePage, ApiException } from '@headless/client';

const client = new HeadlessClient('https://shop.example', { fetch: (url, init) => fetch(url, init) });

export async function firstChange(): Promise<string | undefined> {
  try {
    const page: CatalogChangePage = await client.getCatalogChanges(undefined, 10);
    return page.changes[0]?.type;
  } catch (e) {
    return e instanceof ApiException ? String(e.status) : undefined;
  }
}
