// The first screen: orders and revenue per day for 30 days, orders awaiting payment, the newest orders.
// New orders arrive without a reload: the live feed (server-sent events, GET /api/v1/admin/live) says
// an order event happened, and the overview is read again.
import { useCallback, useEffect, useState } from "react";
import { Alert, Box, Card, CardContent, Table, TableBody, TableCell, TableHead, TableRow, Typography } from "@mui/material";
import { Title } from "react-admin";
import { Bar, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { AdminOverview } from "../../../sdk/typescript/headless-client";
import { api, problemOf } from "../data/http";

const money = (amount: number, currency: string) => `${(amount / 100).toFixed(2)} ${currency}`;

export function Overview() {
  const [overview, setOverview] = useState<AdminOverview | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [live, setLive] = useState(false);

  const load = useCallback(() => {
    api.getAdminOverview().then(
      (o) => {
        setOverview(o);
        setError(null);
      },
      (e) => setError(problemOf(e).detail ?? "The overview could not be loaded. Reload the page."),
    );
  }, []);

  useEffect(() => {
    load();
    const feed = new EventSource("/api/v1/admin/live");
    let pending: number | undefined;
    feed.onopen = () => setLive(true);
    feed.onerror = () => setLive(false);
    feed.addEventListener("order", () => {
      window.clearTimeout(pending);
      pending = window.setTimeout(load, 250);
    });
    return () => {
      window.clearTimeout(pending);
      feed.close();
    };
  }, [load]);

  const currencies = [...new Set(overview?.days?.flatMap((d) => d.revenue?.map((r) => r.currency!) ?? []) ?? [])].sort();
  const currency = currencies[0] ?? "EUR";
  const chart =
    overview?.days?.map((d) => ({
      day: String(d.date?.toISOString?.() ?? d.date).slice(5, 10),
      orders: d.orders,
      revenue: (d.revenue?.find((r) => r.currency === currency)?.amount ?? 0) / 100,
    })) ?? [];

  return (
    <Box component="section" sx={{ mt: 2, display: "grid", gap: 2 }}>
      <Title title="Overview" />
      <Typography component="h1" variant="h5">
        Overview
      </Typography>
      {error && <Alert severity="error">{error}</Alert>}
      <Box sx={{ display: "flex", gap: 2, flexWrap: "wrap" }}>
        <Card sx={{ minWidth: 220 }}>
          <CardContent>
            <Typography component="h2" variant="subtitle1">
              Awaiting payment
            </Typography>
            <Typography variant="h4" data-testid="awaiting-payment">
              {overview ? overview.awaitingPayment : "…"}
            </Typography>
          </CardContent>
        </Card>
        <Card sx={{ minWidth: 220 }}>
          <CardContent>
            <Typography component="h2" variant="subtitle1">
              Orders today
            </Typography>
            <Typography variant="h4">{overview?.days?.at(-1)?.orders ?? "…"}</Typography>
          </CardContent>
        </Card>
      </Box>
      <Card>
        <CardContent>
          <Typography component="h2" variant="h6">
            Orders and revenue ({currency}), last 30 days (UTC)
          </Typography>
          <Box sx={{ height: 280 }} role="img" aria-label={`Chart of orders and ${currency} revenue per day for the last 30 days`}>
            <ResponsiveContainer width="100%" height="100%">
              <ComposedChart data={chart}>
                <CartesianGrid strokeDasharray="3 3" />
                <XAxis dataKey="day" />
                <YAxis yAxisId="orders" allowDecimals={false} />
                <YAxis yAxisId="revenue" orientation="right" />
                <Tooltip />
                <Legend />
                <Bar yAxisId="orders" dataKey="orders" name="Orders" fill="#1556a8" />
                <Line yAxisId="revenue" dataKey="revenue" name={`Revenue (${currency})`} stroke="#8a4b00" dot={false} />
              </ComposedChart>
            </ResponsiveContainer>
          </Box>
        </CardContent>
      </Card>
      <Card>
        <CardContent>
          <Typography component="h2" variant="h6">
            Newest orders {live ? "(live)" : ""}
          </Typography>
          <Table size="small" aria-label="Newest orders">
            <TableHead>
              <TableRow>
                <TableCell component="th">Number</TableCell>
                <TableCell component="th">Status</TableCell>
                <TableCell component="th">Total</TableCell>
                <TableCell component="th">Placed</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {overview?.latestOrders?.map((o) => (
                <TableRow key={o.id}>
                  <TableCell>{o.number}</TableCell>
                  <TableCell>{o.status}</TableCell>
                  <TableCell>{money(o.total!.amount!, o.total!.currency!)}</TableCell>
                  <TableCell>{o.createdAt ? new Date(o.createdAt).toLocaleString() : ""}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </CardContent>
      </Card>
    </Box>
  );
}
