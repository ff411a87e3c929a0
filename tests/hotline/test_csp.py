"""A strict Content-Security-Policy on every HTML page, and the pages still work under it."""

import re
from pathlib import Path

import pytest
from django.test import Client

from hotline.csp import DOCS_POLICY, POLICY
from hotline.models import Role
from tests.conftest import login, wait_for_js

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
# Inline code the policy would block: <script> without src (JSON data blocks are not run),
# on…= handlers, javascript: URLs.
INLINE_CODE = re.compile(
    r"<script(?![^>]*\b(src=|type=\"application/json\"))[^>]*>|\son[a-z]+=|javascript:", re.IGNORECASE
)


def directives(policy: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in policy.split(";"))


@pytest.mark.django_db
def test_html_pages_carry_the_strict_policy():
    response = Client().get("/accounts/login/")
    policy = directives(response["Content-Security-Policy"])
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"


@pytest.mark.django_db
def test_error_pages_carry_it_too():
    assert Client().get("/accounts/login/?next=%00")["Content-Security-Policy"] == POLICY


@pytest.mark.django_db
def test_the_api_docs_allow_inline_styles_but_no_inline_scripts(make_user):
    client = Client()
    client.force_login(make_user(Role.AGENT))
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == DOCS_POLICY
    assert directives(DOCS_POLICY)["script-src"] == "'self'"
    assert INLINE_CODE.search(response.content.decode()) is None


def test_no_template_has_inline_code():
    found = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0)}"
        for path in TEMPLATES.rglob("*.html")
        for match in INLINE_CODE.finditer(path.read_text())
    ]
    assert found == []


CSP_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_main_pages_run_under_the_policy_and_auto_submit_still_works(browser_page, make_user):
    # Given a city admin in a browser that records every policy violation
    browser_page.add_init_script(CSP_VIOLATIONS)
    failed: list[str] = []
    browser_page.on("response", lambda response: response.status >= 400 and failed.append(response.url))
    browser_page.goto("/admin/login/")
    assert browser_page.evaluate("window.cspViolations") == []
    make_user(Role.CITY_ADMIN, username="csp-admin")
    login(browser_page, "csp-admin")
    browser_page.wait_for_url("**/")
    # When they open the main pages, none breaks the policy
    for path in ["/desk/", "/workbench/", "/evaluation/rankings/", "/analytics/", "/api/v1/docs/"]:
        response = browser_page.goto(path)
        assert response.status == 200, path
        browser_page.wait_for_load_state("networkidle")
        assert browser_page.evaluate("window.cspViolations") == [], path
    browser_page.wait_for_selector("#swagger-ui .information-container")
    # And a select that submits its form on change still does (the language switch)
    browser_page.goto("/analytics/")
    browser_page.select_option("select[name=language]", "en")
    wait_for_js(browser_page, "document.documentElement.lang === 'en'")
    # (the browser's own favicon.ico probe on the admin page is the one failed load it reports)
    errors = [error for error in browser_page.js_errors if not error.startswith("Failed to load resource")]
    assert (failed, errors) == ([], [])
