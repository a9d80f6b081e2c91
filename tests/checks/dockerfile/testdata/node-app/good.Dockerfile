FROM node:20.15.1-bookworm-slim AS deps
WORKDIR /usr/src/app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev

FROM node:20.15.1-bookworm-slim
ENV NODE_ENV=production
WORKDIR /usr/src/app
RUN npm install -g pm2@5.4.2 && npm cache clean --force
COPY --from=deps --chown=node:node /usr/src/app/node_modules ./node_modules
COPY --chown=node:node . .
USER node
EXPOSE 3000
HEALTHCHECK CMD node healthcheck.js
CMD ["pm2-runtime", "server.js"]
