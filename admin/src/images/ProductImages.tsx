// The product's images tab: choose files (the file picker or a drop), uploaded one request per file in
// order, each with its progress and, when the API refuses it, the API's reason beside it; then the
// product's images with a thumbnail, alt text, move up/down buttons and delete. Every change is a write
// with the product's ETag and answers the product, whose version the next write sends; afterwards the
// edit form re-reads the product so its own Save carries the new version too.
import { useEffect, useRef, useState, type DragEvent, type KeyboardEvent } from "react";
import { useRecordContext, useRefresh } from "react-admin";
import { Alert, Box, Button, LinearProgress, Stack, TextField, Typography } from "@mui/material";
import { ProductImageOrder, ProductImagesRequest } from "../../../sdk/typescript/headless-client";
import { api, problemOf, type Problem } from "../data/http";
import { StaleNotice } from "../data/saveErrors";
import { uploadImage } from "./upload";

/* eslint-disable @typescript-eslint/no-explicit-any */
interface Upload {
  key: number;
  name: string;
  state: "waiting" | "sending" | "processing" | "done" | "refused";
  progress: number;
  problem?: Problem;
}

interface Item {
  id?: string;
  url: string;
  thumb: string;
  alt: string;
  savedAlt: string;
  width: number;
  height: number;
}

const etag = (version: number) => `"v${version}"`;

function toItems(images: any[]): Item[] {
  return (images ?? []).map((image) => {
    const jpegs = (image.sources ?? []).filter((s: any) => s.format === "jpeg");
    return {
      id: image.id ?? undefined,
      url: image.url,
      thumb: jpegs.length > 0 ? jpegs[0].url : image.url,
      alt: image.alt ?? "",
      savedAlt: image.alt ?? "",
      width: image.width,
      height: image.height,
    };
  });
}

let nextKey = 1;

export function ProductImages() {
  const record = useRecordContext<any>();
  const refresh = useRefresh();
  const [version, setVersion] = useState<number>(record?.version ?? 0);
  const [items, setItems] = useState<Item[]>(() => toItems(record?.images));
  const [uploads, setUploads] = useState<Upload[]>([]);
  const [busy, setBusy] = useState(false);
  const [stale, setStale] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [announcement, setAnnouncement] = useState("");
  const [dragging, setDragging] = useState(false);
  const versionRef = useRef(version);
  const input = useRef<HTMLInputElement>(null);

  // A newer product (the form re-read it after a save or one of our writes) replaces what is shown.
  useEffect(() => {
    if (record && record.version > versionRef.current) {
      versionRef.current = record.version;
      setVersion(record.version);
      setItems(toItems(record.images));
    }
  }, [record]);

  if (!record) return null;
  const productId = String(record.id);

  const accept = (product: any) => {
    versionRef.current = product.version;
    setVersion(product.version);
    setItems(toItems(product.images));
  };

  const failed = (problem: Problem) => {
    if (problem.status === 412) setStale(true);
    return problem;
  };

  const setUpload = (key: number, change: Partial<Upload>) => setUploads((all) => all.map((u) => (u.key === key ? { ...u, ...change } : u)));

  async function uploadAll(files: File[]) {
    if (files.length === 0) return;
    const queued: Upload[] = files.map((f) => ({ key: nextKey++, name: f.name, state: "waiting", progress: 0 }));
    setUploads((all) => [...all.filter((u) => u.state !== "done"), ...queued]);
    setBusy(true);
    let added = 0;
    // One after another: each upload moves the product's version on, and the next one sends the new ETag.
    for (let i = 0; i < files.length; i++) {
      const { key } = queued[i];
      setUpload(key, { state: "sending" });
      try {
        const product = await uploadImage(productId, etag(versionRef.current), files[i], (fraction) =>
          setUpload(key, fraction >= 1 ? { state: "processing", progress: 100 } : { progress: Math.round(fraction * 100) }),
        );
        accept(product);
        setUpload(key, { state: "done", progress: 100 });
        added++;
      } catch (e) {
        setUpload(key, { state: "refused", problem: failed(e as Problem) });
      }
    }
    setBusy(false);
    setAnnouncement(`${added} of ${files.length} image${files.length === 1 ? "" : "s"} added.`);
    if (added > 0) refresh();
  }

  async function write(call: () => Promise<any>, done: string) {
    setBusy(true);
    setError(null);
    try {
      accept((await call()).toJSON());
      setAnnouncement(done);
      refresh();
    } catch (e) {
      const problem = failed(problemOf(e));
      if (problem.status !== 412) setError(problem.detail || problem.title || "The change was not saved. Try again.");
    } finally {
      setBusy(false);
    }
  }

  const uploaded = items.filter((i) => i.id);
  const byUrl = items.filter((i) => !i.id);

  const saveOrder = (order: Item[], done: string) =>
    write(
      () =>
        api.reorderProductImages(
          productId,
          new ProductImagesRequest({ images: order.map((i) => new ProductImageOrder({ id: i.id, alt: i.alt })) }),
          etag(versionRef.current),
        ),
      done,
    );

  const move = (index: number, by: number) => {
    const order = [...uploaded];
    const [moved] = order.splice(index, 1);
    order.splice(index + by, 0, moved);
    void saveOrder(order, `Image ${index + 1} moved to position ${index + by + 1}.`);
  };

  const remove = (item: Item, index: number) =>
    write(() => api.deleteProductImage(productId, item.id!, etag(versionRef.current)), `Image ${index + 1} deleted.`);

  const setAlt = (id: string, alt: string) => setItems((all) => all.map((i) => (i.id === id ? { ...i, alt } : i)));

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    if (!busy) void uploadAll(Array.from(e.dataTransfer.files));
  };

  // The tab sits inside the product form: Enter in a field here must not submit the product.
  const noSubmit = (e: KeyboardEvent) => {
    const target = e.target as HTMLElement;
    if (e.key === "Enter" && target instanceof HTMLInputElement && target.type === "text") e.preventDefault();
  };

  return (
    <Box sx={{ width: "100%", maxWidth: 900 }} onKeyDown={noSubmit}>
      {stale ? <StaleNotice /> : null}
      <Box
        component="section"
        aria-labelledby="image-upload-heading"
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
        sx={{ border: "2px dashed", borderColor: dragging ? "primary.main" : "divider", borderRadius: 1, p: 2, mb: 2 }}
      >
        <Typography id="image-upload-heading" component="h2" variant="subtitle1">
          Add images
        </Typography>
        <Typography variant="body2" sx={{ mb: 1 }}>
          JPEG, PNG or WebP, up to 20 MB each. Choose files or drop them here; they are added after the product's
          current images.
        </Typography>
        <label htmlFor="product-image-files">Choose image files </label>
        <input
          id="product-image-files"
          ref={input}
          type="file"
          multiple
          accept="image/jpeg,image/png,image/webp"
          disabled={busy}
          onChange={(e) => {
            const files = Array.from(e.target.files ?? []);
            e.target.value = "";
            void uploadAll(files);
          }}
        />
        {uploads.length > 0 ? (
          <Box component="ul" aria-label="Uploads" sx={{ listStyle: "none", p: 0, mt: 2 }}>
            {uploads.map((u) => (
              <Box component="li" key={u.key} sx={{ mb: 1 }}>
                <Typography variant="body2">
                  {u.name}:{" "}
                  {u.state === "waiting" ? "waiting" : u.state === "sending" ? `sending ${u.progress}%` : u.state === "processing" ? "processing…" : u.state === "done" ? "added" : "not added"}
                </Typography>
                {u.state === "sending" || u.state === "processing" ? (
                  <LinearProgress
                    variant={u.state === "sending" ? "determinate" : "indeterminate"}
                    value={u.progress}
                    aria-label={`Uploading ${u.name}`}
                  />
                ) : null}
                {u.state === "refused" && u.problem && u.problem.status !== 412 ? (
                  <Alert severity="error" role="alert">
                    {u.name}: {u.problem.detail}
                  </Alert>
                ) : null}
              </Box>
            ))}
          </Box>
        ) : null}
      </Box>

      {error ? (
        <Alert severity="error" role="alert" sx={{ mb: 2 }}>
          {error}
        </Alert>
      ) : null}
      <Box role="status" aria-live="polite" sx={{ position: "absolute", left: -10000, width: 1, height: 1, overflow: "hidden" }}>
        {announcement}
      </Box>

      <section aria-labelledby="image-list-heading">
        <Typography id="image-list-heading" component="h2" variant="subtitle1">
          Images ({items.length})
        </Typography>
        {items.length === 0 ? <Typography variant="body2">No images yet: the shop shows a placeholder.</Typography> : null}
        <Box component="ol" sx={{ p: 0, listStyle: "none" }} aria-label="Product images">
          {uploaded.map((item, index) => (
            <Box component="li" key={item.id} sx={{ display: "flex", gap: 2, alignItems: "center", mb: 2 }}>
              <img src={item.thumb} alt="" width={96} height={Math.max(1, Math.round((96 * item.height) / item.width))} style={{ objectFit: "cover", maxHeight: 128 }} />
              <Stack spacing={1} sx={{ flex: 1 }}>
                <Typography variant="body2">
                  Image {index + 1}
                  {items[0]?.id === item.id ? " (main image)" : ""} · {item.width} × {item.height}
                </Typography>
                <Stack direction="row" spacing={1} sx={{ alignItems: "center" }}>
                  <TextField
                    size="small"
                    label={`Alt text of image ${index + 1}`}
                    value={item.alt}
                    onChange={(e) => setAlt(item.id!, e.target.value)}
                    helperText="What the picture shows, for people who cannot see it"
                    slotProps={{ htmlInput: { maxLength: 300 } }}
                    sx={{ flex: 1 }}
                  />
                  <Button type="button" size="small" variant="outlined" disabled={busy || item.alt === item.savedAlt}
                    onClick={() => void saveOrder(uploaded, `Alt text of image ${index + 1} saved.`)}>
                    Save alt text
                  </Button>
                </Stack>
                <Stack direction="row" spacing={1}>
                  <Button type="button" size="small" disabled={busy || index === 0} onClick={() => move(index, -1)} aria-label={`Move up image ${index + 1}`}>
                    Move up
                  </Button>
                  <Button type="button" size="small" disabled={busy || index === uploaded.length - 1} onClick={() => move(index, 1)} aria-label={`Move down image ${index + 1}`}>
                    Move down
                  </Button>
                  <Button type="button" size="small" color="error" disabled={busy} onClick={() => void remove(item, index)} aria-label={`Delete image ${index + 1}`}>
                    Delete
                  </Button>
                </Stack>
              </Stack>
            </Box>
          ))}
          {byUrl.map((item) => (
            <Box component="li" key={item.url} sx={{ display: "flex", gap: 2, alignItems: "center", mb: 2 }}>
              <img src={item.thumb} alt="" width={96} height={Math.max(1, Math.round((96 * item.height) / item.width))} style={{ objectFit: "cover", maxHeight: 128 }} />
              <Typography variant="body2">
                Linked by URL ({item.alt || "no alt text"}): shown after the uploaded images; change it through the product's API.
              </Typography>
            </Box>
          ))}
        </Box>
      </section>
    </Box>
  );
}
