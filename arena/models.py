"""The arena's data: catalogue (labs, models), prompt sets and outputs, battles and votes.

Votes are the source of truth. Each vote carries the denormalised columns a rating fit groups
by (modality, model A, model B, outcome, category, language, time), so a fit is one
``GROUP BY`` over one table. Integrity rules live in the database as constraints.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from arena.countries import COUNTRIES, country_flag, country_name
from pairwise.openness import WEIGHTS_CHOICES
from pairwise.outcomes import OUTCOME_CHOICES


class Modality(models.TextChoices):
    TEXT = "text", "Text"
    IMAGE = "image", "Image"
    VIDEO = "video", "Video"


def validate_modalities(value: object) -> None:
    allowed = set(Modality.values)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError("Modalities must be a list such as ['text', 'image'].")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise ValidationError(f"Unknown modalities {unknown}; allowed: {sorted(allowed)}.")
    if len(set(value)) != len(value):
        raise ValidationError("Modalities must not repeat.")


def validate_country(value: str) -> None:
    if value and value not in COUNTRIES:
        raise ValidationError(f"{value!r} is not an ISO 3166-1 alpha-2 country code.")


model_key_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9._:/@+-]*$",
    "A model key is letters, digits and . _ : / @ + - without spaces.",
)


class Lab(models.Model):
    """An organisation that makes models. ``country`` is ISO 3166-1 alpha-2, or blank when
    the organisation is multinational or its country is unknown (it then counts for no
    country in per-country views)."""

    name = models.CharField(max_length=120, unique=True)
    country = models.CharField(
        max_length=2, blank=True, validators=[validate_country], help_text="ISO 3166-1 alpha-2"
    )
    website = models.URLField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(country="") | Q(country__in=sorted(COUNTRIES)),
                name="lab_country_is_iso_alpha2",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def country_name(self) -> str:
        return country_name(self.country)

    @property
    def flag(self) -> str:
        return country_flag(self.country)


class ReleaseDateSource(models.TextChoices):
    """Where a model's release date comes from. Only ``first_listed`` is not a release date
    but an upper bound on it (the model existed by then)."""

    KEY = "key", "Written in the model's key or name"
    PUBLICATION = "publication", "Published release date"
    MANUAL = "manual", "Set by hand"
    FIRST_LISTED = "first_listed", "First listed on a public leaderboard (an upper bound)"


class DatePrecision(models.TextChoices):
    DAY = "day", "Day"
    MONTH = "month", "Month"


# Whether a model's weights are open: pairwise's three values (unknown is its own value).
Weights = models.TextChoices(
    "Weights", [(value.upper(), (value, label)) for value, label in WEIGHTS_CHOICES]
)


class AIModel(models.Model):
    """A model that produces outputs. ``key`` is the stable identifier used in imports,
    exports and APIs (for example ``gpt-4o-2024-05-13``)."""

    key = models.CharField(max_length=128, unique=True, validators=[model_key_validator])
    display_name = models.CharField(max_length=160)
    ReleaseDateSource = ReleaseDateSource
    DatePrecision = DatePrecision
    Weights = Weights

    lab = models.ForeignKey(Lab, on_delete=models.PROTECT, related_name="models")
    release_date = models.DateField(
        null=True, blank=True, help_text="With month precision, the first day of the month."
    )
    release_date_source = models.CharField(
        max_length=16,
        choices=ReleaseDateSource.choices,
        blank=True,
        help_text="Where the release date comes from; first listed is only an upper bound.",
    )
    release_date_precision = models.CharField(
        max_length=8, choices=DatePrecision.choices, blank=True
    )
    first_listed = models.DateField(
        null=True,
        blank=True,
        help_text="The day the model first appeared on the public Chatbot Arena leaderboard "
        "(first seen there, not released).",
    )
    licence = models.CharField(max_length=80, blank=True)
    weights = models.CharField(
        max_length=12,
        choices=Weights.choices,
        default=Weights.UNKNOWN,
        help_text="Whether the weights can be downloaded (under any licence). Unknown "
        "models are left out of the frontier's open-weights and proprietary groups.",
    )
    modalities = models.JSONField(default=list, blank=True, validators=[validate_modalities])
    is_active = models.BooleanField(
        default=True, help_text="Inactive models are no longer served but stay in the ratings."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["key"]
        verbose_name = "AI model"
        constraints = [
            models.CheckConstraint(condition=~Q(key=""), name="aimodel_key_not_blank"),
            # A date says where it comes from and how precise it is; no date, neither.
            models.CheckConstraint(
                condition=Q(release_date__isnull=True, release_date_source="")
                | Q(release_date__isnull=False, release_date_source__in=ReleaseDateSource.values),
                name="aimodel_release_date_has_source",
            ),
            models.CheckConstraint(
                condition=Q(release_date__isnull=True, release_date_precision="")
                | Q(release_date__isnull=False, release_date_precision__in=DatePrecision.values),
                name="aimodel_release_date_has_precision",
            ),
        ]

    def __str__(self) -> str:
        return self.key

    def save(self, *args: object, **kwargs: object) -> None:
        # A date typed without saying where it comes from was set by hand, to the day; no
        # date, no source (the database refuses anything else).
        if self.release_date is None:
            self.release_date_source = self.release_date_precision = ""
        else:
            self.release_date_source = self.release_date_source or ReleaseDateSource.MANUAL
            self.release_date_precision = self.release_date_precision or DatePrecision.DAY
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        if (
            self.release_date is not None
            and self.release_date_precision == DatePrecision.MONTH
            and self.release_date.day != 1
        ):
            raise ValidationError(
                {"release_date": "With month precision the date is the first of the month."}
            )

    @property
    def release_shown(self) -> str:
        """The release date as precise as it is known: 2024-02-29, 2024-02, or "≤ 2024-01-09"
        for an upper bound; blank when unknown."""
        if self.release_date is None:
            return ""
        if self.release_date_precision == DatePrecision.MONTH:
            shown = f"{self.release_date:%Y-%m}"
        else:
            shown = f"{self.release_date:%Y-%m-%d}"
        if self.release_date_source == ReleaseDateSource.FIRST_LISTED:
            return f"≤ {shown}"
        return shown


class PromptSet(models.Model):
    class Source(models.TextChoices):
        UPLOAD = "upload", "Upload"
        DEMO = "demo", "Demo"

    name = models.CharField(max_length=160, unique=True)
    modality = models.CharField(max_length=8, choices=Modality.choices)
    description = models.TextField(blank=True)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.UPLOAD)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Prompt(models.Model):
    prompt_set = models.ForeignKey(PromptSet, on_delete=models.PROTECT, related_name="prompts")
    external_id = models.CharField(
        max_length=128, help_text="The prompt's id in its manifest (prompt_id)."
    )
    text = models.TextField()
    category = models.CharField(max_length=64, blank=True)
    language = models.CharField(max_length=16, blank=True, help_text="BCP 47 tag, e.g. en, zh")
    input_media = models.FileField(
        upload_to="inputs/", blank=True, help_text="Input image for image-to-video prompts."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["prompt_set", "external_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["prompt_set", "external_id"], name="prompt_unique_in_set"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prompt_set}: {self.external_id}"


class Output(models.Model):
    """One model's answer to one prompt: text, or a media file stored under its content hash."""

    prompt = models.ForeignKey(Prompt, on_delete=models.PROTECT, related_name="outputs")
    model = models.ForeignKey(AIModel, on_delete=models.PROTECT, related_name="outputs")
    modality = models.CharField(max_length=8, choices=Modality.choices)
    text = models.TextField(blank=True)
    media = models.FileField(upload_to="outputs/", blank=True)
    checksum = models.CharField(max_length=64, help_text="SHA-256 of the text or media bytes.")
    media_meta = models.JSONField(
        default=dict, blank=True, help_text="MIME type, bytes, width, height, duration."
    )
    style = models.JSONField(
        default=dict, blank=True, help_text="Style features of a text output (length, markdown)."
    )
    identity_leak = models.BooleanField(
        default=False, help_text="The output names its own model or lab: never served blind."
    )
    identity_leak_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["prompt", "model"]
        constraints = [
            models.UniqueConstraint(fields=["prompt", "model"], name="output_one_per_model"),
            models.CheckConstraint(
                condition=(Q(modality=Modality.TEXT) & ~Q(text="") & Q(media=""))
                | (~Q(modality=Modality.TEXT) & ~Q(media="")),
                name="output_text_or_media_by_modality",
            ),
            models.CheckConstraint(
                condition=Q(identity_leak=True) | Q(identity_leak_reason=""),
                name="output_leak_reason_only_when_leaking",
            ),
        ]
        indexes = [models.Index(fields=["modality", "identity_leak"])]

    def __str__(self) -> str:
        return f"{self.model} on {self.prompt}"


def new_battle_token() -> str:
    return secrets.token_urlsafe(32)


class Battle(models.Model):
    """A pair of outputs served to one voter session. Models are denormalised from the
    outputs so the database itself refuses a battle of a model against itself."""

    class State(models.TextChoices):
        OPEN = "open", "Open"
        VOTED = "voted", "Voted"

    token = models.CharField(max_length=64, unique=True, default=new_battle_token)
    session_key = models.CharField(
        max_length=64, help_text="The voter id kept in the session that was served this battle."
    )
    modality = models.CharField(max_length=8, choices=Modality.choices)
    prompt = models.ForeignKey(Prompt, on_delete=models.PROTECT, related_name="battles")
    output_a = models.ForeignKey(Output, on_delete=models.PROTECT, related_name="+")
    output_b = models.ForeignKey(Output, on_delete=models.PROTECT, related_name="+")
    model_a = models.ForeignKey(AIModel, on_delete=models.PROTECT, related_name="+")
    model_b = models.ForeignKey(AIModel, on_delete=models.PROTECT, related_name="+")
    served_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    state = models.CharField(max_length=8, choices=State.choices, default=State.OPEN)
    # Keyed hashes (never the address) of the client and its network (IPv4 /24, IPv6 /48):
    # serving limits count them, manipulation checks group votes by network through them.
    ip_hash = models.CharField(max_length=32, blank=True, default="")
    network_hash = models.CharField(max_length=32, blank=True, default="")

    class Meta:
        ordering = ["-served_at"]
        indexes = [
            models.Index(fields=["session_key", "served_at"]),
            models.Index(fields=["ip_hash", "served_at"], name="battle_ip_served"),
            models.Index(fields=["network_hash", "served_at"], name="battle_network_served"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(output_a=F("output_b")), name="battle_two_outputs"),
            models.CheckConstraint(condition=~Q(model_a=F("model_b")), name="battle_two_models"),
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("served_at")), name="battle_expires_after_served"
            ),
        ]

    def __str__(self) -> str:
        return f"battle {self.pk} ({self.modality})"


#: The conditions of the vote table's partial indexes on voters and addresses.
VOTER_KNOWN = Q(voter_key__gt="")
ADDRESS_KNOWN = Q(ip_hash__gt="")


class Vote(models.Model):
    """A judgement of A against B: cast here on a served battle, or imported from an
    external log (``source`` names it, ``external_id`` makes re-imports idempotent).

    ``count`` is 1 for a cast vote; an imported aggregate (pair counts without times) is
    stored as one row per cell with its count, so a fit still uses it exactly.
    Excluded votes are kept, with their reason, and left out of fits.
    """

    # The stored names and the voter's labels are pairwise's: A, B, TIE, BOTH_BAD.
    Outcome = models.TextChoices(
        "Outcome",
        [(name.upper(), (name, label)) for name, label in OUTCOME_CHOICES],
    )

    class ExclusionReason(models.TextChoices):
        NONE = "", "Not excluded"
        RATE_LIMIT = "rate_limit", "Over the rate limit"
        TOO_FAST = "too_fast", "Faster than the minimum reading time"
        DAILY_CAP = "daily_cap", "Over the voter's daily cap"
        FLAGGED_VOTER = "flagged_voter", "Voter flagged as manipulating the board"
        IDENTITY_LEAK = "identity_leak", "An output revealed its model"
        ADMIN = "admin", "Excluded by an admin"

    SOURCE_ARENA = "arena"
    SOURCE_DEMO = "demo"

    battle = models.OneToOneField(
        Battle, on_delete=models.PROTECT, null=True, blank=True, related_name="vote"
    )
    source = models.CharField(max_length=64, default=SOURCE_ARENA)
    external_id = models.CharField(max_length=128, blank=True)
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    count = models.PositiveIntegerField(default=1)
    voter_key = models.CharField(max_length=64, blank=True)
    ip_hash = models.CharField(
        max_length=32, blank=True, help_text="Keyed hash of the client IP (for rate limits)."
    )
    created_at = models.DateTimeField(default=timezone.now)
    excluded = models.BooleanField(default=False)
    exclusion_reason = models.CharField(
        max_length=16, choices=ExclusionReason.choices, blank=True, default=""
    )
    modality = models.CharField(max_length=8, choices=Modality.choices)
    model_a = models.ForeignKey(AIModel, on_delete=models.PROTECT, related_name="+")
    model_b = models.ForeignKey(AIModel, on_delete=models.PROTECT, related_name="+")
    category = models.CharField(max_length=64, blank=True)
    language = models.CharField(max_length=16, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(model_a=F("model_b")), name="vote_two_models"),
            models.CheckConstraint(condition=Q(count__gte=1), name="vote_count_positive"),
            models.CheckConstraint(
                condition=Q(excluded=True, exclusion_reason__gt="")
                | Q(excluded=False, exclusion_reason=""),
                name="vote_excluded_iff_reason",
            ),
            models.CheckConstraint(
                condition=Q(battle__isnull=True) | Q(source="arena"),
                name="vote_battle_only_for_arena_votes",
            ),
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~Q(external_id=""),
                name="vote_unique_external_id_per_source",
            ),
        ]
        indexes = [
            # The fit's GROUP BY filters on these and cuts at a time.
            models.Index(fields=["modality", "excluded", "created_at"]),
            # Incremental counts read the excluded votes of a scope, few among millions.
            models.Index(
                fields=["modality", "created_at"],
                condition=Q(excluded=True),
                name="vote_excluded_by_time",
            ),
            # A source's votes: whether the demo's are stored, an import's first and last.
            # One plain index (``db_index`` would add a twin for LIKE on PostgreSQL, which
            # nothing uses, maintained for every row).
            models.Index(fields=["source"], name="vote_source"),
            # Rate limits and daily caps count a voter's (or an address's) recent votes.
            # Imported votes have neither: they stay out of these indexes, which imports of
            # millions of rows would otherwise maintain for nothing. A query uses them only
            # if it repeats the condition (SQLite matches a partial index's terms word for
            # word): VOTER_KNOWN and ADDRESS_KNOWN.
            models.Index(
                fields=["voter_key", "created_at"], condition=VOTER_KNOWN, name="vote_voter_recent"
            ),
            models.Index(
                fields=["ip_hash", "created_at"],
                condition=ADDRESS_KNOWN,
                name="vote_address_recent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.model_a} vs {self.model_b}: {self.outcome}"


class VoterFlag(models.Model):
    """A session or a network whose votes a manipulation check (``ranking.integrity``)
    found improbable for honest voters. Its votes are excluded with reason
    ``flagged_voter`` and kept; ``evidence`` says which test, with what figures. An admin
    may lift the flag: its votes count again and the checks leave the subject alone."""

    class Subject(models.TextChoices):
        SESSION = "session", "Session"
        NETWORK = "network", "Network"

    subject = models.CharField(max_length=8, choices=Subject.choices)
    key = models.CharField(
        max_length=64, help_text="The voter id of the session, or the network's keyed hash."
    )
    modality = models.CharField(max_length=8, choices=Modality.choices)
    method = models.CharField(max_length=32, help_text="The test that flagged it.")
    evidence = models.JSONField(default=dict)
    votes = models.ManyToManyField(Vote, related_name="flags", blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["subject", "key"])]

    def __str__(self) -> str:
        state = "lifted" if self.lifted_at else "active"
        return f"{self.subject} flagged by {self.method} ({state})"


class WorkerHeartbeat(models.Model):
    """The last time each Celery worker ran the beat-scheduled heartbeat task: proof that
    beat, the broker and a worker all work, shown by ``/healthz``."""

    hostname = models.CharField(max_length=200, unique=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.hostname} at {self.seen_at:%Y-%m-%d %H:%M:%S}"


class ServingPlan(models.Model):
    """What battles of one modality are drawn from, built off the request path
    (``arena.serving_plan``): arrays in one ``.npz`` blob. The newest row of a modality is
    the one in force; the one before it is kept for processes still loading it."""

    modality = models.CharField(max_length=8, choices=Modality.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    payload = models.BinaryField()
    counted_up_to = models.BigIntegerField(
        default=0, help_text="The highest vote id its counts include."
    )
    recounted_at = models.DateTimeField(
        null=True, blank=True, help_text="When its counts were last taken from every vote."
    )

    class Meta:
        indexes = [models.Index(fields=["modality", "-id"], name="serving_plan_newest")]

    def __str__(self) -> str:
        return f"{self.modality} serving plan {self.pk}"


def upload_path(instance: Upload, filename: str) -> str:
    # A random folder: staged manifests name the models, so their URL must not be guessable.
    name = filename.rsplit("/", 1)[-1][-80:]
    return f"uploads/{secrets.token_hex(16)}/{name}"


class Upload(models.Model):
    """An admin's prompt/output set upload: the staged files, the job's progress and its
    report. The staged files are deleted when the job ends; the report stays."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a worker"
        RUNNING = "running", "Running"
        DONE = "done", "Imported"
        FAILED = "failed", "Refused"

    manifest = models.FileField(upload_to=upload_path, blank=True, max_length=255)
    media = models.FileField(
        upload_to=upload_path, blank=True, max_length=255, help_text="A .zip archive."
    )
    manifest_name = models.CharField(max_length=200)
    create_models = models.BooleanField(default=False)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    phase = models.CharField(max_length=40, blank=True)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict, blank=True)
    prompt_set = models.ForeignKey(
        PromptSet, on_delete=models.SET_NULL, null=True, blank=True, related_name="uploads"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The job's lease (arena.jobs): when its message was last sent, which worker holds it
    # and until when, and how many times a worker took it.
    queued_at = models.DateTimeField(default=timezone.now)
    claimed_by = models.CharField(max_length=200, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"upload {self.pk}: {self.manifest_name} ({self.status})"

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 0

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED}


class SchedulerLease(models.Model):
    """Who may send scheduled tasks: the beat process holding this lease (``arena.beat``).
    A second beat stands by and takes over when the holder stops renewing it."""

    name = models.CharField(max_length=40, unique=True)
    owner = models.CharField(max_length=200, blank=True)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name}: {self.owner or 'nobody'} until {self.expires_at:%H:%M:%S}"
