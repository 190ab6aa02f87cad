// One image upload with progress. The generated client sends through fetch, which reports no upload
// progress, so this one request goes through XMLHttpRequest with what headlessFetch would add: the
// session's CSRF token and the product's ETag as If-Match.
import { csrf, type Problem } from "../data/http";

/* eslint-disable @typescript-eslint/no-explicit-any */
export async function uploadImage(productId: string, etag: string, file: File, onProgress: (fraction: number) => void): Promise<any> {
  const token = await csrf();
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/api/v1/admin/products/${encodeURIComponent(productId)}/images`);
    xhr.setRequestHeader("If-Match", etag);
    xhr.setRequestHeader("X-CSRF-Token", token);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      let body: any = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        /* not JSON */
      }
      if (xhr.status >= 200 && xhr.status < 300 && body) {
        resolve(body);
      } else {
        const problem: Problem = body && typeof body === "object" ? { status: xhr.status, ...body } : { status: xhr.status };
        problem.detail ??= problem.title ?? `The server answered ${xhr.status}. Try again.`;
        reject(problem);
      }
    };
    xhr.onerror = () => reject({ status: 0, detail: "The server could not be reached. Check your connection and try again." } satisfies Problem);
    const form = new FormData();
    form.append("file", file, file.name);
    form.append("alt", "");
    xhr.send(form);
  });
}
