// "Move to region…": copies the customer's personal data into the other region's vault, verifies the copy, then shreds
// the old one (POST /admin/customers/{id}/region-move). Behind a typed confirmation like erasure's; sends the customer's
// version in If-Match, so a customer changed meanwhile gets the 412 explanation rather than a blind move.
import { useState } from "react";
import { Alert, Button, Dialog, DialogActions, DialogContent, DialogTitle, FormControl, FormControlLabel, FormLabel, LinearProgress, Radio, RadioGroup, Stack, TextField, Typography } from "@mui/material";
import { useRecordContext, useRefresh } from "react-admin";
import { CustomerRegionMoveRequest } from "../../../sdk/typescript/headless-client";
import { api, withIfMatch } from "../data/http";
import { toHttpError } from "../data/index";
import { versionETag } from "../data/handler";
import { StaleNotice } from "../data/saveErrors";

/* eslint-disable @typescript-eslint/no-explicit-any */
const regions = [
  { id: "eu", name: "EU (EU/EEA, UK, Switzerland)" },
  { id: "us", name: "US (everyone else)" },
];

type Outcome = { kind: "moved"; text: string } | { kind: "stale" } | { kind: "error"; text: string };

export function MoveRegionButton() {
  const customer = useRecordContext<any>();
  const refresh = useRefresh();
  const [open, setOpen] = useState(false);
  const [target, setTarget] = useState("");
  const [typed, setTyped] = useState("");
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  if (!customer || customer.erasedAt || !customer.region) return null;
  const matches = typed.trim().toLowerCase() === String(customer.email).toLowerCase();
  const start = () => {
    setTarget(regions.find((r) => r.id !== customer.region)!.id);
    setTyped("");
    setOutcome(null);
    setOpen(true);
  };
  const close = () => {
    setOpen(false);
    if (outcome?.kind === "moved") refresh();
  };
  const move = async () => {
    setBusy(true);
    setOutcome(null);
    try {
      const moved = await withIfMatch(versionETag(customer), () => api.moveCustomerRegion(customer.id, new CustomerRegionMoveRequest({ region: target })));
      setOutcome({ kind: "moved", text: `Moved from ${moved.fromRegion} to ${moved.region}. The ${moved.fromRegion} copy is shredded.` });
    } catch (error) {
      const problem = toHttpError(error);
      setOutcome(problem.status === 412 ? { kind: "stale" } : { kind: "error", text: problem.message });
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Button variant="outlined" onClick={start}>
        Move to region…
      </Button>
      <Dialog open={open} onClose={busy ? undefined : close} aria-labelledby="move-region-title" fullWidth maxWidth="sm">
        <DialogTitle id="move-region-title">Move {customer.email} to another region</DialogTitle>
        <DialogContent>
          <Stack spacing={2} sx={{ pt: 1 }}>
            {outcome?.kind !== "moved" && (
              <>
                <Typography variant="body2">
                  Their personal data is kept in the {customer.region} region now. The move copies it into the other region's vault, checks the copy field by
                  field, switches the account and its orders over, and then shreds the {customer.region} copy. Sign-in and order history keep working.
                </Typography>
                <FormControl disabled={busy}>
                  <FormLabel id="move-region-target">Move to</FormLabel>
                  <RadioGroup aria-labelledby="move-region-target" value={target} onChange={(e) => setTarget(e.target.value)}>
                    {regions.map((r) => (
                      <FormControlLabel key={r.id} value={r.id} control={<Radio />} label={r.id === customer.region ? `${r.name}: where they are now` : r.name} disabled={r.id === customer.region} />
                    ))}
                  </RadioGroup>
                </FormControl>
                <TextField
                  label="Type the customer's email to confirm"
                  value={typed}
                  onChange={(e) => setTyped(e.target.value)}
                  autoFocus
                  autoComplete="off"
                  disabled={busy}
                />
              </>
            )}
            {busy && (
              <Stack spacing={1} role="status">
                <Typography variant="body2">Copying, verifying and shredding…</Typography>
                <LinearProgress aria-label="Moving the customer" />
              </Stack>
            )}
            {outcome?.kind === "moved" && (
              <Alert severity="success" role="status">
                {outcome.text}
              </Alert>
            )}
            {outcome?.kind === "stale" && <StaleNotice />}
            {outcome?.kind === "error" && (
              <Alert severity="error" role="alert">
                {outcome.text}
              </Alert>
            )}
          </Stack>
        </DialogContent>
        <DialogActions>
          <Button onClick={close} disabled={busy}>
            {outcome?.kind === "moved" ? "Close" : "Cancel"}
          </Button>
          {outcome?.kind !== "moved" && (
            <Button variant="contained" disabled={!matches || busy || !target || target === customer.region} onClick={move}>
              Move to {target}
            </Button>
          )}
        </DialogActions>
      </Dialog>
    </>
  );
}
