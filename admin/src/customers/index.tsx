// Customers: list and detail (orders, addresses, consent history); GDPR export downloads the JSON, and
// erasure waits behind a typed confirmation: the button is enabled once the customer's email is typed. "Move to
// region…" (MoveRegion.tsx) moves their personal data to the other region's vault, behind the same kind of confirmation.
import { useState } from "react";
import { Datagrid, DateField, FunctionField, Labeled, List, NumberField, Show, SimpleShowLayout, TextField, TextInput, useNotify, useRecordContext, useRefresh } from "react-admin";
import { Alert, Button, Dialog, DialogActions, DialogContent, DialogTitle, Stack, Table, TableBody, TableCell, TableHead, TableRow, TextField as MuiTextField, Typography } from "@mui/material";
import { Link } from "react-router";
import PeopleIcon from "@mui/icons-material/People";
import { api } from "../data/http";
import { toHttpError } from "../data/index";
import { formatMoney } from "../orders/money";
import { StatusChip } from "../orders";
import { MoveRegionButton } from "./MoveRegion";

/* eslint-disable @typescript-eslint/no-explicit-any */
const filters = [
  <TextInput
    key="q"
    source="q"
    label="Find by email"
    helperText="Type the whole email address. Names cannot be searched: they are kept encrypted."
    alwaysOn
  />,
];

const CustomerList = () => (
  <List
    title="Customers"
    filters={filters}
    perPage={25}
    exporter={false}
    sort={{ field: "id", order: "DESC" }}
    empty={<Typography sx={{ p: 2 }}>No customers yet: people who register in the shop show here.</Typography>}
  >
    <Datagrid rowClick="show" bulkActionButtons={false}>
      {/* a link, not only the row's click: keyboard users reach it with Tab and open it with Enter */}
      <FunctionField label="Email" render={(r: any) => <Link to={`/customers/${r.id}/show`} onClick={(e) => e.stopPropagation()}>{r.email}</Link>} />
      <FunctionField label="Name" render={(r: any) => [r.firstName, r.lastName].filter(Boolean).join(" ")} />
      <NumberField source="orderCount" label="Orders" sortable={false} />
      <DateField source="createdAt" label="Registered" sortable={false} />
      <FunctionField label="State" render={(r: any) => (r.erasedAt ? "erased" : r.emailConfirmed ? "confirmed" : "unconfirmed")} />
    </Datagrid>
  </List>
);

function ExportButton() {
  const customer = useRecordContext<any>();
  const notify = useNotify();
  if (!customer || customer.erasedAt) return null;
  const download = async () => {
    try {
      const data = await api.exportCustomerData(customer.id);
      const url = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: "application/json" }));
      const a = document.createElement("a");
      a.href = url;
      a.download = `customer-${customer.id}.json`;
      a.click();
      URL.revokeObjectURL(url);
      notify("The export was downloaded.", { type: "success" });
    } catch (error) {
      notify(toHttpError(error).message, { type: "error" });
    }
  };
  return (
    <Button variant="outlined" onClick={download}>
      Export data (JSON)
    </Button>
  );
}

function EraseButton() {
  const customer = useRecordContext<any>();
  const notify = useNotify();
  const refresh = useRefresh();
  const [open, setOpen] = useState(false);
  const [typed, setTyped] = useState("");
  const [busy, setBusy] = useState(false);
  if (!customer || customer.erasedAt) return null;
  const matches = typed.trim().toLowerCase() === String(customer.email).toLowerCase();
  const erase = async () => {
    setBusy(true);
    try {
      await api.eraseCustomer(customer.id);
      notify("The customer's personal data was erased.", { type: "success" });
      setOpen(false);
      refresh();
    } catch (error) {
      notify(toHttpError(error).message, { type: "error", autoHideDuration: 10000 });
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Button variant="outlined" color="error" onClick={() => { setTyped(""); setOpen(true); }}>
        Erase customer
      </Button>
      <Dialog open={open} onClose={() => setOpen(false)} aria-labelledby="erase-title" fullWidth maxWidth="sm">
        <DialogTitle id="erase-title">Erase {customer.email}?</DialogTitle>
        <DialogContent>
          <Stack spacing={2} sx={{ pt: 1 }}>
            <Alert severity="warning">
              This cannot be undone. The account, its addresses, consents and sessions are removed; orders keep only their number, amounts and destination country.
            </Alert>
            <MuiTextField label="Type the customer's email to confirm" value={typed} onChange={(e) => setTyped(e.target.value)} autoFocus autoComplete="off" />
          </Stack>
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setOpen(false)}>Keep the customer</Button>
          <Button variant="contained" color="error" disabled={!matches || busy} onClick={erase}>
            Erase permanently
          </Button>
        </DialogActions>
      </Dialog>
    </>
  );
}

function Orders() {
  const c = useRecordContext<any>();
  const orders: any[] = c?.orders ?? [];
  if (orders.length === 0) return <Typography variant="body2">No orders.</Typography>;
  return (
    <Table size="small" aria-label="Customer's orders">
      <TableHead>
        <TableRow>
          <TableCell>Order</TableCell>
          <TableCell>Placed</TableCell>
          <TableCell>Status</TableCell>
          <TableCell align="right">Total</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {orders.map((o) => (
          <TableRow key={o.id}>
            <TableCell>
              <Link to={`/orders/${o.id}/show`}>{o.number}</Link>
            </TableCell>
            <TableCell>{new Date(o.createdAt).toLocaleString()}</TableCell>
            <TableCell>
              <StatusChip status={o.status} />
            </TableCell>
            <TableCell align="right">{formatMoney(o.total)}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

function Addresses() {
  const c = useRecordContext<any>();
  const list: any[] = c?.addresses ?? [];
  if (list.length === 0) return <Typography variant="body2">No saved addresses.</Typography>;
  return (
    <ul>
      {list.map((a) => (
        <li key={a.id}>
          {a.kind}
          {a.isDefault ? " (default)" : ""}: {[a.fullName, a.line1, a.line2, `${a.postalCode} ${a.city}`, a.region, a.country].filter((x) => x && String(x).trim()).join(", ")}
        </li>
      ))}
    </ul>
  );
}

function Consents() {
  const c = useRecordContext<any>();
  const list: any[] = c?.consentHistory ?? [];
  if (list.length === 0) return <Typography variant="body2">No consent given or withdrawn.</Typography>;
  return (
    <Table size="small" aria-label="Consent history">
      <TableHead>
        <TableRow>
          <TableCell>When</TableCell>
          <TableCell>Purpose</TableCell>
          <TableCell>Choice</TableCell>
          <TableCell>Policy</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {list.map((r, i) => (
          <TableRow key={i}>
            <TableCell>{new Date(r.at).toLocaleString()}</TableCell>
            <TableCell>{r.purpose}</TableCell>
            <TableCell>{r.granted ? "granted" : "withdrawn"}</TableCell>
            <TableCell>{r.policyVersion}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

const Title = () => {
  const c = useRecordContext<any>();
  return <span>Customer {c?.email ?? ""}</span>;
};

const CustomerShow = () => (
  <Show title={<Title />}>
    <SimpleShowLayout>
      <Stack direction="row" spacing={1}>
        <ExportButton />
        <MoveRegionButton />
        <EraseButton />
      </Stack>
      <TextField source="email" />
      <FunctionField label="Name" render={(r: any) => [r.firstName, r.lastName].filter(Boolean).join(" ") || "—"} />
      <FunctionField label="Data kept in region" render={(r: any) => r.region ?? "—"} />
      <FunctionField label="Roles" render={(r: any) => (r.roles ?? []).join(", ")} />
      <DateField source="createdAt" label="Registered" showTime />
      <DateField source="erasedAt" label="Erased" showTime emptyText="—" />
      <Labeled label={`Orders`}>
        <FunctionField render={(r: any) => `${r.orderCount} in all${r.orderCount > (r.orders?.length ?? 0) ? `, the newest ${r.orders.length} shown` : ""}`} />
      </Labeled>
      <Orders />
      <Labeled label="Addresses">
        <Addresses />
      </Labeled>
      <Labeled label="Consent history">
        <Consents />
      </Labeled>
    </SimpleShowLayout>
  </Show>
);

export const customerScreens = { list: CustomerList, show: CustomerShow, icon: PeopleIcon, recordRepresentation: "email" };
