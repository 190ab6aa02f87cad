// Imports: upload a Shopify product CSV (file picker or drop), follow the job live, read the bad cells by row
// and column; download the catalog as the same CSV. The list is the import jobs, newest first.
import { useCallback, useRef, useState } from "react";
import {
  Datagrid,
  DateField,
  List,
  NumberField,
  Show,
  TextField,
  useGetOne,
  useNotify,
  useRedirect,
  useShowContext,
  type RaRecord,
} from "react-admin";
import {
  Alert,
  Box,
  Button,
  Card,
  CardContent,
  LinearProgress,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  Typography,
} from "@mui/material";
import UploadFileIcon from "@mui/icons-material/UploadFile";
import { toHttpError } from "../data";
import { cancelImport, uploadCsv } from "./handlers";

const finished = (status?: string) => status === "succeeded" || status === "failed" || status === "cancelled";

function UploadPanel() {
  const input = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState(false);
  const [dragging, setDragging] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const redirect = useRedirect();

  const send = useCallback(
    async (file: File | undefined) => {
      if (!file) return;
      setBusy(true);
      setError(null);
      try {
        const id = await uploadCsv(file);
        redirect("show", "imports", id);
      } catch (e) {
        setError(toHttpError(e).message);
      } finally {
        setBusy(false);
      }
    },
    [redirect],
  );

  return (
    <Card sx={{ mb: 2 }}>
      <CardContent>
        <Typography component="h2" variant="h6" gutterBottom>
          Import products from a Shopify CSV
        </Typography>
        <Box
          onDragOver={(e) => {
            e.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={(e) => {
            e.preventDefault();
            setDragging(false);
            void send(e.dataTransfer.files[0]);
          }}
          sx={{ border: "2px dashed", borderColor: dragging ? "primary.main" : "divider", borderRadius: 1, p: 3, textAlign: "center" }}
        >
          <Typography sx={{ mb: 1 }}>
            Drop a product CSV here, or choose it. The file is checked first: if any cell is wrong, nothing is imported and
            every bad cell is listed by row and column.
          </Typography>
          <input
            ref={input}
            id="csv-file"
            type="file"
            accept=".csv,text/csv"
            hidden
            onChange={(e) => {
              void send(e.target.files?.[0]);
              e.target.value = "";
            }}
          />
          <Button variant="contained" startIcon={<UploadFileIcon />} disabled={busy} onClick={() => input.current?.click()}>
            {busy ? "Uploading…" : "Choose CSV file"}
          </Button>
          <Button sx={{ ml: 2 }} href="/api/v1/admin/exports/products" download>
            Download the catalog as CSV
          </Button>
        </Box>
        {error && (
          <Alert severity="error" sx={{ mt: 2 }} role="alert">
            {error}
          </Alert>
        )}
      </CardContent>
    </Card>
  );
}

const ImportList = () => (
  <>
    <UploadPanel />
    <List
      title="Imports"
      resource="imports"
      exporter={false}
      perPage={25}
      sort={{ field: "id", order: "DESC" }}
      empty={<Typography sx={{ p: 2 }}>No imports yet.</Typography>}
    >
      <Datagrid bulkActionButtons={false} rowClick="show">
        <DateField source="createdAt" label="Started" showTime sortable={false} />
        <TextField source="status" sortable={false} />
        <NumberField source="percent" label="%" sortable={false} />
        <NumberField source="succeeded" label="Products applied" sortable={false} />
        <NumberField source="errorCount" label="Errors" sortable={false} />
        <TextField source="createdBy" label="By" sortable={false} />
      </Datagrid>
    </List>
  </>
);

interface ImportRecord extends RaRecord {
  status?: string;
  total?: number | null;
  processed?: number;
  succeeded?: number;
  failed?: number;
  percent?: number | null;
  errorCount?: number;
  errors?: { row?: number | null; column?: string | null; item?: string | null; message: string }[];
  result?: Record<string, unknown> | null;
}

function Progress() {
  const { record: initial } = useShowContext<ImportRecord>();
  // Poll while the job runs; stop once it has ended.
  const { data } = useGetOne<ImportRecord>(
    "imports",
    { id: initial?.id ?? "" },
    { enabled: Boolean(initial?.id), refetchInterval: (query) => (finished(query.state.data?.status) ? false : 1000) },
  );
  const record = data ?? initial;
  const notify = useNotify();
  if (!record) return null;
  const result = record.result ?? {};
  const ignored = Array.isArray(result.ignoredColumns) ? (result.ignoredColumns as string[]) : [];
  return (
    <Box sx={{ p: 2 }}>
      <Typography component="h2" variant="h6">
        Status: <span data-testid="import-status">{record.status}</span>
      </Typography>
      <Box aria-live="polite" sx={{ my: 1 }}>
        {record.percent == null ? (
          <LinearProgress aria-label="Import progress" />
        ) : (
          <LinearProgress variant="determinate" value={record.percent} aria-label={`Import progress ${record.percent}%`} />
        )}
        <Typography sx={{ mt: 1 }}>
          {record.processed ?? 0} of {record.total ?? "?"} products processed: {record.succeeded ?? 0} applied, {record.failed ?? 0} failed.
          {typeof result.created === "number" &&
            ` Created ${String(result.created)}, updated ${String(result.updated)}, unchanged ${String(result.unchanged)}.`}
        </Typography>
        {ignored.length > 0 && <Typography>Columns ignored: {ignored.join(", ")}.</Typography>}
      </Box>
      {!finished(record.status) && (
        <Button
          variant="outlined"
          onClick={async () => {
            try {
              await cancelImport(String(record.id));
              notify("The import stops after the product it is applying.", { type: "info" });
            } catch (e) {
              notify(toHttpError(e).message, { type: "error" });
            }
          }}
        >
          Stop the import
        </Button>
      )}
      {(record.errors?.length ?? 0) > 0 && (
        <>
          <Typography component="h2" variant="h6" sx={{ mt: 2 }}>
            Problems ({record.errorCount}){record.status === "failed" && record.succeeded === 0 ? ": nothing was imported" : ""}
          </Typography>
          <Table size="small" aria-label="Problems by row and column">
            <TableHead>
              <TableRow>
                <TableCell component="th" scope="col">Row</TableCell>
                <TableCell component="th" scope="col">Column</TableCell>
                <TableCell component="th" scope="col">Product</TableCell>
                <TableCell component="th" scope="col">What to fix</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {record.errors!.map((e, i) => (
                <TableRow key={i}>
                  <TableCell>{e.row ?? ""}</TableCell>
                  <TableCell>{e.column ?? ""}</TableCell>
                  <TableCell>{e.item ?? ""}</TableCell>
                  <TableCell>{e.message}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </>
      )}
    </Box>
  );
}

const ImportShow = () => (
  <Show title="Import" resource="imports">
    <Progress />
  </Show>
);

export const importScreens = { list: ImportList, show: ImportShow, icon: UploadFileIcon };
