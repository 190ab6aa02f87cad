// The one HTTP path of the admin: the generated TypeScript client over a fetch that adds what a cookie
// session needs (the CSRF token on writes), the If-Match of the record being changed, and remembers the
// ETag each response carries. Screens never call fetch themselves.
import { ApiException, HeadlessClient } from "../../../sdk/typescript/headless-client";

const writeMethods = new Set(["POST", "PUT", "PATCH", "DELETE"]);
let csrfToken: string | null = null;
let pendingIfMatch: string | null = null;
const lastETags = new Map<string, string>();

async function headlessFetch(input: RequestInfo, init?: RequestInit): Promise<Response> {
  const method = (init?.method ?? "GET").toUpperCase();
  const headers = new Headers(init?.headers);
  if (pendingIfMatch !== null) {
    headers.set("If-Match", pendingIfMatch);
    pendingIfMatch = null;
  }
  // Every write, sign-in included: a browser that still holds a session cookie is a cookie session too.
  if (writeMethods.has(method)) {
    headers.set("X-CSRF-Token", await csrf());
  }
  const response = await fetch(input, { ...init, headers, credentials: "same-origin" });
  const etag = response.headers.get("ETag");
  if (etag) lastETags.set(pathOf(String(input)), etag);
  return response;
}

const pathOf = (url: string) => new URL(url, window.location.origin).pathname;

export const api = new HeadlessClient(window.location.origin, { fetch: headlessFetch });

/** The anti-forgery token of this session; fetched once after sign-in (and after a reload). */
export async function csrf(): Promise<string> {
  if (csrfToken === null) {
    csrfToken = (await api.getCsrfToken()).token;
  }
  return csrfToken;
}

export function forgetSession() {
  csrfToken = null;
  lastETags.clear();
}

/**
 * Calls a client method that writes, sending `etag` as If-Match. The generated client builds its request
 * and calls fetch synchronously inside the method, so the header reaches exactly that request.
 */
export function withIfMatch<T>(etag: string, call: () => Promise<T>): Promise<T> {
  pendingIfMatch = etag;
  try {
    return call();
  } finally {
    // Any await inside headlessFetch happens after the header was taken.
    pendingIfMatch = null;
  }
}

/** The ETag the last response for this path carried (a record's GET or its update). */
export const etagOf = (path: string) => lastETags.get(path);

export interface Problem {
  status: number;
  type?: string;
  title?: string;
  detail?: string;
  errors?: Record<string, string[]>;
}

/** An RFC 9457 problem from an error the client threw (or a generic one when the answer was not a problem). */
export function problemOf(error: unknown): Problem {
  if (ApiException.isApiException(error)) {
    try {
      const body = JSON.parse(error.response);
      if (body && typeof body === "object") return { status: error.status, ...body };
    } catch {
      /* not JSON */
    }
    return { status: error.status, detail: error.message };
  }
  if (error && typeof error === "object" && "status" in error) {
    return error as Problem;
  }
  return { status: 0, detail: "The server could not be reached. Check your connection and try again." };
}

export const problemTypeIs = (problem: Problem, name: string) => problem.type?.endsWith("/" + name) ?? false;
