import { Card, CardContent, Typography } from "@mui/material";
import { Title } from "react-admin";

export function Overview() {
  return (
    <Card component="section" sx={{ mt: 2 }}>
      <Title title="Overview" />
      <CardContent>
        <Typography component="h1" variant="h5">
          Overview
        </Typography>
      </CardContent>
    </Card>
  );
}
