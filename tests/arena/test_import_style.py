from __future__ import annotations

from arena.style import style_features


def test_plain_text_counts_characters_and_tokens():
    assert style_features("Hello, world!") == {
        "chars": 13,
        "tokens": 4,  # Hello , world !
        "headers": 0,
        "list_items": 0,
        "bold": 0,
    }


def test_it_counts_markdown_headers_lists_and_bold_spans():
    text = (
        "# Title\n"
        "## Part **one**\n"
        "Some __very__ **important** text.\n"
        "- first\n"
        "* second\n"
        "  + nested\n"
        "1. numbered\n"
        "2) also numbered\n"
        "#hashtag is not a header\n"
        "-not a list item\n"
    )
    features = style_features(text)
    assert features["headers"] == 2
    assert features["list_items"] == 5
    assert features["bold"] == 3


def test_markdown_inside_code_fences_is_not_style():
    text = "Run this:\n```python\n# a comment\n- x\n**not bold**\n```\n# Real header\n"
    features = style_features(text)
    assert (features["headers"], features["list_items"], features["bold"]) == (1, 0, 0)


def test_empty_text_has_zero_everything():
    assert set(style_features("").values()) == {0}


def test_non_latin_text_is_tokenized_by_word_runs():
    assert style_features("你好，世界")["tokens"] == 3  # 你好 ， 世界


ANSWER = """# Plan

Some **bold** idea and __another__ one.

- first
- second
1. numbered

```
# not a header
- not a list
```
"""


def test_style_features_count_markdown_outside_code():
    features = style_features(ANSWER)
    assert features["headers"] == 1
    assert features["list_items"] == 3
    assert features["bold"] == 2
    assert features["chars"] == len(ANSWER)
    assert features["tokens"] > 10


def test_plain_text_has_no_markdown_elements():
    features = style_features("Just a sentence.")
    assert (features["headers"], features["list_items"], features["bold"]) == (0, 0, 0)
    assert features["tokens"] == 4
