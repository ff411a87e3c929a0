"""`manage.py category_model train --csv/predict`: the file-based evaluation interface, no database."""

import csv
import gzip
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.intake.classifier_corpus import corpus


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def train_csv(tmp_path) -> Path:
    texts, labels = corpus()
    rows = [
        [str(i), text[:4], f"\n\t\t{text}\n ", "2019/1/1 10:00:00", label]
        for i, (text, label) in enumerate(zip(texts, labels, strict=True))
    ]
    return write_csv(tmp_path / "train.csv", ["id", "title", "text", "created", "category"], rows)


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("category_model", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_train_then_predict_writes_id_category_confidence(tmp_path, train_csv):
    # Given a model trained from a labelled CSV
    run("train", "--csv", str(train_csv), "--out", str(tmp_path / "model"))
    # When a test CSV without a category column is predicted
    test_csv = write_csv(
        tmp_path / "test.csv",
        ["id", "title", "text", "created"],
        [
            ["a1", "暖气", "锅炉坏了暖气不热室温低", "2019/1/2"],
            ["a2", "噪音", "夜间施工噪音扰民", "2019/1/2"],
        ],
    )
    rows = list(csv.reader(io.StringIO(run("predict", "--model", str(tmp_path / "model"), "--csv", str(test_csv)))))
    # Then stdout is a CSV: header, then one row per message with its best category
    assert rows[0] == ["id", "category", "confidence"]
    assert [row[:2] for row in rows[1:]] == [["a1", "heating"], ["a2", "noise"]]
    assert all(0 < float(row[2]) <= 1 for row in rows[1:])


def test_gzip_unlabelled_files_with_chinese_headers_shape_the_vocabulary(tmp_path, train_csv):
    # Given an unlabelled export, gzip-compressed, with the public export's Chinese headers
    unlabelled = tmp_path / "messages.csv.gz"
    with gzip.open(unlabelled, "wt", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["留言编号", "留言用户", "留言主题", "留言时间", "留言详情"])
        for n in range(3):
            writer.writerow([str(n), "A1", "物业费", "2019/1/1", "\n\t\t\t物业公司乱收物业费\n\t"])
    # When training with it
    run("train", "--csv", str(train_csv), "--out", str(tmp_path / "model"), "--unlabelled", str(unlabelled))
    # Then its words are in the model's vocabulary
    from intake.classifier.model import TextClassifier

    model = TextClassifier.loads((tmp_path / "model").read_bytes())
    assert "物业费" in model.word_vectorizer.vocabulary_


def test_a_labelled_file_with_chinese_headers_trains(tmp_path):
    texts, labels = corpus()
    path = write_csv(
        tmp_path / "zh.csv",
        ["留言编号", "留言主题", "留言详情", "一级分类"],
        [[str(i), "", text, label] for i, (text, label) in enumerate(zip(texts, labels, strict=True))],
    )
    run("train", "--csv", str(path), "--out", str(tmp_path / "model"))
    assert (tmp_path / "model").stat().st_size > 0


def test_a_file_without_the_text_columns_is_a_clear_error(tmp_path):
    path = write_csv(tmp_path / "bad.csv", ["id", "body"], [["1", "暖气不热"]])
    with pytest.raises(CommandError, match="title,text"):
        run("train", "--csv", str(path), "--out", str(tmp_path / "model"))


def test_a_training_file_without_categories_is_a_clear_error(tmp_path):
    path = write_csv(tmp_path / "nolabels.csv", ["id", "title", "text"], [["1", "暖气", "暖气不热"]])
    with pytest.raises(CommandError, match="category"):
        run("train", "--csv", str(path), "--out", str(tmp_path / "model"))


def test_a_file_that_is_not_a_model_is_a_clear_error(tmp_path, train_csv):
    (tmp_path / "model").write_bytes(b"nonsense")
    with pytest.raises(CommandError, match="not a classifier"):
        run("predict", "--model", str(tmp_path / "model"), "--csv", str(train_csv))
