# escape=`
FROM node:16-alpine
RUN apk add `
      curl
USER 0:0
