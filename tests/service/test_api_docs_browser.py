"""/api/docs works on a closed network: the Redoc bundle is served from the package (pinned, its sha256 checked)
and headless Chromium (Debian's, driven by Playwright) renders the operations with every request that leaves
the service blocked."""
from __future__ import annotations

import hashlib
import shutil
from urllib.parse import urlsplit

from playwright.sync_api import sync_playwright

from caseflow import api

from support import live_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def test_the_vendored_redoc_bundle_is_the_pinned_one(app):
    assert hashlib.sha256(api.REDOC_FILE.read_bytes()).hexdigest() == api.REDOC_SHA256
    readme = (api.REDOC_FILE.parent / "README.md").read_text()
    assert api.REDOC_VERSION in readme and api.REDOC_SHA256 in readme and "MIT" in readme
    assert "MIT License" in (api.REDOC_FILE.parent / "LICENSE").read_text()
    page = app.test_client().get("/api/docs").get_data(as_text=True)
    assert f'src="{api.REDOC_ROUTE}"' in page and "cdn" not in page.lower()
    r = app.test_client().get(api.REDOC_ROUTE)
    assert r.status_code == 200 and r.mimetype == "text/javascript"
    assert hashlib.sha256(r.data).hexdigest() == api.REDOC_SHA256


def test_docs_page_renders_the_operations_offline(app):
    spec = app.test_client().get("/api/openapi.json").get_json()
    summaries = [op["summary"] for item in spec["paths"].values() for op in item.values()
                 if isinstance(op, dict) and op.get("summary")]
    assert len(summaries) > 50
    outside, console_errors = [], []
    with live_server(app) as base, sync_playwright() as pw:
        origin = urlsplit(base).netloc
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page()

            def only_the_service(route):
                url = route.request.url
                if urlsplit(url).netloc == origin or url.startswith(("data:", "blob:")):
                    route.continue_()
                else:
                    outside.append(url)
                    route.abort()

            page.route("**/*", only_the_service)
            page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
            page.goto(base + "/api/docs", wait_until="networkidle", timeout=60_000)
            page.wait_for_function("() => document.body.textContent.includes('Liveness and database reachability')",
                                   timeout=60_000)
            text = page.text_content("body")
        finally:
            browser.close()
    assert outside == []
    # The one thing Redoc would fetch from elsewhere, its "powered by" logo, is stopped by the page's own CSP
    # before any request (it then hides the image); nothing else is refused.
    refused = [e for e in console_errors if "Content Security Policy" in e]
    assert all("https://cdn.redoc.ly/redoc/logo-mini.svg" in e for e in refused), refused
    # The menu lists the operations by their summaries, the blueprint descriptions head the sections.
    shown = [s for s in summaries if s in text]
    assert len(shown) >= 0.9 * len(summaries), sorted(set(summaries) - set(shown))[:10]
    assert "caseflow" in text and "problem+json" in text
