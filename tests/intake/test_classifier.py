"""The category classifier's core: learning, top-k confidences, storage, the unlabelled texts."""

import pytest

from intake.classifier.model import ClassifierFormatError, TextClassifier, cross_validated_score
from intake.classifier.text import normalise
from tests.intake.classifier_corpus import corpus


@pytest.fixture(scope="module")
def trained() -> TextClassifier:
    texts, labels = corpus()
    return TextClassifier().fit(texts=texts, labels=labels)


def test_it_learns_the_topics_of_unseen_texts(trained):
    # Given a classifier trained on three topics; when it sees new texts of each
    # Then the top suggestion is the topic
    assert trained.predict_top("楼下锅炉坏了暖气不热")[0][0] == "heating"
    assert trained.predict_top("夜间施工噪音扰民")[0][0] == "noise"
    assert trained.predict_top("垃圾没人清运有异味")[0][0] == "garbage"


def test_top_k_is_ordered_and_confidences_are_probabilities(trained):
    top = trained.predict_top("暖气不热，室温太低", k=5)
    # Only three labels exist, so k is capped; most confident first; each in [0, 1], sum ≤ 1
    assert top[0][0] == "heating"
    assert len(top) == 3
    confidences = [confidence for _, confidence in top]
    assert confidences == sorted(confidences, reverse=True)
    assert all(0 <= confidence <= 1 for confidence in confidences)
    assert sum(confidences) <= 1 + 1e-6
    assert len(trained.predict_top("暖气不热", k=2)) == 2


def test_batch_prediction_matches_single_predictions(trained):
    texts = ["暖气不热", "垃圾堆放"]
    assert trained.predict_batch(texts, k=2) == [trained.predict_top(text, k=2) for text in texts]


def test_it_round_trips_through_dumps_and_loads(trained):
    restored = TextClassifier.loads(trained.dumps())
    assert restored.predict_top("夜间装修噪音") == trained.predict_top("夜间装修噪音")


def test_foreign_bytes_are_refused():
    with pytest.raises(ClassifierFormatError):
        TextClassifier.loads(b"not a model")


def test_unlabelled_texts_extend_the_vocabulary():
    texts, labels = corpus()
    unlabelled = ["物业费上涨物业公司不作为"] * 3
    without = TextClassifier().fit(texts=texts, labels=labels)
    with_unlabelled = TextClassifier().fit(texts=texts, labels=labels, unlabelled_texts=unlabelled)
    assert "物业费" not in without.word_vectorizer.vocabulary_
    assert "物业费" in with_unlabelled.word_vectorizer.vocabulary_


def test_one_label_is_refused():
    with pytest.raises(ValueError, match="two distinct labels"):
        TextClassifier().fit(texts=["暖气不热", "暖气不热了"], labels=["heating", "heating"])


def test_cross_validated_score_is_a_macro_f1_or_none_when_too_few():
    texts, labels = corpus(per_topic=10)
    score = cross_validated_score(texts=texts, labels=labels)
    assert score is not None
    assert 0.8 <= score <= 1
    # A label with fewer texts than folds is left out; one label left is no score
    assert cross_validated_score(texts=texts[:14], labels=labels[:14]) is None


def test_normalise_collapses_whitespace_and_full_width_forms():
    assert normalise("\n\t\t 小区ＡＢＣ１２３  \n 暖气\t") == "小区ABC123 暖气"


def test_with_many_labelled_texts_it_learns_without_the_latent_block():
    # Given more labelled texts than the LSA is fitted for (scaled down: 10)
    texts, labels = corpus(per_topic=12)
    large = TextClassifier(lsa_max_labelled=10).fit(texts=texts, labels=labels)
    small = TextClassifier().fit(texts=texts, labels=labels)
    # Then it still learns the topics, with weights over the n-grams alone, the same shape as with LSA
    assert large.predict_top("楼下装修噪音扰民", k=1)[0][0] == "noise"
    assert large.weights.shape == small.weights.shape
