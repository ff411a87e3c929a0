"""Text normalisation and the word tokenizer (jieba), initialised once per process."""

import logging
import re
import threading
import unicodedata

import jieba

_SPACE = re.compile(r"\s+")
_tokenizer: jieba.Tokenizer | None = None
_tokenizer_lock = threading.Lock()


def normalise(text: str) -> str:
    """NFKC (full-width letters and digits to ASCII) and every run of whitespace to one space:
    messages come with tabs, newlines and indentation from the web forms."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def ticket_text(*, title: str, text: str) -> str:
    return normalise(f"{title} {text}")


def tokenizer() -> jieba.Tokenizer:
    """The process's jieba tokenizer: its dictionary loads once (about a second), quietly."""
    global _tokenizer
    if _tokenizer is None:
        with _tokenizer_lock:
            if _tokenizer is None:
                jieba.setLogLevel(logging.WARNING)
                instance = jieba.Tokenizer()
                instance.initialize()
                _tokenizer = instance
    return _tokenizer


def words(text: str) -> list[str]:
    """Jieba words of a normalised text, spaces and punctuation-only tokens dropped. (Word bigrams
    were measured too: on short messages they add sparse, rarely shared features and cost accuracy.)"""
    return [token for token in tokenizer().lcut(text) if any(char.isalnum() for char in token)]
