FROM ubuntu:22.04 AS tools
RUN apt-get update && \
    apt-get install -y curl ca-certificates && \
    rm -rf /var/lib/apt/lists/*

FROM node:18-alpine
# comment lines inside the file are skipped
RUN apk add python3
RUN ["/bin/sh", "-c", "apk add --no-cache git && apt-get install -y --no-install-recommends jq"]
USER root
CMD node server.js
