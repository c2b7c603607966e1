"""The Content-Security-Policy: on every response, and nothing in the pages that it refuses."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from fleetmaint.csp import ContentSecurityPolicyMiddleware, build_policy

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'self'; "
    "object-src 'none'; frame-ancestors 'none'"
)
TEMPLATES = Path(settings.BASE_DIR) / "templates"


def test_the_setting_makes_the_strict_policy():
    assert build_policy(settings.SECURE_CSP) == POLICY


@pytest.mark.parametrize(
    "path",
    ["/login/", "/", "/no-such-page/", "/api/v1/openapi.json", "/api/v1/docs", "/admin/login/"],
)
def test_every_response_carries_the_policy(client, db, path):
    response = client.get(path)
    policy = response["Content-Security-Policy"]
    assert policy == POLICY
    assert "frame-ancestors 'none'" in policy.split("; ")
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy


def test_signed_in_pages_and_htmx_fragments_carry_it(advisor_client):
    assert advisor_client.get("/")["Content-Security-Policy"] == POLICY
    fragment = advisor_client.get("/tasks/", headers={"HX-Request": "true"})
    assert fragment["Content-Security-Policy"] == POLICY


def test_a_view_that_sets_its_own_policy_keeps_it(rf):
    from django.http import HttpResponse

    def view(request):
        response = HttpResponse("x")
        response["Content-Security-Policy"] = "default-src 'none'"
        return response

    assert ContentSecurityPolicyMiddleware(view)(rf.get("/"))["Content-Security-Policy"] == (
        "default-src 'none'"
    )


@override_settings(SECURE_CSP={"default-src": ["'self'"], "upgrade-insecure-requests": True})
def test_directives_without_sources(rf):
    from django.http import HttpResponse

    response = ContentSecurityPolicyMiddleware(lambda request: HttpResponse())(rf.get("/"))
    assert response["Content-Security-Policy"] == "default-src 'self'; upgrade-insecure-requests"


# ---------------------------------------------------------------- the templates


def _served_templates() -> list[Path]:
    """Every page template: e-mail bodies are read by mail clients, not under the policy."""
    return sorted(
        path
        for path in TEMPLATES.rglob("*.html")
        if "email" not in path.relative_to(TEMPLATES).parts[:-1]
        and not path.name.startswith("email")
    )


INLINE_STYLE = re.compile(r"""\sstyle\s*=|<style[\s>]""", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"""\son[a-z]+\s*=\s*["'{]|\shx-on[:-]|javascript:""", re.IGNORECASE)
SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.IGNORECASE | re.DOTALL)


TEMPLATE_COMMENT = re.compile(r"\{#.*?#\}|\{% comment %\}.*?\{% endcomment %\}", re.DOTALL)


def _problems(text: str) -> list[str]:
    text = TEMPLATE_COMMENT.sub("", text)
    found = [m.group(0).strip() for m in INLINE_STYLE.finditer(text)]
    found += [m.group(0).strip() for m in INLINE_HANDLER.finditer(text)]
    for m in SCRIPT.finditer(text):
        attributes, body = m.group(1), m.group(2)
        data_block = re.search(r"""type\s*=\s*["']application/(ld\+)?json["']""", attributes)
        if body.strip() and not data_block:
            found.append(f"<script> with a body: {body.strip()[:60]}")
        if not body.strip() and "src=" not in attributes:
            found.append("<script> without src")
    return found


def test_the_check_finds_what_the_policy_refuses():
    assert _problems('<div style="width:3%">') == ["style="]
    assert _problems("<style>p{}</style>")
    assert _problems("""<button onclick="return confirm('x')">""")
    assert _problems('<select onchange="this.form.submit()">')
    assert _problems('<a hx-on:click="x()">')
    assert _problems('<a href="javascript:void(0)">')
    assert _problems("<script>alert(1)</script>")
    assert not _problems('<script src="/static/js/app.js" defer></script>')
    assert not _problems('<script type="application/json" id="s">{"a": 1}</script>')
    assert not _problems('<svg class="bar"><rect width="40%" height="100%"/></svg>')
    assert not _problems('<button data-confirm="Delete?">one = two</button>')
    assert not _problems("{# htmx's own <style> is refused #}<p>")


def test_no_page_template_has_inline_scripts_styles_or_handlers():
    templates = _served_templates()
    assert len(templates) > 40  # the folder was found
    problems = {
        str(path.relative_to(TEMPLATES)): found
        for path in templates
        if (found := _problems(path.read_text()))
    }
    assert not problems, f"Inline code the Content-Security-Policy refuses: {problems}"
