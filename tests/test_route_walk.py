"""Every route, opened anonymously: never a server error, and nothing private.

The walk reads ``app.url_map``, so routes added later are walked too. Each URL
is built with dummy values (1, 999999, "x"), with a household, a child and a
period in the database so that id 1 exists. Anonymous GETs follow redirects:
the page reached must be public (PUBLIC_ENDPOINTS) or an error page (400,
401, 403, 404, 405). An endpoint missing from PUBLIC_ENDPOINTS that answers
200 fails the test with its name: a new public page is added to the list
below on purpose, never by accident.
"""

from __future__ import annotations

import pytest
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect
from werkzeug.routing.converters import AnyConverter, IntegerConverter, PathConverter

from tests import factories

# Endpoints that anyone may open without an account. "View.*" means every
# endpoint of that view class (all its pages are public by design).
PUBLIC_ENDPOINTS = {
    # public site (content area): home, services, news, pages, documents, contacts…
    "HomeView.index",
    "PublicSiteView.*",
    # login (FAB's AuthDBView, subclassed by the families area)
    "PortailAuthDBView.login",
    "AuthDBView.login",
    # account creation, e-mail confirmation, forgotten password, invitation links
    "RegistrationView.*",
    # static files (the portal's and FAB's)
    "static",
    "appbuilder.static",
}

# What an anonymous visitor may end on besides a public page.
REFUSALS = {400, 401, 403, 404, 405}


def is_public(endpoint: str | None) -> bool:
    if endpoint is None:
        return False
    if endpoint in PUBLIC_ENDPOINTS:
        return True
    view = endpoint.split(".", 1)[0]
    return f"{view}.*" in PUBLIC_ENDPOINTS


def _candidates(converter) -> list:
    if isinstance(converter, IntegerConverter):
        return [1, 999999, 1]
    if isinstance(converter, AnyConverter):
        items = sorted(converter.items) if hasattr(converter, "items") else ["x"]
        return [items[0]] * 3
    if isinstance(converter, PathConverter):
        return ["x", "1", "999999"]
    return ["1", "999999", "x"]


def urls_for(rule) -> list[str]:
    """The rule's URL with every argument at 1, then 999999, then "x" (when it fits)."""
    urls = []
    for index in range(3):
        values = {name: _candidates(rule._converters[name])[index]
                  for name in rule.arguments}
        values = {**(rule.defaults or {}), **values}
        try:
            built = rule.build(values, append_unknown=False)
        except Exception:  # a converter refused the value
            continue
        if built and built[1] not in urls:
            urls.append(built[1])
    return urls


def endpoint_of(app, path: str) -> str | None:
    adapter = app.url_map.bind("localhost")
    try:
        endpoint, _values = adapter.match(path, method="GET")
    except RequestRedirect:
        return None
    except HTTPException:
        return None
    return endpoint


@pytest.fixture
def some_rows(ctx):
    """A household with a child and a period, so that id 1 names real rows."""
    household = factories.make_household()
    factories.make_child(household)
    factories.make_user("Famille", household=household)
    factories.make_period()


def test_public_list_names_real_endpoints(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    views = {endpoint.split(".", 1)[0] for endpoint in endpoints}
    unknown = [name for name in PUBLIC_ENDPOINTS
               if not (name in endpoints or (name.endswith(".*") and name[:-2] in views)
                       or name == "AuthDBView.login")]
    assert unknown == []


def test_every_route_opened_anonymously_is_public_or_refused(app, some_rows):
    problems = []
    walked = 0
    client = app.test_client()
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods:
            continue
        for url in urls_for(rule):
            walked += 1
            response = client.get(url, follow_redirects=True)
            final_path = response.request.path
            final = endpoint_of(app, final_path)
            if response.status_code >= 500:
                problems.append(f"{rule.endpoint} {url}: {response.status_code}")
            elif response.status_code == 200:
                if not is_public(final):
                    problems.append(
                        f"{rule.endpoint} {url}: 200 anonymously on {final_path} "
                        f"({final}); add it to PUBLIC_ENDPOINTS only if it is public")
            elif response.status_code not in REFUSALS:
                problems.append(f"{rule.endpoint} {url}: unexpected {response.status_code}")
    assert walked > 20
    assert problems == [], "\n".join(problems)


def test_every_form_posted_anonymously_without_token_never_fails(app, some_rows):
    problems = []
    client = app.test_client()
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "POST" not in rule.methods:
            continue
        for url in urls_for(rule)[:1]:
            response = client.post(url, data={"name": "x"})
            if response.status_code >= 500:
                problems.append(f"{rule.endpoint} {url}: {response.status_code}")
            elif response.status_code == 200 and not is_public(rule.endpoint):
                problems.append(f"{rule.endpoint} {url}: 200 on an anonymous POST")
    assert problems == [], "\n".join(problems)


def test_an_unknown_endpoint_answering_200_is_reported_by_name():
    assert not is_public("StaffSecretView.index")
    assert is_public("PublicSiteView.news")
    assert is_public("HomeView.index")
