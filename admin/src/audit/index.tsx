// The audit log: filters by actor, action, entity and time; each entry expands to its before/after diff.
import { Datagrid, DateField, DateTimeInput, List, TextField, TextInput, useExpanded, useRecordContext } from "react-admin";
import { Button } from "@mui/material";
import HistoryIcon from "@mui/icons-material/History";
import { AuditDiff } from "./AuditDiff";
import { ChainStatus } from "./ChainStatus";

const filters = [
  <TextInput key="actor" source="actor" label="Actor (e.g. user:…)" alwaysOn />,
  <TextInput key="action" source="action" label="Action (e.g. discount-code.updated)" alwaysOn />,
  <TextInput key="entityType" source="entityType" label="Entity type" />,
  <TextInput key="entityId" source="entityId" label="Entity id" />,
  <DateTimeInput key="from" source="from" label="From" />,
  <DateTimeInput key="to" source="to" label="Before" />,
];

/** The row's click expands it too, but a click is not reachable by keyboard: this button is (Tab, Enter). */
// `label` is read by the Datagrid for the column's header.
// eslint-disable-next-line @typescript-eslint/no-unused-vars
function ChangesButton(_props: { label?: string }) {
  const record = useRecordContext();
  const [expanded, toggle] = useExpanded("audit", record?.id ?? "");
  if (!record) return null;
  return (
    <Button
      size="small"
      aria-expanded={expanded}
      onClick={(e) => {
        e.stopPropagation();
        toggle();
      }}
    >
      {expanded ? "Hide changes" : "Show changes"}
    </Button>
  );
}

const AuditList = () => (
  <>
    <ChainStatus />
    <List title="Audit log" filters={filters} perPage={50} sort={{ field: "seq", order: "DESC" }} exporter={false}>
      <Datagrid bulkActionButtons={false} expand={<AuditDiff />} rowClick="expand" sort={{ field: "seq", order: "DESC" }}>
        <TextField source="seq" label="#" sortable={false} />
        <DateField source="at" label="When" showTime sortable={false} />
        <TextField source="actor" sortable={false} />
        <TextField source="action" sortable={false} />
        <TextField source="entityType" label="Entity" sortable={false} />
        <TextField source="entityId" label="Id" sortable={false} />
        <ChangesButton label="Changes" />
      </Datagrid>
    </List>
  </>
);

export const auditScreens = { list: AuditList, icon: HistoryIcon };
