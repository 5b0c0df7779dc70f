FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -o /collectagent ./cmd/collectagent

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /collectagent /collectagent
EXPOSE 8080
ENTRYPOINT ["/collectagent"]
