import { createRoot } from "react-dom/client";
import createCache from "@emotion/cache";
import { CacheProvider } from "@emotion/react";
import { App } from "./App";

// MUI (through emotion) writes <style> elements; the CSP allows only those carrying this page's nonce,
// which the API host puts in the page (see api/Platform/Hosting/AdminApp.cs). No inline script at all.
const nonce = document.querySelector('meta[name="csp-nonce"]')?.getAttribute("content") ?? undefined;
const styles = createCache({ key: "hl", nonce, prepend: true });

createRoot(document.getElementById("root")!).render(
  <CacheProvider value={styles}>
    <App />
  </CacheProvider>,
);
