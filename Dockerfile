# The cloudfuse image: the static binary on Debian slim with fuse3, used
# by the CSI driver's DaemonSet and Deployment (deploy/kubernetes) and
# usable on its own (docker run --device /dev/fuse --cap-add SYS_ADMIN).
#
#   docker build -t ghcr.io/a9de3765/cloudfuse:latest .
FROM golang:1.26-trixie AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# The checkout's .git comes along, so `cloudfuse version` names the commit.
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/cloudfuse ./cmd/cloudfuse

FROM debian:trixie-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends fuse3 ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/cloudfuse /usr/local/bin/cloudfuse
# mount -t fuse.cloudfuse, as on a host.
RUN ln -s /usr/local/bin/cloudfuse /sbin/mount.fuse.cloudfuse
ENTRYPOINT ["/usr/local/bin/cloudfuse"]
CMD ["--help"]
