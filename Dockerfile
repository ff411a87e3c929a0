FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HOTLINE_VAR_DIR=/var/lib/hotline
RUN apt-get update && apt-get install -y --no-install-recommends gettext && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home hotline && mkdir -p /var/lib/hotline && chown hotline /var/lib/hotline
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# collectstatic needs settings to import; the build-time key is thrown away with the layer.
RUN SECRET_KEY=build-only python manage.py collectstatic --noinput
USER hotline
EXPOSE 8000
# The default command is the web: alive when it answers, whatever the state of Redis or workers.
HEALTHCHECK --interval=15s --timeout=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz/live', timeout=5)"]
CMD ["gunicorn", "hotline.wsgi", "--bind", "0.0.0.0:8000", "--workers", "4", "--access-logfile", "-"]
