# finsignal image: one image runs the bot (`run`), the backtester (`backtest ...`) or any other command.
# Build: docker build -t finsignal .      Run: docker run --env-file .env finsignal run
# BASE_IMAGE: any Python 3.12 on Debian bookworm; where no registry is reachable, a local one made by
# tools/docker_base.sh (`make docker-check` does that, builds and starts the image).
ARG BASE_IMAGE=python:3.12-slim-bookworm

# --- build stage: dependencies first (cached layer), then the source ------------------------------
FROM ${BASE_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY requirements.lock ./
RUN pip install --no-deps -r requirements.lock
COPY pyproject.toml README.md alembic.ini ./
COPY core ./core
COPY market ./market
COPY signals ./signals
COPY backtest ./backtest
COPY news ./news
COPY storage ./storage
COPY scheduler ./scheduler
COPY bot ./bot
COPY api ./api
COPY fundflow ./fundflow
COPY ask ./ask
COPY finsignal ./finsignal
RUN pip install --no-deps .

# --- runtime stage: the virtualenv only, as a non-root user ----------------------------------------
FROM ${BASE_IMAGE}
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    MPLBACKEND=Agg \
    NUMBA_CACHE_DIR=/opt/numba-cache \
    FINSIGNAL_DATABASE_URL=sqlite+aiosqlite:////data/finsignal.db \
    FINSIGNAL_DATA_DIR=/data
# Korean chart labels (fund-flow report, issue 22)
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-noto-cjk=1:20220127+repack1-1 \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 10001 finsignal \
    && mkdir -p /data /cold \
    && chown finsignal:finsignal /data /cold
COPY --from=build /opt/venv /opt/venv
# numba kernels compiled into the image: a new container's first /price needs no compiling
RUN python -m finsignal.warm && chown -R finsignal:finsignal /opt/numba-cache
WORKDIR /home/finsignal
USER 10001:10001
VOLUME ["/data"]
HEALTHCHECK --interval=60s --timeout=20s --start-period=60s --retries=3 CMD ["finsignal", "status", "--check"]
ENTRYPOINT ["finsignal"]
CMD ["run"]
