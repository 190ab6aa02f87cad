// Inventory screens: stock per SKU with a low-stock view, adjust with a reason, the ledger, the threshold.
import { useState, useEffect } from "react";
import {
  BooleanField,
  BooleanInput,
  Datagrid,
  DateField,
  Edit,
  List,
  NumberField,
  NumberInput,
  SearchInput,
  SimpleForm,
  SaveButton,
  TextField,
  Toolbar,
  useNotify,
  useRecordContext,
  useRefresh,
  required,
  minValue,
} from "react-admin";
import { Button, Dialog, DialogActions, DialogContent, DialogTitle, Table, TableBody, TableCell, TableHead, TableRow, TextField as MuiTextField } from "@mui/material";
import InventoryIcon from "@mui/icons-material/Inventory";
import { adjustStock, ledgerPage } from "./handlers";
import { useSaveErrorHandler } from "../data/saveErrors";

/* eslint-disable @typescript-eslint/no-explicit-any */
const filters = [
  <SearchInput key="q" source="q" alwaysOn placeholder="SKU or product title" />,
  <BooleanInput key="lowStock" source="lowStock" label="Low stock only" alwaysOn />,
];

/** Add or remove units with a reason (a delivery, a breakage); the ledger records it. */
export function AdjustButton() {
  const record = useRecordContext<any>();
  const notify = useNotify();
  const refresh = useRefresh();
  const [open, setOpen] = useState(false);
  const [delta, setDelta] = useState("");
  const [reason, setReason] = useState("");
  if (!record) return null;
  const save = async () => {
    try {
      await adjustStock(record.sku, Number(delta), reason);
      notify(`Stock of ${record.sku} changed by ${delta}.`, { type: "success" });
      setOpen(false);
      refresh();
    } catch (e: any) {
      notify(e?.detail || e?.message || "The stock was not changed. Check the numbers and try again.", { type: "error" });
    }
  };
  return (
    <>
      <Button size="small" onClick={(e) => { e.stopPropagation(); setOpen(true); }}>Adjust</Button>
      <Dialog open={open} onClose={() => setOpen(false)} onClick={(e) => e.stopPropagation()} aria-labelledby="adjust-title">
        <DialogTitle id="adjust-title">Adjust stock of {record.sku}</DialogTitle>
        <DialogContent>
          <MuiTextField autoFocus margin="dense" label="Change (e.g. 12 or -3)" type="number" value={delta} onChange={(e) => setDelta(e.target.value)} fullWidth />
          <MuiTextField margin="dense" label="Reason" value={reason} onChange={(e) => setReason(e.target.value)} fullWidth helperText="Shown in the stock ledger, e.g. delivery, breakage" />
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setOpen(false)}>Cancel</Button>
          <Button onClick={save} disabled={!delta || Number(delta) === 0 || !reason.trim()} variant="contained">Save</Button>
        </DialogActions>
      </Dialog>
    </>
  );
}

const InventoryList = () => (
  <List title="Inventory" filters={filters} perPage={50} sort={{ field: "sku", order: "ASC" }}>
    <Datagrid rowClick="edit" bulkActionButtons={false}>
      <TextField source="sku" label="SKU" sortable={false} />
      <TextField source="productTitle" label="Product" sortable={false} />
      <TextField source="variantTitle" label="Variant" sortable={false} />
      <NumberField source="onHand" label="On hand" sortable={false} />
      <NumberField source="reserved" sortable={false} />
      <NumberField source="available" sortable={false} />
      <NumberField source="lowStockThreshold" label="Low at" sortable={false} />
      <BooleanField source="lowStock" label="Low" sortable={false} />
      <AdjustButton />
    </Datagrid>
  </List>
);

/** The SKU's stock ledger, newest first, 50 at a time. */
export function Ledger() {
  const record = useRecordContext<any>();
  const [items, setItems] = useState<any[]>([]);
  const [next, setNext] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    if (!record?.sku) return;
    ledgerPage(record.sku).then((p) => { setItems(p.items); setNext(p.nextCursor); }, () => setError("The ledger could not be loaded. Reload the page."));
  }, [record?.sku, record?.version]);
  if (!record) return null;
  return (
    <section aria-labelledby="ledger-title">
      <h2 id="ledger-title">Stock ledger</h2>
      {error && <p role="alert">{error}</p>}
      <Table size="small">
        <TableHead>
          <TableRow>
            <TableCell>When</TableCell><TableCell>On hand change</TableCell><TableCell>On hand</TableCell>
            <TableCell>Reserved change</TableCell><TableCell>Reason</TableCell><TableCell>By</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {items.map((e) => (
            <TableRow key={e.id}>
              <TableCell>{new Date(e.createdAt).toLocaleString()}</TableCell>
              <TableCell>{e.onHandDelta > 0 ? `+${e.onHandDelta}` : e.onHandDelta}</TableCell>
              <TableCell>{e.onHand}</TableCell>
              <TableCell>{e.reservedDelta > 0 ? `+${e.reservedDelta}` : e.reservedDelta}</TableCell>
              <TableCell>{e.reason}</TableCell>
              <TableCell>{e.actor}</TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
      {next && (
        <Button onClick={() => ledgerPage(record.sku, next).then((p) => { setItems([...items, ...p.items]); setNext(p.nextCursor); })}>Older entries</Button>
      )}
    </section>
  );
}

function InventoryEdit() {
  const onError = useSaveErrorHandler();
  return (
    <Edit title="Stock" mutationMode="pessimistic" mutationOptions={{ onError }}>
      <SimpleForm toolbar={<Toolbar><SaveButton alwaysEnable /></Toolbar>}>
        <TextField source="sku" label="SKU" />
        <TextField source="productTitle" label="Product" />
        <NumberField source="available" />
        <NumberInput source="lowStockThreshold" label="Low-stock threshold" validate={[required(), minValue(0)]}
          helperText="The SKU shows as low stock when available units are at or below this" />
        <AdjustButton />
        <Ledger />
        <DateField source="updatedAt" showTime label="Last change" />
      </SimpleForm>
    </Edit>
  );
}

export const inventoryScreens = { list: InventoryList, edit: InventoryEdit, icon: InventoryIcon };
