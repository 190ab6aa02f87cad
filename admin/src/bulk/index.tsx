// Bulk changes: from the product list, change the selected products (or every product matching the list's
// filter) in one background job, then follow its progress and cancel it on the job's page.
import { useEffect, useState } from "react";
import { Show, SimpleShowLayout, TextField, useListContext, useNotify, useRecordContext, useRefresh } from "react-admin";
import { useNavigate } from "react-router";
import {
  Button,
  Checkbox,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  FormControlLabel,
  LinearProgress,
  MenuItem,
  TextField as MuiTextField,
} from "@mui/material";
import { cancelBulkJob, startBulkJob, type BulkChange } from "./handlers";

/* eslint-disable @typescript-eslint/no-explicit-any */
const actions = [
  { id: "set_status", name: "Set status" },
  { id: "change_price_percent", name: "Change price by a percentage" },
  { id: "set_price", name: "Set price (cents)" },
  { id: "add_category", name: "Add to category (id)" },
  { id: "remove_category", name: "Remove from category (id)" },
  { id: "set_stock", name: "Set stock" },
  { id: "adjust_stock", name: "Adjust stock by" },
];

/** The product list's bulk button: pick a change, apply it to the selection or to all matching products. */
export function BulkChangeButton() {
  const { selectedIds = [], filterValues, onUnselectItems } = useListContext();
  const notify = useNotify();
  const navigate = useNavigate();
  const [open, setOpen] = useState(false);
  const [allMatching, setAllMatching] = useState(selectedIds.length === 0);
  const [change, setChange] = useState<BulkChange>({ action: "change_price_percent" });
  const [value, setValue] = useState("");
  const [reason, setReason] = useState("");
  const start = async () => {
    const body: BulkChange = { action: change.action };
    if (change.action === "set_status") body.status = value || "draft";
    if (change.action === "change_price_percent") body.percent = Number(value);
    if (change.action === "set_price") body.amount = Number(value);
    if (change.action === "add_category" || change.action === "remove_category") body.categoryId = value;
    if (change.action === "set_stock" || change.action === "adjust_stock") {
      body.quantity = Number(value);
      body.reason = reason;
    }
    try {
      const job = await startBulkJob(body, allMatching ? { filter: filterValues } : { ids: selectedIds.map(String) });
      setOpen(false);
      onUnselectItems();
      navigate(`/bulk/${job.id}/show`);
    } catch (e: any) {
      const fields = e?.errors ? Object.values(e.errors).flat().join(" ") : "";
      notify(fields || e?.detail || e?.message || "The change was not started. Check the values and try again.", { type: "error" });
    }
  };
  return (
    <>
      <Button onClick={() => { setAllMatching(selectedIds.length === 0); setOpen(true); }}>Bulk change…</Button>
      <Dialog open={open} onClose={() => setOpen(false)} aria-labelledby="bulk-title" fullWidth>
        <DialogTitle id="bulk-title">Change {allMatching ? "all matching products" : `${selectedIds.length} selected products`}</DialogTitle>
        <DialogContent>
          <FormControlLabel control={<Checkbox checked={allMatching} onChange={(e) => setAllMatching(e.target.checked)} />}
            label="All products matching the list's filters, not only the selected" />
          <MuiTextField select fullWidth margin="dense" label="Change" value={change.action} onChange={(e) => { setChange({ action: e.target.value }); setValue(""); }}>
            {actions.map((a) => <MenuItem key={a.id} value={a.id}>{a.name}</MenuItem>)}
          </MuiTextField>
          {change.action === "set_status" ? (
            <MuiTextField select fullWidth margin="dense" label="Status" value={value || "draft"} onChange={(e) => setValue(e.target.value)}>
              <MenuItem value="draft">Draft</MenuItem><MenuItem value="active">Active</MenuItem><MenuItem value="archived">Archived</MenuItem>
            </MuiTextField>
          ) : (
            <MuiTextField fullWidth margin="dense" label={change.action === "change_price_percent" ? "Percent (e.g. -10)" : "Value"}
              value={value} onChange={(e) => setValue(e.target.value)} />
          )}
          {(change.action === "set_stock" || change.action === "adjust_stock") && (
            <MuiTextField fullWidth margin="dense" label="Reason" value={reason} onChange={(e) => setReason(e.target.value)} />
          )}
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setOpen(false)}>Cancel</Button>
          <Button variant="contained" onClick={start}>Start</Button>
        </DialogActions>
      </Dialog>
    </>
  );
}

/** Progress of a running job, refreshed every second until it ends; cancel stops it after the current product. */
function Progress() {
  const job = useRecordContext<any>();
  const refresh = useRefresh();
  const notify = useNotify();
  const running = job && (job.status === "queued" || job.status === "running");
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(refresh, 1000);
    return () => clearInterval(timer);
  }, [running, refresh]);
  if (!job) return null;
  return (
    <div>
      <p role="status">{job.status}: {job.processed} of {job.total ?? "?"} products ({job.succeeded} done, {job.failed} failed)</p>
      <LinearProgress variant="determinate" value={job.percent ?? 0} aria-label="Progress" />
      {running && !job.cancelRequested && (
        <Button onClick={async () => { await cancelBulkJob(job.id); notify("Cancelling: the products not reached stay unchanged."); refresh(); }}>
          Cancel job
        </Button>
      )}
      {job.errors?.length > 0 && (
        <ul aria-label="Errors">{job.errors.map((e: any, i: number) => <li key={i}>{e.item}: {e.message}</li>)}</ul>
      )}
    </div>
  );
}

const BulkJobShow = () => (
  <Show title="Bulk change">
    <SimpleShowLayout>
      <TextField source="id" label="Job" />
      <Progress />
    </SimpleShowLayout>
  </Show>
);

export const bulkScreens = { show: BulkJobShow };
