# The bot's container image: `docker build -t jobbskaparna .`, then see compose.yaml or the README's
# "Running in production". Debian bookworm because its PostgreSQL client (15) matches compose.yaml's server:
# `jobbskaparna backup` and `restore` use pg_dump and pg_restore, whose major version should be the server's.

# --- build: a virtual environment with exactly the pinned releases (hashes checked), then the bot ---
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/jobbskaparna
WORKDIR /src
# The lock first, so that a change to the code alone reuses the layer of the dependencies.
COPY requirements-prod.lock ./
RUN /opt/jobbskaparna/bin/pip install --no-cache-dir --require-hashes -r requirements-prod.lock
COPY pyproject.toml README.md LICENSE ./
COPY bot ./bot
COPY cogs ./cogs
COPY migrations ./migrations
RUN /opt/jobbskaparna/bin/pip install --no-cache-dir --no-deps .

# --- run: the environment from the build and the PostgreSQL client tools, as a user without rights ---
FROM python:3.11-slim-bookworm
# Not pinned to a Debian revision: bookworm's security updates of the client should come with a rebuild.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /var/lib/jobbskaparna --shell /usr/sbin/nologin \
        jobbskaparna \
    && mkdir -p /var/lib/jobbskaparna/data /var/lib/jobbskaparna/out \
    && chown -R jobbskaparna:jobbskaparna /var/lib/jobbskaparna
COPY --from=build /opt/jobbskaparna /opt/jobbskaparna
COPY deploy/healthcheck.py /opt/jobbskaparna/healthcheck.py

# Everything the bot keeps (the SQLite database when no DATABASE_URL is set, the backups in data/backups, the
# files it sends) lives in one volume; .env's relative DATA_DIR=data and OUTPUT_DIR=out land there too.
# The health endpoint is on inside the container; bound to the loopback, it is reached by the health check
# below and by nothing outside (to scrape /metrics: WEB_HOST=0.0.0.0 and publish the port).
ENV PATH=/opt/jobbskaparna/bin:$PATH \
    HOME=/var/lib/jobbskaparna \
    PYTHONUNBUFFERED=1 \
    DATA_DIR=/var/lib/jobbskaparna/data \
    OUTPUT_DIR=/var/lib/jobbskaparna/out \
    WEB_HOST=127.0.0.1 \
    WEB_PORT=8081
VOLUME ["/var/lib/jobbskaparna"]
WORKDIR /var/lib/jobbskaparna
USER 10001:10001

# The bot migrates the database at start; it stops cleanly on SIGTERM (what `docker stop` sends).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "/opt/jobbskaparna/healthcheck.py"]
ENTRYPOINT ["jobbskaparna"]
CMD ["run"]
