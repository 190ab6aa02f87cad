// Ship, deliver, cancel and refund: each sends the order's version (as shown) in If-Match, so an order a
// colleague or a payment webhook changed meanwhile is not acted on blindly: the 412 says reload and compare.
import { useState, type ReactNode } from "react";
import { Button, Dialog, DialogActions, DialogContent, DialogTitle, FormControlLabel, Radio, RadioGroup, Stack, TextField } from "@mui/material";
import { useNotify, useRecordContext, useRefresh } from "react-admin";
import { CancelOrderRequest, RefundRequest, ShipOrderRequest } from "../../../sdk/typescript/headless-client";
import { api, withIfMatch } from "../data/http";
import { toHttpError } from "../data/index";
import { versionETag } from "../data/handler";
import { StaleNotice } from "../data/saveErrors";
import { formatMoney, fractionDigits, parseMoney } from "./money";

/* eslint-disable @typescript-eslint/no-explicit-any */
function useAction() {
  const notify = useNotify();
  const refresh = useRefresh();
  const [busy, setBusy] = useState(false);
  const run = async (work: () => Promise<unknown>, done: string) => {
    setBusy(true);
    try {
      await work();
      notify(done, { type: "success" });
      refresh();
      return true;
    } catch (error) {
      const problem = toHttpError(error);
      if (problem.status === 412) notify(<StaleNotice />, { type: "error", autoHideDuration: null });
      else notify(problem.message, { type: "error", autoHideDuration: 10000 });
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, run };
}

function ActionDialog(props: { title: string; open: boolean; onClose: () => void; onConfirm: () => void; confirm: string; busy: boolean; disabled?: boolean; children: ReactNode }) {
  const id = `dialog-${props.title.replace(/\W+/g, "-").toLowerCase()}`;
  return (
    <Dialog open={props.open} onClose={props.onClose} aria-labelledby={id} fullWidth maxWidth="sm">
      <DialogTitle id={id}>{props.title}</DialogTitle>
      <DialogContent>
        <Stack spacing={2} sx={{ pt: 1 }}>
          {props.children}
        </Stack>
      </DialogContent>
      <DialogActions>
        <Button onClick={props.onClose}>Close</Button>
        <Button variant="contained" onClick={props.onConfirm} disabled={props.busy || props.disabled}>
          {props.confirm}
        </Button>
      </DialogActions>
    </Dialog>
  );
}

function ShipButton({ order }: { order: any }) {
  const [open, setOpen] = useState(false);
  const [carrier, setCarrier] = useState("");
  const [tracking, setTracking] = useState("");
  const { busy, run } = useAction();
  const ship = async () => {
    const ok = await run(
      () => withIfMatch(versionETag(order), () => api.shipOrder(order.id, new ShipOrderRequest({ carrier, trackingNumber: tracking }))),
      `Order ${order.number} is shipped; the customer is emailed.`,
    );
    if (ok) setOpen(false);
  };
  return (
    <>
      <Button variant="contained" onClick={() => setOpen(true)}>
        Ship
      </Button>
      <ActionDialog title={`Ship order ${order.number}`} open={open} onClose={() => setOpen(false)} onConfirm={ship} confirm="Mark shipped" busy={busy} disabled={!carrier.trim() || !tracking.trim()}>
        <TextField label="Carrier" value={carrier} onChange={(e) => setCarrier(e.target.value)} helperText="DHL, UPS, ..." required autoFocus />
        <TextField label="Tracking number" value={tracking} onChange={(e) => setTracking(e.target.value)} helperText="Letters, digits, spaces and dashes" required />
      </ActionDialog>
    </>
  );
}

function DeliverButton({ order }: { order: any }) {
  const { busy, run } = useAction();
  return (
    <Button variant="outlined" disabled={busy} onClick={() => run(() => withIfMatch(versionETag(order), () => api.markOrderDelivered(order.id)), `Order ${order.number} is delivered.`)}>
      Mark delivered
    </Button>
  );
}

function CancelButton({ order }: { order: any }) {
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState("");
  const { busy, run } = useAction();
  const paid = order.status === "paid";
  const cancel = async () => {
    const ok = await run(
      () => withIfMatch(versionETag(order), () => api.cancelOrder(order.id, new CancelOrderRequest({ reason: reason.trim() || undefined }))),
      `Order ${order.number} is canceled${paid ? " and refunded in full" : ""}.`,
    );
    if (ok) setOpen(false);
  };
  return (
    <>
      <Button variant="outlined" color="error" onClick={() => setOpen(true)}>
        Cancel order
      </Button>
      <ActionDialog title={`Cancel order ${order.number}`} open={open} onClose={() => setOpen(false)} onConfirm={cancel} confirm="Cancel the order" busy={busy}>
        <p>{paid ? `The customer is refunded ${formatMoney(order.totals?.total)} in full and the goods go back into stock.` : "The reserved stock goes back on sale."}</p>
        <TextField label="Reason (optional)" value={reason} onChange={(e) => setReason(e.target.value)} slotProps={{ htmlInput: { maxLength: 500 } }} />
      </ActionDialog>
    </>
  );
}

function RefundButton({ order }: { order: any }) {
  const currency = order.totals?.total?.currency ?? "EUR";
  const left = (order.totals?.total?.amount ?? 0) - (order.totals?.refunded?.amount ?? 0);
  const [open, setOpen] = useState(false);
  const [whole, setWhole] = useState("full");
  const [amount, setAmount] = useState("");
  const [reason, setReason] = useState("");
  // One key per refund the dialog was opened for: a retry after a timeout is the same refund, never a second one.
  const [key, setKey] = useState("");
  const { busy, run } = useAction();
  const parsed = whole === "full" ? left : parseMoney(amount, currency);
  const invalid = parsed === null || parsed <= 0 || parsed > left;
  const refund = async () => {
    const ok = await run(
      () => withIfMatch(versionETag(order), () => api.refundOrder(order.id, new RefundRequest({ amount: whole === "full" ? undefined : parsed!, reason: reason.trim() || undefined }), key)),
      `Refunded ${formatMoney({ amount: parsed ?? 0, currency })} of order ${order.number}.`,
    );
    if (ok) setOpen(false);
  };
  return (
    <>
      <Button
        variant="outlined"
        onClick={() => {
          setKey(crypto.randomUUID());
          setOpen(true);
        }}
      >
        Refund
      </Button>
      <ActionDialog title={`Refund order ${order.number}`} open={open} onClose={() => setOpen(false)} onConfirm={refund} confirm="Refund" busy={busy} disabled={invalid}>
        <p>{formatMoney({ amount: left, currency })} can still be refunded.</p>
        <RadioGroup aria-label="How much" value={whole} onChange={(e) => setWhole(e.target.value)}>
          <FormControlLabel value="full" control={<Radio />} label={`Everything left (${formatMoney({ amount: left, currency })})`} />
          <FormControlLabel value="part" control={<Radio />} label="Part of it" />
        </RadioGroup>
        {whole === "part" && (
          <TextField
            label={`Amount in ${currency}`}
            value={amount}
            onChange={(e) => setAmount(e.target.value)}
            error={amount !== "" && invalid}
            helperText={amount !== "" && invalid ? `An amount up to ${formatMoney({ amount: left, currency })}, at most ${fractionDigits(currency)} decimals.` : "For example 12.50"}
            slotProps={{ htmlInput: { inputMode: "decimal" } }}
            autoFocus
          />
        )}
        <TextField label="Reason (optional)" value={reason} onChange={(e) => setReason(e.target.value)} slotProps={{ htmlInput: { maxLength: 500 } }} />
      </ActionDialog>
    </>
  );
}

/** The actions the order's status allows. */
export function OrderActions() {
  const order = useRecordContext<any>();
  if (!order) return null;
  const s = order.status;
  const refundable = ["paid", "fulfilled", "delivered", "partially_refunded", "canceled"].includes(s) && order.paymentStatus === "succeeded" && order.totals?.refunded?.amount < order.totals?.total?.amount;
  return (
    <Stack direction="row" spacing={1} sx={{ my: 1 }} aria-label="Order actions">
      {s === "paid" && <ShipButton order={order} />}
      {s === "fulfilled" && <DeliverButton order={order} />}
      {refundable && <RefundButton order={order} />}
      {(s === "pending_payment" || s === "paid") && <CancelButton order={order} />}
    </Stack>
  );
}
