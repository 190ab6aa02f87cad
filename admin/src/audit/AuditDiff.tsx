import { Box, Table, TableBody, TableCell, TableHead, TableRow, Typography } from "@mui/material";
import { useRecordContext } from "react-admin";

/* eslint-disable @typescript-eslint/no-explicit-any */
type Flat = Record<string, string>;

/** Nested JSON as path → value, so a change deep inside (rates[0].amount) is one row. */
function flatten(value: any, prefix = "", into: Flat = {}): Flat {
  if (value !== null && typeof value === "object") {
    const entries = Array.isArray(value) ? value.map((v, i) => [`[${i}]`, v] as const) : Object.entries(value).map(([k, v]) => [prefix ? `.${k}` : k, v] as const);
    if (entries.length === 0) into[prefix || "(value)"] = Array.isArray(value) ? "[]" : "{}";
    for (const [key, v] of entries) flatten(v, prefix + key, into);
  } else if (value !== undefined) {
    into[prefix || "(value)"] = value === null ? "null" : typeof value === "string" ? value : JSON.stringify(value);
  }
  return into;
}

export interface DiffRow {
  path: string;
  before?: string;
  after?: string;
}

export function diff(before: unknown, after: unknown): DiffRow[] {
  const a = flatten(before ?? undefined);
  const b = flatten(after ?? undefined);
  const paths = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return paths.filter((p) => a[p] !== b[p]).map((path) => ({ path, before: a[path], after: b[path] }));
}

export function AuditDiff() {
  const record = useRecordContext();
  if (!record) return null;
  const rows = diff(record.before, record.after);
  return (
    <Box sx={{ p: 1 }}>
      {rows.length === 0 ? (
        <Typography variant="body2">No recorded field changed{record.before == null && record.after == null ? " (this action records no before or after)" : ""}.</Typography>
      ) : (
        <Table size="small" aria-label={`Changes recorded by audit entry ${record.seq}`}>
          <TableHead>
            <TableRow>
              <TableCell component="th" scope="col">Field</TableCell>
              <TableCell component="th" scope="col">Before</TableCell>
              <TableCell component="th" scope="col">After</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {rows.map((r) => (
              <TableRow key={r.path} data-field={r.path}>
                <TableCell component="th" scope="row" sx={{ fontFamily: "monospace" }}>{r.path}</TableCell>
                <TableCell sx={{ color: "#8b0000" }}>{r.before === undefined ? <em>(none)</em> : <del>{r.before}</del>}</TableCell>
                <TableCell sx={{ color: "#005a1e" }}>{r.after === undefined ? <em>(none)</em> : <ins>{r.after}</ins>}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      {record.traceId && (
        <Typography variant="caption" component="p" sx={{ mt: 1 }}>
          Trace id {record.traceId}
        </Typography>
      )}
    </Box>
  );
}
