"""The product's settings for benchmark runs: plain HTTP on localhost, no rate limits, and the
bench URLconf with the bare one-INSERT endpoint the intake API is compared with."""

import os

os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SESSION_COOKIE_SECURE", "false")
os.environ.setdefault("CSRF_COOKIE_SECURE", "false")
os.environ.setdefault("API_THROTTLE_USER", "100000000/hour")
os.environ.setdefault("API_THROTTLE_ANON", "100000000/hour")

from hotline.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
