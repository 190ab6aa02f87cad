// `./build.sh sdk-pack` runs this with node in a fresh npm project that installed the @headless/client tarball.
import { HeadlessClient } from '@headless/client';

const feed = '{"changes":[{"id":7,"type":"inventory.changed","entityType":"product","entityId":"0193a1f0-0000-7000-8000-000000000001","occurredAt":"2026-12-04T19:40:21Z"}],"nextCursor":"Ny43","hasMore":false}';
let asked = '';
const client = new HeadlessClient('https://shop.example', {
  fetch: async (url) => { asked = String(url); return new Response(feed, { status: 200, headers: { 'content-type': 'application/json' } }); },
});
const page = await client.getCatalogChanges('Ni42', 10);
if (asked !== 'https://shop.example/api/v1/catalog/changes?since=Ni42&limit=10' || page.changes[0].type !== 'inventory.changed' || page.nextCursor !== 'Ny43') {
  console.error('Unexpected:', asked, JSON.stringify(page));
  process.exit(1);
}
console.log(`@headless/client: getCatalogChanges read ${page.changes[0].type} of ${page.changes[0].entityId}.`);
