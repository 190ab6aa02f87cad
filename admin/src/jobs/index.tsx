// Jobs: the running and recent background jobs (CSV imports, bulk product changes) with their progress, who
// started them and their counts, refreshed while any runs; a running job can be cancelled from its row.
// Each row opens the job's own screen (the import's bad cells, the bulk change's errors).
import { useEffect } from "react";
import {
  Datagrid,
  DateField,
  FunctionField,
  List,
  NumberField,
  SelectInput,
  TextField,
  useListContext,
  useNotify,
  useRecordContext,
  useRefresh,
  type RaRecord,
} from "react-admin";
import { Link } from "react-router";
import { Box, Button, LinearProgress, Typography } from "@mui/material";
import WorkHistoryIcon from "@mui/icons-material/WorkHistory";
import { toHttpError } from "../data";
import { cancelJob } from "./handlers";

interface JobRecord extends RaRecord {
  kind: string;
  status: string;
  total?: number | null;
  processed: number;
  succeeded: number;
  failed: number;
  percent?: number | null;
  errorCount: number;
  cancelRequested: boolean;
}

const kinds = [
  { id: "product-import", name: "CSV import" },
  { id: "product-bulk", name: "Bulk change" },
];
const statuses = ["queued", "running", "succeeded", "failed", "cancelled"].map((s) => ({ id: s, name: s }));
const kindName = (kind: string) => kinds.find((k) => k.id === kind)?.name ?? kind;
const running = (job?: JobRecord) => job?.status === "queued" || job?.status === "running";
/** The screen that shows a job of this kind in full, if there is one. */
const screenOf = (job: JobRecord) =>
  job.kind === "product-import" ? `/imports/${job.id}/show` : job.kind === "product-bulk" ? `/bulk/${job.id}/show` : null;

const filters = [
  <SelectInput key="status" source="status" label="Status" choices={statuses} alwaysOn emptyText="Any status" />,
  <SelectInput key="kind" source="kind" label="Kind" choices={kinds} alwaysOn emptyText="Any kind" />,
];

/** Refreshes the list every second while one of its jobs is queued or running. */
function RefreshWhileRunning() {
  const { data } = useListContext<JobRecord>();
  const refresh = useRefresh();
  const active = (data ?? []).some(running);
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(refresh, 1000);
    return () => clearInterval(timer);
  }, [active, refresh]);
  return null;
}

function JobProgress() {
  const job = useRecordContext<JobRecord>();
  if (!job) return null;
  const label = `${job.processed} of ${job.total ?? "?"}`;
  return (
    <Box sx={{ minWidth: 140 }}>
      {job.percent == null ? (
        <LinearProgress aria-label={`Progress of job ${kindName(job.kind)}: ${label}`} />
      ) : (
        <LinearProgress variant="determinate" value={job.percent} aria-label={`Progress of job ${kindName(job.kind)}: ${job.percent}%`} />
      )}
      <Typography variant="body2">{label}</Typography>
    </Box>
  );
}

function JobActions() {
  const job = useRecordContext<JobRecord>();
  const notify = useNotify();
  const refresh = useRefresh();
  if (!job) return null;
  const screen = screenOf(job);
  return (
    <Box sx={{ display: "flex", gap: 1 }}>
      {screen && (
        <Button component={Link} to={screen} size="small">
          Open
        </Button>
      )}
      {running(job) &&
        (job.cancelRequested ? (
          <Typography variant="body2">Stopping…</Typography>
        ) : (
          <Button
            size="small"
            onClick={async () => {
              try {
                await cancelJob(String(job.id));
                notify("Cancelling: the job stops after the item it is on; items not reached stay unchanged.", { type: "info" });
              } catch (e) {
                notify(toHttpError(e).message, { type: "error" });
              }
              refresh();
            }}
          >
            Cancel job
          </Button>
        ))}
    </Box>
  );
}

const JobList = () => (
  <List
    title="Jobs"
    filters={filters}
    perPage={25}
    sort={{ field: "id", order: "DESC" }}
    exporter={false}
    empty={<Typography sx={{ p: 2 }}>No jobs yet: imports and bulk changes show here while they run and after.</Typography>}
  >
    <RefreshWhileRunning />
    <Datagrid bulkActionButtons={false} rowClick={false}>
      <FunctionField label="Kind" sortable={false} render={(job: JobRecord) => kindName(job.kind)} />
      <TextField source="status" sortable={false} />
      <FunctionField label="Progress" sortable={false} render={() => <JobProgress />} />
      <NumberField source="succeeded" label="Done" sortable={false} />
      <NumberField source="failed" label="Failed" sortable={false} />
      <NumberField source="errorCount" label="Errors" sortable={false} />
      <TextField source="createdBy" label="Started by" sortable={false} />
      <DateField source="createdAt" label="Started" showTime sortable={false} />
      <DateField source="finishedAt" label="Finished" showTime sortable={false} emptyText="—" />
      <FunctionField label="Actions" sortable={false} render={() => <JobActions />} />
    </Datagrid>
  </List>
);

export const jobScreens = { list: JobList, icon: WorkHistoryIcon };
