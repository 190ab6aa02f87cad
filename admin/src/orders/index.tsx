// Orders: the list with status, date, customer and total filters; the detail with lines, payment,
// shipment, the timeline of every transition, and the actions the order's status allows.
import {
  Datagrid,
  DateField,
  DateTimeInput,
  FunctionField,
  Labeled,
  List,
  NumberField,
  NumberInput,
  SelectInput,
  Show,
  SimpleShowLayout,
  TextField,
  TextInput,
  useRecordContext,
} from "react-admin";
import { Box, Chip, Grid, Table, TableBody, TableCell, TableHead, TableRow, Typography } from "@mui/material";
import { Link } from "react-router";
import OrdersIcon from "@mui/icons-material/ShoppingCart";
import { OrderActions } from "./OrderActions";
import { formatMoney } from "./money";

/* eslint-disable @typescript-eslint/no-explicit-any */
export const statuses = ["pending_payment", "paid", "fulfilled", "delivered", "canceled", "refunded", "partially_refunded"].map((id) => ({
  id,
  name: id.replace("_", " "),
}));

const filters = [
  <SelectInput key="status" source="status" choices={statuses} alwaysOn emptyText="Any status" />,
  <TextInput key="customer" source="customer" label="Customer email or id" alwaysOn />,
  <DateTimeInput key="createdFrom" source="createdFrom" label="Placed from" />,
  <DateTimeInput key="createdTo" source="createdTo" label="Placed before" />,
  <NumberInput key="totalMin" source="totalMin" label="Total at least" helperText="in the currency, e.g. 25.00" />,
  <NumberInput key="totalMax" source="totalMax" label="Total at most" helperText="in the currency, e.g. 100.00" />,
  <TextInput key="number" source="number" label="Order number" />,
];

export const StatusChip = ({ status }: { status?: string }) => <Chip size="small" label={(status ?? "").replace("_", " ")} />;

const OrderList = () => (
  <List
    title="Orders"
    filters={filters}
    perPage={25}
    sort={{ field: "createdAt", order: "DESC" }}
    exporter={false}
    empty={<Typography sx={{ p: 2 }}>No orders yet: orders placed in the shop show here, newest first.</Typography>}
  >
    <Datagrid rowClick="show" bulkActionButtons={false}>
      {/* a link, not only the row's click: keyboard users reach it with Tab and open it with Enter */}
      <FunctionField label="Number" render={(r: any) => <Link to={`/orders/${r.id}/show`} onClick={(e) => e.stopPropagation()}>{r.number}</Link>} />
      <DateField source="createdAt" label="Placed" showTime sortable={false} />
      <FunctionField label="Status" render={(r: any) => <StatusChip status={r.status} />} />
      <TextField source="email" label="Customer" sortable={false} />
      <NumberField source="itemCount" label="Items" sortable={false} />
      <FunctionField label="Total" render={(r: any) => formatMoney(r.total)} />
    </Datagrid>
  </List>
);

const kindLabels: Record<string, string> = {
  placed: "Placed",
  payment_started: "Payment started",
  payment_processing: "Payment processing",
  payment_failed: "Payment failed",
  payment_mismatch: "Payment amount mismatch",
  paid: "Paid",
  shipped: "Shipped",
  delivered: "Delivered",
  canceled: "Canceled",
  refund_requested: "Refund requested",
  refund_failed: "Refund refused",
  refunded: "Refunded",
  note: "Note",
};

function Timeline() {
  const order = useRecordContext<any>();
  const items: any[] = order?.timeline ?? [];
  return (
    <Box component="ol" aria-label="Timeline" sx={{ listStyle: "none", p: 0, m: 0 }}>
      {items.map((e, i) => (
        <Box component="li" key={i} sx={{ borderLeft: 3, borderColor: "primary.main", pl: 2, pb: 1.5 }}>
          <Typography variant="subtitle2" component="p">
            {kindLabels[e.kind] ?? e.kind}
            {e.amount ? ` · ${formatMoney(e.amount)}` : ""}
            {e.carrier ? ` · ${e.carrier} ${e.trackingNumber ?? ""}` : ""}
          </Typography>
          <Typography variant="body2" component="p">
            {new Date(e.at).toLocaleString()} · {e.actorEmail ?? e.actor}
            {e.note ? ` · ${e.note}` : ""}
          </Typography>
        </Box>
      ))}
    </Box>
  );
}

function Lines() {
  const order = useRecordContext<any>();
  if (!order) return null;
  const t = order.totals ?? {};
  const row = (label: string, money: any) => (
    <TableRow>
      <TableCell colSpan={3}>{label}</TableCell>
      <TableCell align="right">{formatMoney(money)}</TableCell>
    </TableRow>
  );
  return (
    <Table size="small" aria-label="Order lines">
      <TableHead>
        <TableRow>
          <TableCell>Item</TableCell>
          <TableCell>SKU</TableCell>
          <TableCell align="right">Quantity</TableCell>
          <TableCell align="right">Total</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {(order.lines ?? []).map((l: any) => (
          <TableRow key={l.sku}>
            <TableCell>
              {l.title}
              {l.variantTitle ? ` (${l.variantTitle})` : ""} · {formatMoney(l.unitPrice)}
            </TableCell>
            <TableCell>{l.sku}</TableCell>
            <TableCell align="right">{l.quantity}</TableCell>
            <TableCell align="right">{formatMoney(l.lineTotal)}</TableCell>
          </TableRow>
        ))}
        {row("Subtotal", t.subtotal)}
        {t.discount?.amount ? row("Discount", t.discount) : null}
        {row(`Shipping (${order.shippingMethodName})`, t.shipping)}
        {row(t.taxIncluded ? "Tax included" : "Tax", t.tax)}
        {row("Total", t.total)}
        {t.refunded?.amount ? row("Refunded", t.refunded) : null}
      </TableBody>
    </Table>
  );
}

const address = (a: any) => (a ? [a.fullName, a.line1, a.line2, `${a.postalCode ?? ""} ${a.city ?? ""}`, a.region, a.country].filter((x) => x && String(x).trim()).join(", ") : "");

const OrderShow = () => (
  <Show title={<OrderTitle />}>
    <SimpleShowLayout>
      <OrderActions />
      <Grid container spacing={2}>
        <Grid size={{ xs: 12, md: 7 }}>
          <Typography variant="h6" component="h2">
            Lines
          </Typography>
          <Lines />
        </Grid>
        <Grid size={{ xs: 12, md: 5 }}>
          <Typography variant="h6" component="h2">
            Order
          </Typography>
          <Labeled label="Status">
            <FunctionField render={(r: any) => <StatusChip status={r.status} />} />
          </Labeled>
          <Labeled label="Customer">
            <TextField source="email" />
          </Labeled>
          <Labeled label="Payment">
            <FunctionField render={(r: any) => `${r.paymentStatus}${r.paidAt ? `, paid ${new Date(r.paidAt).toLocaleString()}` : ""}`} />
          </Labeled>
          <Labeled label="Shipment">
            <FunctionField render={(r: any) => (r.shipment ? `${r.shipment.carrier}, tracking ${r.shipment.trackingNumber}` : "Not shipped")} />
          </Labeled>
          <Labeled label="Ship to">
            <FunctionField render={(r: any) => address(r.shippingAddress)} />
          </Labeled>
          <Typography variant="h6" component="h2" sx={{ mt: 2 }}>
            Timeline
          </Typography>
          <Timeline />
        </Grid>
      </Grid>
    </SimpleShowLayout>
  </Show>
);

const OrderTitle = () => {
  const order = useRecordContext<any>();
  return <span>Order {order?.number ?? ""}</span>;
};

export const orderScreens = { list: OrderList, show: OrderShow, icon: OrdersIcon, recordRepresentation: "number" };
