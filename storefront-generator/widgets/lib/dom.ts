// Safe DOM building: every piece of text goes through textContent or setAttribute, never innerHTML.

export type Child = Node | string | null | undefined | false;

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | boolean> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false) continue;
    node.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    node.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return node;
}

/** Shows a message in the root's [data-message] element (an error unless ok). */
export function say(root: ParentNode, text: string, ok = false): void {
  const box = root.querySelector<HTMLElement>('[data-message]');
  if (!box) return;
  box.textContent = text;
  box.hidden = text === '';
  box.classList.toggle('ok', ok);
}

export function field(form: HTMLFormElement, name: string): string {
  const input = form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement | null;
  return input?.value.trim() ?? '';
}

/** A random key for Idempotency-Key headers. */
export function newKey(): string {
  return crypto.randomUUID?.() ?? Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}
