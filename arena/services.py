"""Writes: every function here owns its transaction."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from arena.models import AIModel, Lab, WorkerHeartbeat
from arena.parsing import CatalogueRow


def worker_heartbeat_record(*, hostname: str) -> WorkerHeartbeat:
    heartbeat, _ = WorkerHeartbeat.objects.update_or_create(
        hostname=hostname, defaults={"seen_at": timezone.now()}
    )
    return heartbeat


@dataclass(frozen=True)
class CatalogueReport:
    labs_created: int
    labs_updated: int
    models_created: int
    models_updated: int
    models_unchanged: int

    def __str__(self) -> str:
        return (
            f"labs: {self.labs_created} created, {self.labs_updated} updated; models: "
            f"{self.models_created} created, {self.models_updated} updated, "
            f"{self.models_unchanged} unchanged"
        )


@transaction.atomic
def catalogue_upsert(*, rows: list[CatalogueRow]) -> CatalogueReport:
    """Create or update labs and models from parsed catalogue rows, all or nothing."""
    labs = {lab.name: lab for lab in Lab.objects.all()}
    labs_created = labs_updated = 0
    for organisation, country in {row.organisation: row.country for row in rows}.items():
        lab = labs.get(organisation)
        if lab is None:
            labs[organisation] = Lab.objects.create(name=organisation, country=country)
            labs_created += 1
        elif lab.country != country:
            lab.country = country
            lab.save(update_fields=["country"])
            labs_updated += 1
    existing = {model.key: model for model in AIModel.objects.filter(key__in=[r.key for r in rows])}
    created = updated = unchanged = 0
    for row in rows:
        values = {
            "display_name": row.display_name,
            "lab": labs[row.organisation],
            "release_date": row.release_date,
            "licence": row.licence,
            "open_weights": row.open_weights,
            "modalities": list(row.modalities),
        }
        model = existing.get(row.key)
        if model is None:
            AIModel.objects.create(key=row.key, **values)
            created += 1
        elif any(getattr(model, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(model, name, value)
            model.save()
            updated += 1
        else:
            unchanged += 1
    return CatalogueReport(labs_created, labs_updated, created, updated, unchanged)
