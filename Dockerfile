# The hub's image: Node 24 LTS and the TypeScript sources run through tsx (no build step).
# package.json's engines stay ">=20.19": the image runs the current LTS, the hub supports both.
FROM node:24-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts
COPY bin ./bin
COPY src ./src
COPY devices ./devices
COPY config ./config
# dashboards/*.yaml for `dashboards build` (compose's one-shot service); the simulator for the sim profile.
COPY dashboards ./dashboards
COPY simulators ./simulators
RUN mkdir -p /data /build && chown node:node /data /build
USER node
EXPOSE 1883 8080
# Run through its shebang line, which carries the hub's node flags (docs/operations.md).
ENTRYPOINT ["./bin/community-hub.js"]
CMD ["start", "--config", "config/hub.yaml"]
