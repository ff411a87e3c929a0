"""gunicorn settings, read from the working directory by every gunicorn the project starts
(Dockerfile, docker-compose.yml, scripts/run.py, the benchmark)."""

# The access log keeps the path but not the query string or the referer: query strings carry
# callers' phone numbers (the desk's and the API's repeat lookups), and personal data never goes
# into logs (DESIGN.md §7). The last field is the request's time in milliseconds.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(a)s" %(M)s'
