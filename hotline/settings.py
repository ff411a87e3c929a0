"""Settings, all read from the environment (see README's configuration table).

Defaults are safe for production; `scripts/run.py` writes a `.env` with DEBUG on for a
local demo. Without DATABASE_URL the database is SQLite, and without REDIS_URL Celery uses
kombu's filesystem transport, so the product runs on a machine that has only Python.
"""

import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Everything the product writes at run time (SQLite file, embedded broker, beat state).
VAR_DIR = Path(env("HOTLINE_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# No default key: Django refuses an empty one wherever it signs (sessions, tokens, links), so a
# deployment without SECRET_KEY fails loudly, while commands that sign nothing (makemigrations,
# check) still run. `check --deploy` flags the missing key too.
SECRET_KEY = env("SECRET_KEY", default="")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "hotline",
    "intake",
    "dispatch",
    "evaluation",
    "analytics",
    "reports",
    "open311",
    "topics",
    "webhooks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "hotline.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Before any view reads the request: NUL, invalid UTF-8, oversized bodies → 400/413.
    "hotline.middleware.BadInputMiddleware",
    "hotline.middleware.IdleSessionTimeoutMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A view's refusal "not_found" (hotline.permissions.require) → the 404 page.
    "hotline.middleware.NotFoundMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so that it sees the outcome of the login view.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "hotline.urls"
WSGI_APPLICATION = "hotline.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "hotline.context_processors.roles",
                "hotline.context_processors.notifications",
                "hotline.context_processors.nav",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'hotline.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo runs web, worker and beat against one file: WAL and immediate
    # transactions keep them from failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # JIT compilation costs more than it saves on our month-sized aggregates (measured at 10 M
    # tickets: 1.2 s of compiling for a 0.45 s query); the planner's estimates trigger it anyway.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = f"{options.get('options', '')} -c jit=off".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "hotline.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login lockout (django-axes): per username and IP, so one attacker cannot lock out a
# whole call centre behind a shared NAT address by guessing one agent's password.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_IPWARE_PROXY_COUNT = env.int("PROXY_COUNT", default=0)
# Without a proxy in front, X-Forwarded-For is whatever the client says: use the socket address.
if AXES_IPWARE_PROXY_COUNT == 0:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)
AXES_VERBOSE = False

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

STATIC_URL = "static/"
# Where collectstatic writes and whitenoise serves from; separate runs on one checkout (the tests
# of the run script and the benchmark) each take their own.
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "media/"

# Security: on by default, switched off by DEBUG for a local demo over plain HTTP.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 3600)
# A session unused this long is logged out (hotline.middleware.IdleSessionTimeoutMiddleware).
SESSION_IDLE_TIMEOUT = timedelta(minutes=env.float("SESSION_IDLE_TIMEOUT", default=30))
X_FRAME_OPTIONS = "DENY"

REDIS_URL = env("REDIS_URL", default="")
# How long a request waits for Redis before carrying on without it (hotline/degraded.py): an
# unreachable Redis must cost a request a fraction of a second, not the kernel's TCP timeout.
REDIS_TIMEOUT = env.float("REDIS_TIMEOUT_SECONDS", default=0.5)
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": REDIS_TIMEOUT, "socket_timeout": REDIS_TIMEOUT},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "hotline.api.parsers.StrictJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["hotline.api.filters.FilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "hotline.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "hotline.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "hotline.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Counted in the cache (Redis when REDIS_URL is set, so every web process shares the counts).
    "DEFAULT_THROTTLE_CLASSES": [
        "hotline.api.throttling.AnonRateThrottle",
        "hotline.api.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": env("API_THROTTLE_USER", default="2000/hour"),
        "anon": env("API_THROTTLE_ANON", default="300/hour"),
        "open311_submit": env("OPEN311_THROTTLE_SUBMIT", default="120/hour"),
        "open311_read": env("OPEN311_THROTTLE_READ", default="1200/hour"),
    },
    # The client IP for per-IP limits: X-Forwarded-For only as far as our own proxies set it.
    "NUM_PROXIES": env.int("PROXY_COUNT", default=0),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "12345 Hotline API",
    "DESCRIPTION": "Case management for a city citizen-service hotline.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema is public, like Open311's: clients and contract testers read it before they
    # have a token, and it holds no data.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    # Swagger UI assets served from our own static files: deployments may be offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One component name per choice set that several serializers share.
    "ENUM_NAME_OVERRIDES": {
        "TicketStatusEnum": "intake.lifecycle.Status",
        "TicketKindEnum": "intake.models.Kind",
        "DispositionEnum": "intake.models.Disposition",
        "ClosingDispositionEnum": "intake.api.serializers.CLOSING_CHOICES",
        "ChannelEnum": "intake.models.Channel",
        "CitizenChannelEnum": "intake.api.serializers.CITIZEN_CHANNEL_CHOICES",
        "UnitKindEnum": "hotline.models.UnitKind",
        "RoleEnum": "hotline.models.Role",
        "ErrorCodeEnum": "hotline.api.schema.ERROR_CODE_CHOICES",
        "DeadlineTierEnum": "hotline.models.DeadlineTier",
        "AssignmentRoleEnum": "dispatch.models.AssignmentRole",
        "AssignmentStatusEnum": "dispatch.models.AssignmentStatus",
        "ReviewStatusEnum": "dispatch.models.ReviewStatus",
        "ReplyOutcomeEnum": "dispatch.models.ReplyOutcome",
        "AppealKindEnum": "evaluation.models.AppealKind",
        "CallbackStatusEnum": "evaluation.models.CallbackStatus",
        "TopicStatusEnum": "topics.models.TopicStatus",
        "TopicSourceEnum": "topics.models.TopicSource",
        "WebhookEventTypeEnum": "webhooks.models.EventType",
    },
    # The signed requests the webhooks send (webhooks/api/schema.py).
    "WEBHOOKS": [
        f"webhooks.api.schema.{_name}"
        for _name in (
            "TICKET_CREATED",
            "TICKET_DISPATCHED",
            "TICKET_SIGNED",
            "TICKET_REPLIED",
            "TICKET_CLOSED",
            "TICKET_REOPENED",
            "TICKET_OVERDUE",
            "RANKING_PUBLISHED",
        )
    ],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "webhooks.api.schema.webhooks_in_openapi_30",
    ],
}

# Open311 GeoReport v2 (open311/): the one jurisdiction this deployment serves, and what
# the discovery document tells client developers.
OPEN311_JURISDICTION_ID = env("OPEN311_JURISDICTION_ID", default="beijing.gov.cn")
OPEN311_CONTACT = env("OPEN311_CONTACT", default="12345 citizen service hotline: call 12345")
OPEN311_KEY_SERVICE = env("OPEN311_KEY_SERVICE", default="Ask the hotline's system administrator for an api_key.")
OPEN311_ENDPOINT_TYPE = env("OPEN311_ENDPOINT_TYPE", default="production")

# Celery: Redis is only a transport; PostgreSQL holds the truth (DESIGN.md §8).
CELERY_BROKER_URL = REDIS_URL or "filesystem://"
if REDIS_URL:
    # A request's enqueue (hotline/enqueue.py) gives up within about a second when Redis is away;
    # the beat's sweeps catch up. socket_timeout stays above the workers' 1 s BRPOP.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": REDIS_TIMEOUT, "socket_timeout": 5}
    CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_TIMEOUT
    CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
else:
    _broker_dir = VAR_DIR / "broker"
    for _folder in ("queue", "processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=120)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=180)
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# One queue per app, so a deployment can give, say, dispatch's sweeps their own workers. Every
# worker command (scripts/run.py, docker-compose.yml, tests' celery_worker) consumes
# -Q celery,hotline,intake,dispatch,evaluation,analytics,topics,reports,webhooks; anything else stays on
# the default queue.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {
    f"{app}.*": {"queue": app}
    for app in ("hotline", "intake", "dispatch", "evaluation", "analytics", "topics", "reports", "webhooks")
}
HEARTBEAT_INTERVAL = env.int("HEARTBEAT_INTERVAL_SECONDS", default=30)


# A sweep re-derives its work from PostgreSQL, so after a backlog (a broker or worker outage) one
# run is enough: the copies queued while nobody consumed expire instead of running one after another.
def every_minute(task: str) -> dict:
    return {"task": task, "schedule": 60.0, "options": {"expires": 55}}


CELERY_BEAT_SCHEDULE = {
    "record-heartbeat": {"task": "hotline.tasks.record_heartbeat", "schedule": float(HEARTBEAT_INTERVAL)},
    "prune-heartbeats": {"task": "hotline.tasks.prune_heartbeats", "schedule": crontab(minute=17, hour=3)},
    "prune-messages": {"task": "hotline.tasks.prune_messages", "schedule": crontab(minute=37, hour=3)},
    "fold-ticket-number-sequences": {
        "task": "intake.tasks.fold_ticket_number_sequences",
        "schedule": crontab(minute=27, hour=3),
    },
    "open-due-callbacks": every_minute("evaluation.tasks.open_due_callbacks"),
    "sweep-overdue-callbacks": every_minute("evaluation.tasks.sweep_overdue_callbacks"),
    "sweep-late-signs": every_minute("dispatch.tasks.sweep_late_signs"),
    "sweep-late-contacts": every_minute("dispatch.tasks.sweep_late_contacts"),
    "sweep-deadline-alerts": every_minute("dispatch.tasks.sweep_deadline_alerts"),
    # 00:30 on the 1st, Asia/Shanghai (CELERY_TIMEZONE): last month's callbacks are in by then.
    "monthly-rankings": {
        "task": "evaluation.tasks.compute_previous_month",
        "schedule": crontab(minute=30, hour=0, day_of_month=1),
    },
    "requeue-pending-sms": every_minute("hotline.tasks.requeue_pending_sms"),
    "rank-recent-suggestions": {
        "task": "intake.tasks.rank_recent_suggestions",
        "schedule": 30.0,
        "options": {"expires": 25},
    },
    # The category classifier, retrained on the week's tickets: 04:10 on Mondays, Asia/Shanghai.
    "train-category-model": {
        "task": "intake.tasks.train_category_model",
        "schedule": crontab(minute=10, hour=4, day_of_week=1),
    },
    # Analytics rollups: the days touched since the last run (analytics/services.py).
    "refresh-rollups": {
        "task": "analytics.tasks.refresh_rollups",
        "schedule": float(env.int("ANALYTICS_REFRESH_INTERVAL_SECONDS", default=300)),
    },
    # Monthly topics (每月一题): each topic's rule recomputed over its tickets, new ones included,
    # 02:40 Asia/Shanghai; an edit of a topic's rule relinks it at once (topics/services.py).
    "relink-topics": {"task": "topics.tasks.relink_topics", "schedule": crontab(minute=40, hour=2)},
    # 《市民热线反映》 (reports/): each run generates the last complete period (and any missed) once.
    # Asia/Shanghai: yesterday's at 06:00; last week's on Mondays; last month's on the 2nd, after the
    # rankings computed on the 1st could be published; last quarter's on the 2nd of its next month.
    "hotline-report-daily": {
        "task": "reports.tasks.generate_due_reports",
        "schedule": crontab(minute=0, hour=6),
        "args": ("daily",),
        "options": {"expires": 6 * 3600},
    },
    "hotline-report-weekly": {
        "task": "reports.tasks.generate_due_reports",
        "schedule": crontab(minute=20, hour=6, day_of_week=1),
        "args": ("weekly",),
        "options": {"expires": 12 * 3600},
    },
    "hotline-report-monthly": {
        "task": "reports.tasks.generate_due_reports",
        "schedule": crontab(minute=40, hour=6, day_of_month=2),
        "args": ("monthly",),
        "options": {"expires": 12 * 3600},
    },
    "hotline-report-quarterly": {
        "task": "reports.tasks.generate_due_reports",
        "schedule": crontab(minute=0, hour=7, day_of_month=2, month_of_year="1,4,7,10"),
        "args": ("quarterly",),
        "options": {"expires": 12 * 3600},
    },
    # Webhooks: deliveries a dead worker left sending, or whose enqueue was lost; the log's retention.
    "sweep-webhook-deliveries": {
        "task": "webhooks.tasks.sweep_deliveries",
        "schedule": float(env.int("WEBHOOK_SWEEP_INTERVAL_SECONDS", default=30)),
        "options": {"expires": 25},
    },
    "prune-webhook-deliveries": {"task": "webhooks.tasks.prune_deliveries", "schedule": crontab(minute=47, hour=3)},
}

# Business rules (DESIGN.md §5), all overridable from the environment.
HOTLINE_DEADLINES = {
    "emergency": timedelta(hours=env.float("DEADLINE_EMERGENCY_HOURS", default=2)),
    "utility": timedelta(hours=env.float("DEADLINE_UTILITY_HOURS", default=24)),
    "general": timedelta(days=env.float("DEADLINE_GENERAL_DAYS", default=7)),
    "complex": timedelta(days=env.float("DEADLINE_COMPLEX_DAYS", default=15)),
}
HOTLINE_REPEAT_WINDOW_DAYS = env.int("REPEAT_WINDOW_DAYS", default=30)
# Deadline sweeps (dispatch/sweeps.py): reminders at this fraction of the time and this long
# before the deadline; at most this many assignments per sweep run (beat runs them every minute).
HOTLINE_REMINDER_FRACTION = env.float("REMINDER_FRACTION", default=0.75)
HOTLINE_REMINDER_BEFORE = timedelta(minutes=env.int("REMINDER_BEFORE_MINUTES", default=60))
HOTLINE_SWEEP_BATCH = env.int("SWEEP_BATCH", default=1000)
HOTLINE_SWEEP_COMMIT_EVERY = env.int("SWEEP_COMMIT_EVERY", default=100)
# Callbacks (回访): due within the window after the reply (or the missed deadline); after
# the maximum of unreached attempts the callback closes as "not reached", and so does one still
# not reached this long after it was due (the sweep-overdue-callbacks sweep).
CALLBACK_WINDOW = timedelta(hours=env.float("CALLBACK_WINDOW_HOURS", default=48))
CALLBACK_MAX_ATTEMPTS = env.int("CALLBACK_MAX_ATTEMPTS", default=3)
CALLBACK_GIVE_UP_AFTER = timedelta(days=env.float("CALLBACK_GIVE_UP_AFTER_DAYS", default=5))
CALLBACK_SURVEY_MAX_AGE = env.int("CALLBACK_SURVEY_MAX_AGE_SECONDS", default=7 * 24 * 3600)
# The origin citizens reach the public pages at, e.g. https://12345.example.gov.cn: survey links
# in SMS are absolute. Empty: no survey SMS is sent (the callback agents still phone).
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="").removesuffix("/")
if PUBLIC_BASE_URL and not re.fullmatch(r"https?://[^/?#\s]+", PUBLIC_BASE_URL):
    raise ImproperlyConfigured("PUBLIC_BASE_URL must be an http(s) origin such as https://12345.example.gov.cn.")
EVALUATION_ATTACHMENT_MAX_BYTES = env.int("APPEAL_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
# Used for a unit kind and month that no EvaluationScheme (admin) covers: the 10/45/45 preset;
# "partly resolved" counts 0 towards resolution and "basically satisfied" 0.8 towards satisfaction.
EVALUATION_DEFAULT_PARAMETERS = {
    "response_weight": Decimal("0.10"),
    "resolution_weight": Decimal("0.45"),
    "satisfaction_weight": Decimal("0.45"),
    "basically_satisfied_factor": Decimal("0.8"),
    "partly_resolved_factor": Decimal("0"),
    "advanced_count": 10,
    "rectify_count": 10,
    # 进步类: composite score up this many points on the previous month, or rank up this many places.
    "improved_margin": Decimal("5"),
    "improved_rank_rise": 20,
    # Below either minimum a unit is listed as 样本不足: no composite score, rank or class.
    "minimum_responses": 5,
    "minimum_callbacks": 5,
    # 治理类: this share of the streets/townships with the most requests over these months.
    "governance_share": Decimal("0.10"),
    "governance_months": 3,
    "governance_minimum": 30,
}
# Public citizen pages (intake/views.py): per-IP limits within a fixed window, and the
# signed form token's minimum fill time (bots submit at once) and maximum age.
HOTLINE_PUBLIC_RATE_WINDOW = env.int("PUBLIC_RATE_WINDOW_SECONDS", default=600)
HOTLINE_PUBLIC_SUBMIT_LIMIT = env.int("PUBLIC_SUBMIT_LIMIT", default=5)
HOTLINE_PUBLIC_STATUS_LIMIT = env.int("PUBLIC_STATUS_LIMIT", default=20)
HOTLINE_PUBLIC_MIN_FILL_SECONDS = env.int("PUBLIC_MIN_FILL_SECONDS", default=3)
HOTLINE_PUBLIC_FORM_MAX_AGE = env.int("PUBLIC_FORM_MAX_AGE_SECONDS", default=2 * 3600)
# Smart dispatch: a place resolved from the address at least this sure fills in the ticket's
# district and street (the desk proposes it, the public form, REST API and Open311 take it);
# below it the agent is shown the candidates and the other channels leave the place empty.
PLACE_AUTOFILL_CONFIDENCE = env.float("PLACE_AUTOFILL_CONFIDENCE", default=0.8)
# Dispatch and handling at the unit (dispatch/services.py).
HOTLINE_SIGN_DEADLINE = timedelta(minutes=env.float("SIGN_DEADLINE_MINUTES", default=60))
HOTLINE_SIGN_DEADLINE_EMERGENCY = timedelta(minutes=env.float("SIGN_DEADLINE_EMERGENCY_MINUTES", default=15))
HOTLINE_FIRST_CONTACT_DEADLINE = timedelta(hours=env.float("FIRST_CONTACT_HOURS", default=2))
# Returns asked later than this after dispatch are decided by a hotline supervisor, not a dispatcher.
HOTLINE_RETURN_WINDOW = timedelta(hours=env.float("RETURN_WINDOW_HOURS", default=2))
HOTLINE_MAX_EXTENSIONS = env.int("MAX_EXTENSIONS", default=1)
HOTLINE_MAX_EXTENSION_DAYS = env.int("MAX_EXTENSION_DAYS", default=15)
# Who counts the navigation's pending work (hotline.navigation): source → function(user, keys).
HOTLINE_NAV_COUNTS = {
    "dispatch": "dispatch.selectors.nav_counts",
    "evaluation": "evaluation.selectors.nav_counts",
}
# The workbench's "due soon" tab: live assignments whose handling deadline is this close.
HOTLINE_DUE_SOON = timedelta(hours=env.float("DUE_SOON_HOURS", default=24))
HOTLINE_ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_MB", default=10) * 1024 * 1024
HOTLINE_ATTACHMENT_TYPES = env.list(
    "ATTACHMENT_TYPES", default=["jpg", "jpeg", "png", "pdf", "doc", "docx", "xls", "xlsx"]
)
# "calendar": every deadline is start + duration. "working_days": whole-day durations count
# working days from the holiday calendar (admin); hour durations stay 24/7 (hotline/deadlines.py).
HOTLINE_DEADLINE_MODE = env.str("DEADLINE_MODE", default="calendar")
if HOTLINE_DEADLINE_MODE not in ("calendar", "working_days"):
    raise ImproperlyConfigured("DEADLINE_MODE must be 'calendar' or 'working_days'.")

# Notifications and SMS (hotline/notifications.py, hotline/sms.py).
# Notification kinds that also go out as SMS to recipients with a mobile number.
HOTLINE_SMS_KINDS = frozenset(env.list("SMS_NOTIFICATION_KINDS", default=["dispatched", "overdue", "escalated"]))
# "console" (log only, phone masked), "http", or the dotted path of an SmsBackend class.
SMS_BACKEND = env.str("SMS_BACKEND", default="console")
SMS_HTTP_URL = env.str("SMS_HTTP_URL", default="")
SMS_HTTP_TOKEN = env.str("SMS_HTTP_TOKEN", default="")
SMS_HTTP_TIMEOUT = env.float("SMS_HTTP_TIMEOUT_SECONDS", default=10)
SMS_MAX_ATTEMPTS = env.int("SMS_MAX_ATTEMPTS", default=5)
# An attempt still "sending" after this was interrupted (the worker died): see hotline/sms.py.
SMS_SENDING_TIMEOUT = timedelta(seconds=env.float("SMS_SENDING_TIMEOUT_SECONDS", default=300))
# True only for a provider that drops a repeated Idempotency-Key: interrupted or unanswered
# attempts are then resent (exactly once); otherwise they are left "unknown" (at most once).
SMS_PROVIDER_DEDUPLICATES = env.bool("SMS_PROVIDER_DEDUPLICATES", default=False)
# Retry n waits SMS_RETRY_BACKOFF_SECONDS * 2**(n-1), at most SMS_RETRY_BACKOFF_MAX_SECONDS.
SMS_RETRY_BACKOFF_SECONDS = env.float("SMS_RETRY_BACKOFF_SECONDS", default=30)
SMS_RETRY_BACKOFF_MAX_SECONDS = env.float("SMS_RETRY_BACKOFF_MAX_SECONDS", default=1800)
# The signature the provider puts on every SMS (e.g. 【12345热线】): not sent by us, but it counts
# towards the length. A reply SMS to the caller (双反馈, dispatch/feedback.py) is at most
# FEEDBACK_SMS_MAX_SEGMENTS segments long (70 characters in one, 67 each when split), signature included.
SMS_SIGNATURE = env.str("SMS_SIGNATURE", default="【12345热线】")
FEEDBACK_SMS_MAX_SEGMENTS = env.int("FEEDBACK_SMS_MAX_SEGMENTS", default=3)
if FEEDBACK_SMS_MAX_SEGMENTS < 1:
    raise ImproperlyConfigured("FEEDBACK_SMS_MAX_SEGMENTS must be at least 1.")
# Retention (hotline.services.prune_messages, nightly): older notifications and sent or failed
# SMS records are deleted. Every unit's staff get several notices per dispatched ticket: at city
# scale that is tens of millions of rows a year.
NOTIFICATION_RETENTION = timedelta(days=env.int("NOTIFICATION_RETENTION_DAYS", default=180))
SMS_RETENTION = timedelta(days=env.int("SMS_RETENTION_DAYS", default=180))

# Outbound webhooks (webhooks/): plain http endpoints only where allowed (local development, tests);
# request timeouts; an attempt still "sending" after WEBHOOK_LEASE was interrupted and is sent
# again (keep it above the timeouts); retry n waits about WEBHOOK_BACKOFF_SECONDS * 2**(n-1)
# (jittered, at most WEBHOOK_BACKOFF_MAX_SECONDS); dead after WEBHOOK_MAX_ATTEMPTS.
WEBHOOK_ALLOW_HTTP = env.bool("WEBHOOK_ALLOW_HTTP", default=DEBUG)
WEBHOOK_CONNECT_TIMEOUT = env.float("WEBHOOK_CONNECT_TIMEOUT_SECONDS", default=5)
WEBHOOK_HTTP_TIMEOUT = env.float("WEBHOOK_HTTP_TIMEOUT_SECONDS", default=10)
WEBHOOK_LEASE = timedelta(seconds=env.float("WEBHOOK_LEASE_SECONDS", default=60))
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=10)
WEBHOOK_BACKOFF_SECONDS = env.float("WEBHOOK_BACKOFF_SECONDS", default=30)
WEBHOOK_BACKOFF_MAX_SECONDS = env.float("WEBHOOK_BACKOFF_MAX_SECONDS", default=3600)
WEBHOOK_RETENTION = timedelta(days=env.int("WEBHOOK_RETENTION_DAYS", default=30))

# Analytics (analytics/): rollup refresh and the hot-spot and monthly-topic rules.
# A refresh re-reads changes from this long before its watermark: transactions still open at the
# last run commit with earlier updated_at values (keep it above CELERY_TASK_TIME_LIMIT).
ANALYTICS_ROLLUP_OVERLAP = timedelta(seconds=env.int("ANALYTICS_ROLLUP_OVERLAP_SECONDS", default=600))
ANALYTICS_ROLLUP_BATCH_DAYS = env.int("ANALYTICS_ROLLUP_BATCH_DAYS", default=7)
# A refresh stops starting new batches after this; the days left wait for the next run.
ANALYTICS_REFRESH_TIME_BUDGET_SECONDS = env.float("ANALYTICS_REFRESH_TIME_BUDGET_SECONDS", default=60)
# Hot spot: a category × street whose month has at least MIN_VOLUME tickets, at least
# mean + Z·sd of its previous BASELINE_MONTHS months (missing months count 0; at least
# MIN_BASELINE_MONTHS of history), and at least (1 + MIN_RISE) × that mean.
ANALYTICS_HOTSPOT_BASELINE_MONTHS = env.int("ANALYTICS_HOTSPOT_BASELINE_MONTHS", default=6)
ANALYTICS_HOTSPOT_MIN_BASELINE_MONTHS = env.int("ANALYTICS_HOTSPOT_MIN_BASELINE_MONTHS", default=3)
ANALYTICS_HOTSPOT_MIN_VOLUME = env.int("ANALYTICS_HOTSPOT_MIN_VOLUME", default=10)
ANALYTICS_HOTSPOT_Z = env.float("ANALYTICS_HOTSPOT_Z", default=3.0)
ANALYTICS_HOTSPOT_MIN_RISE = env.float("ANALYTICS_HOTSPOT_MIN_RISE", default=0.5)
# Monthly-topic candidate: one of the TOP_N second-level categories by volume, with at least
# MIN_CALLBACKS answered callbacks and a resolution rate below the overall one.
ANALYTICS_TOPIC_TOP_N = env.int("ANALYTICS_TOPIC_TOP_N", default=20)
ANALYTICS_TOPIC_MIN_CALLBACKS = env.int("ANALYTICS_TOPIC_MIN_CALLBACKS", default=10)
# The big screen (/analytics/screen/): how often its page asks for new figures, and how long one
# assembled answer is kept in the cache for every screen of the same scope (0: not cached).
ANALYTICS_SCREEN_POLL_SECONDS = env.int("ANALYTICS_SCREEN_POLL_SECONDS", default=30)
ANALYTICS_SCREEN_CACHE_SECONDS = env.int("ANALYTICS_SCREEN_CACHE_SECONDS", default=5)
# 《市民热线反映》 (reports/): the PDF files (WeasyPrint; needs Pango and a Chinese font such as Debian's
# fonts-noto-cjk, else the report is stored without its PDF and says why), the font families the
# PDF asks for, and how many periods before the last complete one a scheduled run catches up.
REPORTS_PDF_ENABLED = env.bool("REPORTS_PDF_ENABLED", default=True)
REPORTS_PDF_FONTS = env.str(
    "REPORTS_PDF_FONTS", default='"Noto Sans CJK SC", "Noto Serif CJK SC", "WenQuanYi Zen Hei", sans-serif'
)
REPORTS_CATCH_UP_PERIODS = env.int("REPORTS_CATCH_UP_PERIODS", default=2)

# How old the last beat-driven heartbeat may be before /healthz reports the workers down: two
# intervals and a little, so one late beat is not an outage but a dead worker shows within ~1 min.
HEARTBEAT_MAX_AGE = timedelta(seconds=env.int("HEARTBEAT_MAX_AGE_SECONDS", default=2 * HEARTBEAT_INTERVAL + 15))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # With the offset: gunicorn's and Celery's own lines are in the process's zone too (TZ).
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s", "datefmt": "%Y-%m-%d %H:%M:%S%z"}
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
