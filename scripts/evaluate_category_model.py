"""Evaluate the category classifier on a labelled CSV of real messages.

Stratified 5-fold cross-validation (StratifiedKFold(5, shuffle=True, random_state=SEED)): each
fold trains through `manage.py category_model train --csv … --out … --unlabelled …` and predicts
through `category_model predict` (call_command, the commands' own code path), beside two
baselines on the same folds (jieba words, and character 1–3-grams, TF-IDF + LinearSVC, trained
on the fold alone). Prints a markdown table: macro-F1 pooled over the folds' predictions, and the
mean of the per-fold macro-F1.

    .venv/bin/python scripts/evaluate_category_model.py [--csv FILE] [--unlabelled FILE ...] [--seeds 0 1 2]

The messages stay where they are (../shared/data/messages/ by default); nothing is copied here.
"""

import argparse
import csv
import io
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "messages"
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
from django.core.management import call_command  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.metrics import f1_score  # noqa: E402
from sklearn.model_selection import StratifiedKFold  # noqa: E402
from sklearn.svm import LinearSVC  # noqa: E402

from intake.classifier.csvfiles import read_messages  # noqa: E402
from intake.classifier.text import tokenizer  # noqa: E402

Predict = Callable[[list[dict[str, str]], list[dict[str, str]]], list[str]]


def read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8-sig", newline="") as stream:
        reader = csv.DictReader(stream)
        return list(reader.fieldnames or []), list(reader)


def write_rows(path: Path, header: list[str], rows: Sequence[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)


def through_commands(unlabelled: list[Path], workdir: Path) -> Predict:
    def predict(train: list[dict[str, str]], test: list[dict[str, str]]) -> list[str]:
        header = list(train[0])
        write_rows(workdir / "train.csv", header, train)
        # The test file goes without its labels, as at acceptance.
        write_rows(
            workdir / "test.csv",
            [c for c in header if c != "category"],
            [{k: v for k, v in row.items() if k != "category"} for row in test],
        )
        train_args = ["train", "--csv", str(workdir / "train.csv"), "--out", str(workdir / "model")]
        if unlabelled:
            train_args += ["--unlabelled", *map(str, unlabelled)]
        call_command("category_model", *train_args, stderr=io.StringIO())
        out = io.StringIO()
        call_command(
            "category_model",
            "predict",
            "--model",
            str(workdir / "model"),
            "--csv",
            str(workdir / "test.csv"),
            stdout=out,
        )
        predicted = {row["id"]: row["category"] for row in csv.DictReader(io.StringIO(out.getvalue()))}
        return [predicted[row["id"]] for row in test]

    return predict


def baseline(vectorizer: Callable[[], TfidfVectorizer]) -> Predict:
    def predict(train: list[dict[str, str]], test: list[dict[str, str]]) -> list[str]:
        features = vectorizer()
        model = LinearSVC().fit(
            features.fit_transform([r["title"] + r["text"] for r in train]), [r["category"] for r in train]
        )
        return list(model.predict(features.transform([r["title"] + r["text"] for r in test])))

    return predict


def jieba_words(text: str) -> list[str]:
    return tokenizer().lcut(text)


def evaluate(rows: list[dict[str, str]], predict: Predict, seed: int) -> tuple[float, float]:
    labels = np.array([row["category"] for row in rows])
    predicted = np.empty(len(rows), dtype=object)
    per_fold = []
    for train, test in StratifiedKFold(5, shuffle=True, random_state=seed).split(rows, labels):
        fold = predict([rows[i] for i in train], [rows[i] for i in test])
        predicted[test] = fold
        per_fold.append(f1_score(labels[test], fold, average="macro"))
    return float(f1_score(labels, predicted.astype(str), average="macro")), float(np.mean(per_fold))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--csv", type=Path, default=DATA / "labelled_dev.csv")
    parser.add_argument(
        "--unlabelled",
        type=Path,
        nargs="*",
        default=[DATA / "unlabelled_messages.csv.gz", DATA / "messages_with_official_replies.csv.gz"],
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="StratifiedKFold random_state values")
    args = parser.parse_args()
    header, rows = read_rows(args.csv)
    if "category" not in header:
        # A file with the public export's Chinese headers: the same reader as the commands.
        rows = [
            {"id": m.id, "title": "", "text": m.text, "category": m.category or ""} for m in read_messages(args.csv)
        ]
    with tempfile.TemporaryDirectory() as workdir:
        methods: dict[str, Predict] = {
            "this classifier (word + char TF-IDF, LSA, balanced linear SVM)": through_commands(
                args.unlabelled, Path(workdir)
            ),
            "baseline: jieba + TF-IDF + LinearSVC": baseline(lambda: TfidfVectorizer(analyzer=jieba_words)),
            "baseline: char 1–3-gram TF-IDF + LinearSVC": baseline(
                lambda: TfidfVectorizer(analyzer="char", ngram_range=(1, 3))
            ),
        }
        print(f"{args.csv.name}: {len(rows)} messages, {len({r['category'] for r in rows})} categories\n")
        print("| method | seed | macro-F1 pooled | mean per-fold |")
        print("|---|---|---|---|")
        for name, predict in methods.items():
            for seed in args.seeds:
                pooled, mean = evaluate(rows, predict, seed)
                print(f"| {name} | {seed} | {pooled:.3f} | {mean:.3f} |", flush=True)


if __name__ == "__main__":
    main()
