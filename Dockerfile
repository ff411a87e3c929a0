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
CMD ["gunicorn", "hotline.wsgi", "--bind", "0.0.0.0:8000", "--workers", "4", "--access-logfile", "-"]
