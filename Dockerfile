# syntax=docker/dockerfile:1.7
# One image for both roles of the API (Headless__Role=web or worker), configured only from the environment
# (docs/operations.md, "Deploying on AWS"). Built by the deploy workflow for linux/arm64 (Graviton Fargate).
# Runs as a non-root user on a read-only root file system: the only writable place is the /tmp volume.

# ---- the admin dashboard's bundle (esbuild), served by the API at /admin
FROM --platform=$BUILDPLATFORM node:20-bookworm-slim AS admin
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY admin/ admin/
RUN node admin/build.mjs

# ---- the API, published framework-dependent for the target architecture
FROM --platform=$BUILDPLATFORM mcr.microsoft.com/dotnet/sdk:10.0-noble AS build
ARG TARGETARCH
WORKDIR /src
COPY Directory.Build.props .editorconfig ./
COPY contracts/Headless.Contracts.csproj contracts/
COPY api/Headless.Api.csproj api/
RUN dotnet restore api/Headless.Api.csproj -a $TARGETARCH
COPY contracts/ contracts/
COPY api/ api/
RUN dotnet publish api/Headless.Api.csproj -c Release -a $TARGETARCH --no-restore --self-contained false -o /out

# ---- runtime
FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble AS runtime
# libvips for NetVips (product images); the RDS certificate bundle so the database connection verifies the server.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libvips42t64 \
 && rm -rf /var/lib/apt/lists/*
ADD --chmod=644 https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem /app/certs/rds-global-bundle.pem
WORKDIR /app
COPY --from=build /out/ /app/
COPY --from=admin /src/admin/dist/ /app/admin/
# Urls, not ASPNETCORE_HTTP_PORTS: appsettings.json's loopback Urls outranks the ASPNETCORE_ variables.
ENV ASPNETCORE_ENVIRONMENT=Production \
    Urls=http://+:8080 \
    DOTNET_EnableDiagnostics=0 \
    TMPDIR=/tmp \
    Headless__Admin__Directory=/app/admin \
    Headless__Storefront__SiteDirectory=/tmp/headless/site
VOLUME ["/tmp"]
EXPOSE 8080
# The aspnet image's unprivileged user (uid 1654); nothing under /app is writable by it.
USER $APP_UID
# No curl in the runtime image: bash's /dev/tcp asks /health/live (the process answers; readiness is the load balancer's).
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD bash -c 'exec 3<>/dev/tcp/127.0.0.1/8080 && printf "GET /health/live HTTP/1.0\r\n\r\n" >&3 && head -n 1 <&3 | grep -q " 200 "'
ENTRYPOINT ["dotnet", "Headless.Api.dll"]
