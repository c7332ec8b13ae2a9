FROM node:18-alpine
RUN <<EOF
apk add curl
EOF
