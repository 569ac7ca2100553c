# syntax=docker/dockerfile:1
# Build: a static binary, no cgo (the SQLite driver is pure Go).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# TAGS=sendonly builds an image for workers that only send: no article
# reader, about 80 MB less memory per process (README, Capacity).
ARG TAGS=""
RUN CGO_ENABLED=0 go build -trimpath -tags "$TAGS" -ldflags="-s -w" -o /out/syndicate ./cmd/syndicate

# Run: a small image with CA certificates and time zones, as a non-root user.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /var/lib/syndicate --create-home syndicate
COPY --from=build /out/syndicate /usr/local/bin/syndicate
USER syndicate
WORKDIR /var/lib/syndicate
EXPOSE 8080
ENTRYPOINT ["syndicate"]
CMD ["serve"]
