"""The smart dispatch benchmark (智能派单), on the benchmark's database:

    .venv/bin/python -m bench.smart_dispatch --tickets 1000000

1. prepares the data as `bench.run` does (generated once, reused while the size matches) and
   loads the gazetteer and the dispatch catalogue;
2. trains the category model from every ticket with `manage.py category_model train`, in a child
   process: wall time and the child's peak resident memory (its own rusage);
3. in-process, with that model active: address resolution alone (`resolve_place`) on caller-style
   addresses built from the gazetteer, then `POST /api/v1/dispatch-suggestions/` through the
   whole Django stack (token auth, throttles, JSON) with requests' text, address or both;
4. writes bench/results/smart-dispatch-<tickets>.json and .md.
"""

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import time
from datetime import datetime

from bench.run import ROOT, data_arguments, prepared, summary

# What callers say, in their words; the place comes from the gazetteer.
MESSAGES = [
    "小区门口的路灯不亮了，晚上出行很不安全，希望尽快维修。",
    "楼下工地夜间施工，噪音很大，影响休息。",
    "家里停水一天了，没有接到任何通知。",
    "暖气不热，室温只有十四度，老人孩子受不了。",
    "路边有人乱停车，堵住了消防通道。",
    "公司拖欠工资三个月，老板联系不上。",
    "孩子上学的事，非京籍入学需要准备什么材料？",
    "小区垃圾桶满了好几天没人清运，味道很大。",
    "井盖丢了，很危险，有人差点掉下去。",
    "楼道里堆满杂物，还有电动车在楼道充电。",
    "在网上买的东西是假货，商家拒绝退款。",
    "物业费涨价没有经过业主大会。",
    "饭店油烟直排，整个楼都是油烟味。",
    "遛狗不拴绳，孩子被吓哭了。",
    "出租车司机绕路多收费，还态度恶劣。",
]


def caller_addresses(count: int, *, seed: int = 0) -> list[str]:
    """Addresses as callers say them: a community of the gazetteer, named with or without its
    suffix and district, then a building."""
    from hotline.models import Community
    from hotline.places import community_short_forms

    rng = random.Random(seed)
    communities = list(Community.objects.select_related("street__parent").order_by("code"))
    addresses = []
    for _ in range(count):
        community = rng.choice(communities)
        forms = [community.name, *community_short_forms(community.name)]
        district = community.street.parent.name if rng.random() < 0.5 else ""
        street = community.street.name if rng.random() < 0.3 else ""
        addresses.append(
            f"{district}{street}{rng.choice(forms)}{rng.randint(1, 30)}号楼{rng.choice(['', '东侧', '附近'])}"
        )
    return addresses


def bench_training(*, database_url: str, redis_url: str) -> dict:
    """`category_model train` from the database in a child process: seconds and peak memory."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
    }
    began = time.perf_counter()
    child = subprocess.Popen([sys.executable, "manage.py", "category_model", "train"], cwd=ROOT, env=env)
    _pid, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - began
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"training failed with exit code {child.returncode}")
    from intake.models import CategoryModel

    model = CategoryModel.objects.get(is_active=True)
    return {
        "seconds": round(seconds, 1),
        "peak_rss_mb": round(usage.ru_maxrss / 1024),  # kilobytes on Linux
        "version": model.version,
        "tickets": model.ticket_count,
        "labels": model.label_count,
        "cv_macro_f1": model.cv_macro_f1,
        "artefact_mb": round(len(model.artefact) / 2**20, 1),
    }


def bench_resolution(addresses: list[str]) -> dict:
    from hotline.places import resolve_place

    resolve_place(address=addresses[0])  # the index is built once per process
    timings = []
    for address in addresses:
        began = time.perf_counter()
        resolve_place(address=address)
        timings.append(time.perf_counter() - began)
    return summary(timings)


def bench_suggestions(addresses: list[str], *, token: str, requests: int) -> dict:
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Token {token}", HTTP_HOST="localhost")
    rng = random.Random(1)

    def body() -> str:
        shape = rng.random()
        text = rng.choice(MESSAGES)
        address = rng.choice(addresses)
        if shape < 0.2:  # the place only in the text
            return json.dumps({"text": f"{address}{text}"})
        return json.dumps({"text": text, "address": address})

    def post() -> float:
        began = time.perf_counter()
        response = client.post("/api/v1/dispatch-suggestions/", body(), content_type="application/json")
        elapsed = time.perf_counter() - began
        assert response.status_code == 200, response.content
        return elapsed

    for _ in range(20):  # warm-up: the model and the place index load, templates and URL caches
        post()
    timings = [post() for _ in range(requests)]
    return summary(timings)


def markdown(results: dict) -> str:
    training, resolution, api = results["training"], results["resolution"], results["suggestions"]
    return (
        "\n".join(
            [
                f"Smart dispatch at {results['tickets']:,} tickets ({results['machine']}), {results['finished']}.",
                "",
                "| measurement | result |",
                "|---|---|",
                f"| category model training from every ticket ({training['tickets']:,} tickets, {training['labels']} "
                f"categories): s / peak memory MB | {training['seconds']} / {training['peak_rss_mb']} |",
                f"| category model: cross-validated macro-F1 / artefact MB | {training['cv_macro_f1']} / "
                f"{training['artefact_mb']} |",
                f"| address resolution alone, {resolution['n']} caller-style addresses: p50 / p95 ms | "
                f"{resolution['p50_ms']} / {resolution['p95_ms']} |",
                f"| suggestion API (POST /api/v1/dispatch-suggestions/), {api['n']} requests, server time: "
                f"p50 / p95 / p99 ms | {api['p50_ms']} / {api['p95_ms']} / {api['p99_ms']} |",
            ]
        )
        + "\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    data_arguments(parser)
    parser.add_argument("--requests", type=int, default=500, help="suggestion API requests timed (default 500)")
    parser.add_argument("--addresses", type=int, default=2000, help="addresses resolved (default 2000)")
    args = parser.parse_args()
    data = prepared(args)

    from django.core.management import call_command

    from bench.run import bench_users

    call_command("load_org", verbosity=0)  # the communities, on a database generated before them
    call_command("load_catalogue", verbosity=0)
    agent_token, _officer_token = bench_users()
    training = bench_training(database_url=args.database_url, redis_url=args.redis_url)
    print("training:", training, flush=True)
    addresses = caller_addresses(args.addresses)
    results = {
        "tickets": args.tickets,
        "machine": f"{os.cpu_count()} cores, {platform.platform()}",
        "data": data,
        "training": training,
        "resolution": bench_resolution(addresses),
        "suggestions": bench_suggestions(addresses, token=agent_token, requests=args.requests),
        "finished": datetime.now().astimezone().isoformat(timespec="seconds"),
    }
    args.results_dir.mkdir(parents=True, exist_ok=True)
    stem = args.results_dir / f"smart-dispatch-{args.tickets}"
    stem.with_suffix(".json").write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str))
    stem.with_suffix(".md").write_text(markdown(results))
    print(markdown(results))


if __name__ == "__main__":
    main()
