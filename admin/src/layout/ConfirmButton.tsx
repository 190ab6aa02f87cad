// A small button that asks first: a dialog with the consequence in words, Close, and the confirming action
// (busy while it runs). Clicks do not reach the row under it (lists open a record on a row click).
import { useState } from "react";
import { Button, Dialog, DialogActions, DialogContent, DialogTitle, Typography } from "@mui/material";

export function ConfirmButton(props: { label: string; title: string; text: string; confirm: string; color?: "error" | "primary"; onConfirm: () => Promise<void> }) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const id = `confirm-${props.title.replace(/\W+/g, "-").toLowerCase()}`;
  const color = props.color ?? "error";
  return (
    <>
      <Button size="small" color={color} onClick={(e) => { e.stopPropagation(); setOpen(true); }}>
        {props.label}
      </Button>
      <Dialog open={open} onClose={() => setOpen(false)} aria-labelledby={id} onClick={(e) => e.stopPropagation()}>
        <DialogTitle id={id}>{props.title}</DialogTitle>
        <DialogContent>
          <Typography>{props.text}</Typography>
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setOpen(false)}>Close</Button>
          <Button
            color={color}
            variant="contained"
            disabled={busy}
            onClick={async () => {
              setBusy(true);
              try {
                await props.onConfirm();
                setOpen(false);
              } finally {
                setBusy(false);
              }
            }}
          >
            {props.confirm}
          </Button>
        </DialogActions>
      </Dialog>
    </>
  );
}
