# syntax=docker/dockerfile:1
# A multi-stage build that satisfies container_security.
ARG NODE_TAG=18-alpine
FROM node:${NODE_TAG}@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN apk add --no-cache python3 make g++ \
    && npm ci
COPY . .
RUN npm run build

FROM node:18-alpine@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
WORKDIR /app
COPY --from=build /app/dist ./dist
USER node
CMD ["node", "dist/server.js"]
