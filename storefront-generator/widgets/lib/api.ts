// The widgets' way to the API: the generated TypeScript client on the same origin, with the session cookie
// and, on writes, the anti-forgery token the API asks cookie sessions for (GET /api/v1/auth/csrf).
import { ApiException, HeadlessClient } from '../../../sdk/typescript/headless-client';

let csrf: Promise<{ header: string; token: string }> | undefined;

async function csrfToken(): Promise<{ header: string; token: string }> {
  csrf ??= new HeadlessClient('', { fetch: (url, init) => fetch(url, { ...init, credentials: 'same-origin' }) })
    .getCsrfToken()
    .then((t) => ({ header: t.headerName, token: t.token }));
  return csrf;
}

/** Forget the anti-forgery token (it changes when the session does: after signing in or out). */
export function resetCsrf(): void {
  csrf = undefined;
}

function client(extra: Record<string, string> = {}, cache?: RequestCache): HeadlessClient {
  return new HeadlessClient('', {
    async fetch(url: RequestInfo, init?: RequestInit): Promise<Response> {
      const method = (init?.method ?? 'GET').toUpperCase();
      const headers = new Headers(init?.headers);
      for (const [k, v] of Object.entries(extra)) headers.set(k, v);
      if (method !== 'GET' && method !== 'HEAD') {
        const { header, token } = await csrfToken();
        headers.set(header, token);
      }
      return fetch(url, { ...init, headers, credentials: 'same-origin', ...(cache ? { cache } : {}) });
    },
  });
}

export const api = client();

/** For live reads (price and stock while a page is open): the browser revalidates every time (a cheap 304
 * with the ETag) instead of answering from its HTTP cache, which the API's public max-age and
 * stale-while-revalidate would let lag a change by two polls. */
export const live = client({}, 'no-cache');

/** The same client sending extra headers the contract names outside the operation's parameters
 * (Idempotency-Key, X-Client-Secret, X-Order-Token). */
export function apiWith(headers: Record<string, string>): HeadlessClient {
  return client(headers);
}

export interface Problem {
  status: number;
  type: string;
  title: string;
  detail: string;
  errors: Record<string, string[]>;
}

/** What went wrong, from the RFC 9457 problem the API answers with (or a network failure). */
export function problemOf(e: unknown): Problem {
  if (e instanceof ApiException || (typeof e === 'object' && e !== null && 'status' in e && 'response' in e)) {
    const ex = e as ApiException;
    let body: Partial<Problem> = {};
    try {
      body = JSON.parse(ex.response) as Partial<Problem>;
    } catch {
      body = {};
    }
    return {
      status: ex.status,
      type: body.type ?? '',
      title: body.title ?? ex.message,
      detail: body.detail ?? body.title ?? ex.message,
      errors: body.errors ?? {},
    };
  }
  return { status: 0, type: '', title: 'Network error', detail: 'We could not reach the shop. Check your connection and try again.', errors: {} };
}

export function problemText(p: Problem): string {
  const fields = Object.values(p.errors).flat();
  return fields.length > 0 ? fields.join(' ') : p.detail;
}
