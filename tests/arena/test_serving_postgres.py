"""Serving on PostgreSQL, whose driver returns some columns (JSON) unlike SQLite's."""

from __future__ import annotations

import pytest

from tests.arena.test_battle_create import (
    test_the_served_outputs_and_prompt_are_read_as_the_orm_reads_them as _read_as_the_orm,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_the_served_outputs_and_prompt_are_read_as_the_orm_reads_them_on_postgres(text_arena):
    _read_as_the_orm(text_arena)
