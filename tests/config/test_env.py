import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_database, env_int, env_list, env_str, env_url


def test_a_missing_required_string_names_the_variable():
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY must be set"):
        env_str("SECRET_KEY", environ={})


def test_a_blank_value_counts_as_unset():
    assert env_str("NAME", "fallback", environ={"NAME": "  "}) == "fallback"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("TRUE", True),
        ("yes", True),
        ("on", True),
        ("0", False),
        ("False", False),
        ("no", False),
        ("off", False),
    ],
)
def test_booleans_accept_the_usual_spellings(raw, expected):
    assert env_bool("DEBUG", not expected, environ={"DEBUG": raw}) is expected


def test_a_boolean_typo_fails_loudly_instead_of_defaulting():
    with pytest.raises(ImproperlyConfigured, match=r"DEBUG='ture' is not a boolean"):
        env_bool("DEBUG", False, environ={"DEBUG": "ture"})


def test_integers_are_parsed_and_bounded():
    assert env_int("N", 1, environ={"N": "42"}) == 42
    with pytest.raises(ImproperlyConfigured, match="N='4x' is not an integer"):
        env_int("N", 1, environ={"N": "4x"})
    with pytest.raises(ImproperlyConfigured, match="N=-1 is below the minimum 0"):
        env_int("N", 1, minimum=0, environ={"N": "-1"})
    with pytest.raises(ImproperlyConfigured, match="above the maximum 10"):
        env_int("N", 1, maximum=10, environ={"N": "11"})


def test_lists_split_on_commas_and_refuse_empty_items():
    assert env_list("HOSTS", [], environ={"HOSTS": "a.org, b.org"}) == ["a.org", "b.org"]
    with pytest.raises(ImproperlyConfigured, match="empty item"):
        env_list("HOSTS", [], environ={"HOSTS": "a.org,,b.org"})


def test_a_postgres_url_becomes_a_django_database():
    db = env_database(
        "DATABASE_URL",
        "sqlite:///x",
        environ={"DATABASE_URL": "postgres://arena:secret@db.internal:6543/arena"},
    )
    assert db["ENGINE"] == "config.postgresql"
    assert (db["HOST"], db["PORT"], db["NAME"], db["USER"]) == (
        "db.internal",
        6543,
        "arena",
        "arena",
    )


def test_an_unsupported_or_malformed_database_url_is_refused():
    with pytest.raises(ImproperlyConfigured, match="not a supported database URL"):
        env_database("DATABASE_URL", "", environ={"DATABASE_URL": "mysql://x/y"})
    with pytest.raises(ImproperlyConfigured, match="not a supported database URL"):
        env_database("DATABASE_URL", "", environ={"DATABASE_URL": "localhost:5432"})
    with pytest.raises(ImproperlyConfigured, match="names no database"):
        env_database("DATABASE_URL", "", environ={"DATABASE_URL": "postgres://h:5432/"})


def test_a_url_with_the_wrong_scheme_is_refused():
    assert env_url("REDIS_URL", None, schemes={"redis"}, environ={}) is None
    with pytest.raises(ImproperlyConfigured, match="must be a URL starting with one of redis://"):
        env_url("REDIS_URL", None, schemes={"redis"}, environ={"REDIS_URL": "127.0.0.1:6379"})
