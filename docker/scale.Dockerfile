# The two infrastructure images of docker-compose.scale.yml, from Debian bookworm's own packages on
# the demo's base image: Redis (the state the hub replicas share) and HAProxy (the load balancer in
# front of them). Build context: this folder.

FROM debian:bookworm-slim AS redis
RUN apt-get update \
    && apt-get install -y --no-install-recommends redis-server \
    && apt-get clean && rm -rf /var/lib/apt/lists/*
USER redis
WORKDIR /var/lib/redis
EXPOSE 6379
# Reachable from the compose network only (no published port), hence no protected mode. Nothing
# is written to disk: restarting Redis ends every journey and SSO session, as restarting a hub
# with the embedded store does.
CMD ["redis-server", "--bind", "0.0.0.0", "--protected-mode", "no", "--save", "", "--appendonly", "no"]

FROM debian:bookworm-slim AS load-balancer
RUN apt-get update \
    && apt-get install -y --no-install-recommends haproxy \
    && apt-get clean && rm -rf /var/lib/apt/lists/*
COPY haproxy.cfg /etc/haproxy/haproxy.cfg
USER haproxy
EXPOSE 8000
CMD ["haproxy", "-W", "-db", "-f", "/etc/haproxy/haproxy.cfg"]
