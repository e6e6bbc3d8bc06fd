# newswire for Docker and Kubernetes work pools (docs/running.md). The install is make's:
# uv creates the venv and installs the project, with compiled bytecode (UV_COMPILE_BYTECODE,
# see the Makefile) — only non-editable and without the test extras, as a worker needs.
FROM python:3.11-slim

ENV UV_COMPILE_BYTECODE=1 \
    VIRTUAL_ENV=/opt/newswire/.venv \
    PATH=/opt/newswire/.venv/bin:$PATH \
    PREFECT_SERVER_ANALYTICS_ENABLED=false \
    DO_NOT_TRACK=1 \
    NEWSWIRE_HOME=/data

RUN python -m pip install --quiet --no-cache-dir uv

WORKDIR /opt/newswire
# The project's files (the .dockerignore keeps data, venvs and caches out).
COPY pyproject.toml README.md ./
COPY newswire newswire
COPY cli cli
COPY flows flows
COPY tasks tasks
COPY warehouse warehouse
COPY feeds feeds
RUN uv venv --quiet "$VIRTUAL_ENV" && uv pip install --quiet --no-cache .

# Runs start in an empty directory: the code, catalogues and data files come from the package.
WORKDIR /data
VOLUME ["/data"]
CMD ["newswire", "--help"]
