# One image for both services; docker-compose.yml picks the command.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json tsconfig.base.json tsconfig.json ./
COPY packages ./packages
COPY migrations ./migrations
COPY services ./services
COPY bench ./bench
COPY test ./test
COPY scripts ./scripts
RUN npm ci --no-audit --no-fund
USER node
