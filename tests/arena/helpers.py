from __future__ import annotations

from rest_framework.test import APIClient


def serve(client: APIClient, modality: str = "text", **filters: str):
    return client.get("/api/v1/battles/next/", {"modality": modality, **filters})


def cast(client: APIClient, token: str, choice: str):
    """POST a vote the way a browser does: with the CSRF cookie echoed in the header."""
    csrf = client.cookies["csrftoken"].value if "csrftoken" in client.cookies else ""
    return client.post(
        "/api/v1/votes/", {"token": token, "choice": choice}, format="json", HTTP_X_CSRFTOKEN=csrf
    )
