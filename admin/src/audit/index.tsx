// The audit log: filters by actor, action, entity and time; each entry expands to its before/after diff.
import { Datagrid, DateField, DateTimeInput, List, TextField, TextInput, Title } from "react-admin";
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

const AuditList = () => (
  <>
    <Title title="Audit log" />
    <ChainStatus />
    <List title="Audit log" filters={filters} perPage={50} sort={{ field: "seq", order: "DESC" }} exporter={false}>
      <Datagrid bulkActionButtons={false} expand={<AuditDiff />} rowClick="expand" sort={{ field: "seq", order: "DESC" }}>
        <TextField source="seq" label="#" sortable={false} />
        <DateField source="at" label="When" showTime sortable={false} />
        <TextField source="actor" sortable={false} />
        <TextField source="action" sortable={false} />
        <TextField source="entityType" label="Entity" sortable={false} />
        <TextField source="entityId" label="Id" sortable={false} />
      </Datagrid>
    </List>
  </>
);

export const auditScreens = { list: AuditList, icon: HistoryIcon };
