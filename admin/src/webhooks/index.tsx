// Webhooks: the endpoints the shop's events are sent to (URL, event types, enabled, health), create with the
// signing secret shown once, edit (If-Match), delete, rotate the secret (shown once; the old one keeps signing
// during the overlap), and each endpoint's delivery log with retry and "redeliver everything failed since".
import { useState } from "react";
import {
  BooleanField,
  BooleanInput,
  Button as RaButton,
  CheckboxGroupInput,
  CreateButton,
  Datagrid,
  DateField,
  Edit,
  EditButton,
  FunctionField,
  List,
  SaveButton,
  SelectInput,
  SimpleForm,
  TextField,
  TextInput,
  Toolbar,
  TopToolbar,
  required,
  useCreate,
  useDelete,
  useGetList,
  useGetOne,
  useNotify,
  useRecordContext,
  useRefresh,
} from "react-admin";
import { Link, useParams } from "react-router";
import { Alert, Box, Button, Chip, Dialog, DialogActions, DialogContent, DialogTitle, Stack, TextField as MuiTextField, Typography } from "@mui/material";
import WebhookIcon from "@mui/icons-material/Webhook";
import { ConfirmButton } from "../layout/ConfirmButton";
import { toHttpError } from "../data/index";
import { useSaveErrorHandler } from "../data/saveErrors";
import { redeliverFailedSince, retryDelivery, rotateSecret, webhookEventTypes } from "./handlers";

/* eslint-disable @typescript-eslint/no-explicit-any */
const eventChoices = webhookEventTypes.map((t) => ({ id: t, name: t }));

/** The secret, this once: a warning, a read-only field and a copy button. */
function ShownOnceSecret(props: { secret: string; what: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <Box>
      <Alert severity="warning" sx={{ mb: 2 }}>
        Copy the {props.what} now: it is shown only this once. Store it where your receiver reads it; if it is lost, rotate the secret.
      </Alert>
      <Stack direction="row" spacing={1} sx={{ alignItems: "center" }}>
        <MuiTextField label="Signing secret" value={props.secret} fullWidth slotProps={{ input: { readOnly: true } }} />
        <Button
          variant="contained"
          onClick={async () => {
            await navigator.clipboard.writeText(props.secret);
            setCopied(true);
          }}
        >
          {copied ? "Copied" : "Copy"}
        </Button>
      </Stack>
    </Box>
  );
}

/** Health: disabled (and why), failing since, or the newest delivery's outcome. */
function Health() {
  const endpoint = useRecordContext<any>();
  const { data } = useGetList(
    "webhook-deliveries",
    { filter: { endpointId: endpoint?.id }, pagination: { page: 1, perPage: 1 }, sort: { field: "id", order: "DESC" } },
    { enabled: Boolean(endpoint?.id) },
  );
  if (!endpoint) return null;
  const last = data?.[0];
  const lastText = last
    ? `last delivery ${last.status}${last.lastStatus ? ` (HTTP ${last.lastStatus})` : last.lastError ? ` (${last.lastError})` : ""}`
    : "no deliveries yet";
  if (!endpoint.enabled) {
    const why = endpoint.disabledReason === "gone" ? "the receiver answered 410 Gone" : endpoint.disabledReason === "failing" ? "failing for three days" : "by staff";
    return <Chip size="small" color="default" label={`Disabled (${why}); ${lastText}`} />;
  }
  if (endpoint.failingSince) {
    return <Chip size="small" color="error" label={`Failing since ${new Date(endpoint.failingSince).toLocaleString()}; ${lastText}`} />;
  }
  return <Chip size="small" color={last?.status === "failed" ? "error" : "success"} variant="outlined" label={`Healthy; ${lastText}`} />;
}

function DeleteEndpointButton() {
  const endpoint = useRecordContext<any>();
  const [remove] = useDelete();
  const notify = useNotify();
  if (!endpoint) return null;
  return (
    <ConfirmButton
      label="Delete"
      title={`Delete the endpoint ${endpoint.url}?`}
      text="No more events are sent to it and its delivery log is deleted. The receiver keeps what it already got."
      confirm="Delete endpoint"
      onConfirm={async () => {
        await remove("webhook-endpoints", { id: endpoint.id, previousData: endpoint }, {
          mutationMode: "pessimistic",
          onSuccess: () => notify("Webhook endpoint deleted.", { type: "success" }),
          onError: (e) => notify(toHttpError(e).message, { type: "error", autoHideDuration: 10000 }),
        });
      }}
    />
  );
}

function DeliveriesLink() {
  const endpoint = useRecordContext<any>();
  if (!endpoint) return null;
  return (
    <Button size="small" component={Link} to={`/webhook-endpoints/${endpoint.id}/show`}>
      Deliveries
    </Button>
  );
}

const WebhookEndpointList = () => (
  <List title="Webhooks" perPage={25} exporter={false} empty={false} sort={{ field: "id", order: "ASC" }} actions={<TopToolbar><CreateButton label="New endpoint" /></TopToolbar>}>
    <Datagrid bulkActionButtons={false} rowClick={false}>
      <TextField source="url" label="URL" sortable={false} />
      <FunctionField label="Events" render={(r: any) => (r.eventTypes ?? []).join(", ")} />
      <BooleanField source="enabled" sortable={false} />
      <FunctionField label="Health" render={() => <Health />} />
      <DeliveriesLink />
      <EditButton />
      <DeleteEndpointButton />
    </Datagrid>
  </List>
);

function WebhookEndpointCreate() {
  const [create, { isPending }] = useCreate();
  const notify = useNotify();
  const [url, setUrl] = useState("");
  const [description, setDescription] = useState("");
  const [types, setTypes] = useState<string[]>([]);
  const [enabled, setEnabled] = useState(true);
  const [created, setCreated] = useState<{ id: string; secret: string } | null>(null);
  const [urlError, setUrlError] = useState<string | null>(null);
  const toggle = (id: string) => setTypes((s) => (s.includes(id) ? s.filter((x) => x !== id) : [...s, id]));
  if (created) {
    return (
      <Box sx={{ p: 2, maxWidth: 720 }}>
        <Typography variant="h5" component="h1" gutterBottom>
          Endpoint created: its signing secret
        </Typography>
        <ShownOnceSecret secret={created.secret} what="signing secret" />
        <Typography sx={{ mt: 2 }}>
          Your receiver verifies each delivery's <code>webhook-signature</code> header with this secret (Standard Webhooks).
        </Typography>
        <Stack direction="row" spacing={1} sx={{ mt: 2 }}>
          <Button component={Link} to={`/webhook-endpoints/${created.id}/show`}>
            See its deliveries
          </Button>
          <Button component={Link} to="/webhook-endpoints">
            Done
          </Button>
        </Stack>
      </Box>
    );
  }
  return (
    <Box
      component="form"
      sx={{ p: 2, maxWidth: 720 }}
      onSubmit={(e) => {
        e.preventDefault();
        setUrlError(null);
        create("webhook-endpoints", { data: { url, description, eventTypes: types, enabled } }, {
          onSuccess: (data: any) => setCreated({ id: data.id, secret: data.secret }),
          onError: (error) => {
            const problem = toHttpError(error);
            const fieldErrors = (problem.body as any)?.errors ?? {};
            if (fieldErrors.url) setUrlError(String(fieldErrors.url));
            notify(problem.message, { type: "error", autoHideDuration: 10000 });
          },
        });
      }}
    >
      <Typography variant="h5" component="h1" gutterBottom>
        New webhook endpoint
      </Typography>
      <Stack spacing={2}>
        <MuiTextField
          label="URL"
          value={url}
          onChange={(e) => setUrl(e.target.value)}
          required
          error={urlError !== null}
          helperText={urlError ?? "Where events are POSTed: https, on a public address."}
        />
        <MuiTextField label="Description" value={description} onChange={(e) => setDescription(e.target.value)} />
        <fieldset>
          <legend>Event types</legend>
          {webhookEventTypes.map((t) => (
            <label key={t} style={{ display: "block" }}>
              <input type="checkbox" checked={types.includes(t)} onChange={() => toggle(t)} /> {t}
            </label>
          ))}
        </fieldset>
        <label>
          <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} /> Enabled (send events from now on)
        </label>
        <Button type="submit" variant="contained" disabled={isPending || !url.trim() || types.length === 0}>
          Create endpoint
        </Button>
      </Stack>
    </Box>
  );
}

function RotateSecret() {
  const endpoint = useRecordContext<any>();
  const notify = useNotify();
  const refresh = useRefresh();
  const [secret, setSecret] = useState<string | null>(null);
  if (!endpoint) return null;
  return (
    <Box component="section" aria-labelledby="rotate-secret" sx={{ p: 2 }}>
      <Typography id="rotate-secret" variant="h6" component="h2">
        Signing secret
      </Typography>
      {secret ? (
        <ShownOnceSecret secret={secret} what="new signing secret" />
      ) : (
        <>
          <Typography sx={{ mb: 1 }}>
            {endpoint.previousSecretUntil
              ? `The previous secret still signs until ${new Date(endpoint.previousSecretUntil).toLocaleString()}.`
              : "Rotate if the secret leaked or was lost."}
          </Typography>
          <ConfirmButton
            label="Rotate secret"
            color="primary"
            title="Rotate the signing secret?"
            text="A new secret is shown once. For the overlap (24 hours by default) every delivery carries two signatures, one with the new and one with the old secret, so your receiver keeps verifying while you install the new one. Rotating again during the overlap retires the oldest secret at once."
            confirm="Rotate secret"
            onConfirm={async () => {
              try {
                const rotated = await rotateSecret(endpoint);
                setSecret(rotated.secret);
                refresh();
              } catch (error) {
                const problem = toHttpError(error);
                notify(problem.message, { type: "error", autoHideDuration: problem.status === 412 ? null : 10000 });
              }
            }}
          />
        </>
      )}
    </Box>
  );
}

const WebhookEndpointEdit = () => {
  const onError = useSaveErrorHandler();
  return (
    <Edit title="Webhook endpoint" mutationMode="pessimistic" mutationOptions={{ onError }} redirect="list">
      <SimpleForm toolbar={<Toolbar><SaveButton label="Save endpoint" alwaysEnable /></Toolbar>}>
        <TextInput source="url" label="URL" validate={required()} fullWidth />
        <TextInput source="description" fullWidth />
        <CheckboxGroupInput source="eventTypes" label="Event types" choices={eventChoices} validate={required("Choose at least one event type.")} row={false} />
        <BooleanInput source="enabled" helperText="Enabling again sends what is pending; use the deliveries screen to redeliver what failed." />
      </SimpleForm>
      <RotateSecret />
    </Edit>
  );
};

// ---- Deliveries --------------------------------------------------------------------------------------

const lastAttempt = (d: any) => (d.attemptLog?.length ? d.attemptLog[d.attemptLog.length - 1] : null);

function RetryDeliveryButton(props: { endpointId: string }) {
  const delivery = useRecordContext<any>();
  const notify = useNotify();
  const refresh = useRefresh();
  if (!delivery) return null;
  return (
    <RaButton
      label="Retry now"
      onClick={async (e) => {
        e.stopPropagation();
        try {
          await retryDelivery(props.endpointId, delivery.id);
          notify("Sent again with the same webhook-id. The log shows the new attempt in a moment.", { type: "success" });
          refresh();
        } catch (error) {
          notify(toHttpError(error).message, { type: "error", autoHideDuration: 10000 });
        }
      }}
    />
  );
}

function RedeliverSince(props: { endpointId: string }) {
  const notify = useNotify();
  const refresh = useRefresh();
  const [since, setSince] = useState(() => {
    const d = new Date(Date.now() - 24 * 3600 * 1000);
    return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
  });
  return (
    <Box
      component="form"
      aria-labelledby="redeliver"
      sx={{ display: "flex", gap: 1, alignItems: "center", flexWrap: "wrap", my: 1 }}
      onSubmit={async (e) => {
        e.preventDefault();
        try {
          const queued = await redeliverFailedSince(props.endpointId, new Date(since));
          notify(queued === 0 ? "Nothing failed since then." : `${queued} failed deliveries are being sent again.`, { type: "success" });
          refresh();
        } catch (error) {
          notify(toHttpError(error).message, { type: "error", autoHideDuration: 10000 });
        }
      }}
    >
      <Typography id="redeliver" component="h2" variant="subtitle1">
        Redeliver everything that failed
      </Typography>
      <MuiTextField
        label="Events since"
        type="datetime-local"
        size="small"
        value={since}
        onChange={(e) => setSince(e.target.value)}
        slotProps={{ inputLabel: { shrink: true } }}
        required
      />
      <Button type="submit" variant="outlined">
        Redeliver failed
      </Button>
    </Box>
  );
}

const statusFilters = [
  <SelectInput
    key="status"
    source="status"
    label="Status"
    alwaysOn
    emptyText="All"
    choices={[
      { id: "pending", name: "Pending" },
      { id: "succeeded", name: "Succeeded" },
      { id: "failed", name: "Failed" },
    ]}
  />,
];

const WebhookDeliveries = () => {
  const { id = "" } = useParams();
  const { data: endpoint } = useGetOne("webhook-endpoints", { id });
  return (
    <Box sx={{ p: 1 }}>
      <Typography variant="h5" component="h1" sx={{ mt: 1 }}>
        Deliveries{endpoint ? ` to ${endpoint.url}` : ""}
      </Typography>
      <RedeliverSince endpointId={id} />
      <List
        resource="webhook-deliveries"
        title="Webhook deliveries"
        filter={{ endpointId: id }}
        filters={statusFilters}
        perPage={25}
        exporter={false}
        disableSyncWithLocation
        sort={{ field: "id", order: "DESC" }}
        actions={false}
        empty={false}
      >
        <Datagrid bulkActionButtons={false} rowClick={false}>
          <TextField source="eventType" label="Event" sortable={false} />
          <DateField source="eventAt" label="Event time" showTime sortable={false} />
          <TextField source="status" sortable={false} />
          <TextField source="attempts" label="Attempts" sortable={false} />
          <FunctionField label="HTTP status" render={(d: any) => d.lastStatus ?? lastAttempt(d)?.error ?? "—"} />
          <FunctionField label="Latency" render={(d: any) => (lastAttempt(d) ? `${lastAttempt(d).latencyMs} ms` : "—")} />
          <FunctionField
            label="Response"
            render={(d: any) => {
              const snippet = lastAttempt(d)?.responseSnippet ?? "";
              return snippet.length > 80 ? `${snippet.slice(0, 80)}…` : snippet || "—";
            }}
          />
          <DateField source="nextAttemptAt" label="Next retry" showTime emptyText="—" sortable={false} />
          <RetryDeliveryButton endpointId={id} />
        </Datagrid>
      </List>
    </Box>
  );
};

export const webhookEndpointScreens = {
  list: WebhookEndpointList,
  create: WebhookEndpointCreate,
  edit: WebhookEndpointEdit,
  show: WebhookDeliveries,
  icon: WebhookIcon,
  recordRepresentation: "url",
};
