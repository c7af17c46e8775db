"""The screens every browser check uses, and where Debian's chromium is (also read by
scripts/gallery.py, which imports no Django)."""

from __future__ import annotations

import os

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")

#: Playwright context options of each screen: a laptop, and a phone held upright.
SCREENS = {
    "desktop": {"viewport": {"width": 1366, "height": 900}},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "is_mobile": True,
        "has_touch": True,
        "device_scale_factor": 2,
    },
}
