# Rounds in a container: non-root, slim, installed from the pinned, hashed requirements.lock
# by deploy/install.sh (the same script CI runs). One image for every process kind:
#   web:    the default command, gunicorn (bot.gunicorn_conf; WEB_CONCURRENCY workers on $PORT)
#   worker: `rounds-worker` (the scheduler; /healthz and /metrics on $PORT)
#   single: `rounds` (Socket Mode or HTTP, scheduler inside; SQLite on a volume)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/rounds/bin:$PATH \
    PORT=3000

WORKDIR /src
COPY pyproject.toml README.md requirements.lock ./
COPY deploy/install.sh deploy/install.sh
COPY bot bot
COPY jobs jobs
RUN sh deploy/install.sh /opt/rounds && rm -rf /src

RUN useradd --system --create-home --home-dir /home/rounds --uid 10001 rounds \
    && mkdir -p /data && chown rounds /data
USER rounds
# The working directory is where Rounds reads .env from and, by default, keeps SQLite.
WORKDIR /data
VOLUME ["/data"]
EXPOSE 3000

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
    CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\", \"3000\")}/healthz', timeout=4)"

# SIGTERM reaches the process directly (exec form): it stops within 10 s, exit status 0.
CMD ["gunicorn", "-c", "python:bot.gunicorn_conf", "bot.wsgi:app"]
