"""What every page's layout needs and no view passes: the site menu's list of arenas."""

from __future__ import annotations

from django import template

from arena.models import Modality

register = template.Library()


@register.simple_tag
def modalities() -> type[Modality]:
    """Every modality, in order, so the menu links to each arena without listing them."""
    return Modality
