# syntax=docker/dockerfile:1
#
# collectagent: one static binary on a distroless base, run as a non-root
# user. Build: docker build --build-arg VERSION=$(git describe --tags) -t collectagent .

FROM golang:1.26.8-bookworm AS build
WORKDIR /src
# Modules first, so a source change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=""
# CGO off: the SQLite driver is pure Go, so the binary is static and
# runs on an image with no libc.
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" \
      -o /out/collectagent ./cmd/collectagent \
 && mkdir -p /out/data/recordings

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/collectagent /collectagent
# The data directory (SQLite and the embedded NATS store of a single node,
# the audit checkpoint file, recordings) belongs to the nonroot user, so
# volumes mounted on it and on data/recordings start owned by it.
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
ENV COLLECT_DATA=/data \
    COLLECT_ADDR=:8080 \
    COLLECT_LOG_FORMAT=json
# 8080: API, chat WebSocket and pages. 9091: the admin listener (/metrics,
# pprof), only when COLLECT_ADMIN_ADDR opens it; never publish it.
EXPOSE 8080 9091
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["/collectagent", "probe", "--url", "http://127.0.0.1:8080/readyz"]
ENTRYPOINT ["/collectagent"]
CMD ["serve"]
