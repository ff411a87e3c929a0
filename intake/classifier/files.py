"""The file-based evaluation interface: train from a labelled CSV, predict a CSV's messages.

No database: the management command's --csv path and scripts/evaluate_category_model.py run this.
"""

import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from intake.classifier.csvfiles import CsvFormatError, read_messages
from intake.classifier.model import TextClassifier

PREDICT_BATCH = 1_000


@dataclass(frozen=True, slots=True)
class FileTraining:
    labelled: int
    unlabelled: int
    labels: int
    artefact_bytes: int


def _unlabelled_texts(paths: Sequence[Path | str]) -> Iterator[str]:
    for path in paths:
        for message in read_messages(path):
            yield message.text


def train_from_csv(
    *, csv_path: Path | str, out_path: Path | str, unlabelled_paths: Sequence[Path | str] = ()
) -> FileTraining:
    """Train on every row of `csv_path` that has a category and write the artefact to `out_path`;
    the texts of `unlabelled_paths` (and of unlabelled rows) feed the representation only."""
    texts: list[str] = []
    labels: list[str] = []
    unlabelled: list[str] = []
    for message in read_messages(csv_path, require_category=True):
        if message.category is None:
            unlabelled.append(message.text)
        else:
            texts.append(message.text)
            labels.append(message.category)
    unlabelled.extend(_unlabelled_texts(unlabelled_paths))
    if len(set(labels)) < 2:
        raise CsvFormatError(f"{csv_path}: at least two distinct categories are needed to train")
    classifier = TextClassifier().fit(texts=texts, labels=labels, unlabelled_texts=unlabelled)
    artefact = classifier.dumps()
    Path(out_path).write_bytes(artefact)
    return FileTraining(
        labelled=len(texts), unlabelled=len(unlabelled), labels=len(classifier.labels), artefact_bytes=len(artefact)
    )


def predict_csv(*, model_path: Path | str, csv_path: Path | str, out: TextIO) -> int:
    """Write `id,category,confidence` for every message of `csv_path` (its category column, if
    any, is ignored) to `out`; the number of rows written."""
    classifier = TextClassifier.loads(Path(model_path).read_bytes())
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "category", "confidence"])
    written = 0
    batch: list[tuple[str, str]] = []

    def flush() -> None:
        for (message_id, _), top in zip(batch, classifier.predict_batch([text for _, text in batch], k=1), strict=True):
            label, confidence = top[0]
            writer.writerow([message_id, label, f"{confidence:.4f}"])
        batch.clear()

    for message in read_messages(csv_path):
        batch.append((message.id, message.text))
        written += 1
        if len(batch) == PREDICT_BATCH:
            flush()
    flush()
    return written
