"""Submission with the conditions, the agents' queue, validation and refusal,
the second guardian, a child in two households, booking blockers, the outbox."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app.core.errors import DomainError
from app.families import services
from app.families.models import Document, DocumentType, Guardian, Household, HouseholdChild
from tests import factories
from tests.families.helpers import PASSWORD, PDF, link_in, make_document_type, outbox, page, text


def _complete_draft(db, verified=True, with_document=True, **kwargs):
    household = factories.make_household(status="draft", **kwargs)
    user = factories.make_user("Famille", household=household, verified=verified)
    factories.make_child(household)
    if with_document:
        doc_type = db.session.scalar(select(DocumentType)) or make_document_type(db)
        db.session.add(Document(household_id=household.id, document_type_id=doc_type.id,
                                original_filename="a.pdf", stored_name=f"s{household.id}.pdf",
                                content_type="application/pdf", size=10))
        db.session.commit()
    return household, user


def test_submission_needs_a_complete_file_a_checked_address_and_the_conditions(
        client, db, clock, login_as, form_post):
    make_document_type(db)
    household = factories.make_household(status="draft")
    login_as("Famille", household=household, verified=False)
    # nothing yet: sections missing, address not checked
    response = form_post("/compte/valider", {"accept": "y"}, follow_redirects=True)
    assert "Confirmez d'abord votre adresse e-mail" in page(response)
    guardian = db.session.scalar(select(Guardian))
    guardian.email_verified_at = clock.now()
    db.session.commit()
    response = form_post("/compte/valider", {"accept": "y"}, follow_redirects=True)
    assert "Complétez d'abord ces rubriques" in page(response)
    assert "Mes enfants" in page(response) and "Mes documents" in page(response)
    factories.make_child(household)
    doc_type = db.session.scalar(select(DocumentType))
    db.session.add(Document(household_id=household.id, document_type_id=doc_type.id,
                            original_filename="a.pdf", stored_name="x1.pdf",
                            content_type="application/pdf", size=10))
    db.session.commit()
    response = form_post("/compte/valider", {}, follow_redirects=True)
    assert "Acceptez les conditions de validation" in page(response)
    db.session.expire_all()
    assert db.session.get(Household, household.id).status == "draft"
    response = form_post("/compte/valider", {"accept": "y"}, follow_redirects=True)
    assert "Votre dossier a été transmis à nos services" in page(response)
    db.session.expire_all()
    household = db.session.get(Household, household.id)
    assert household.status == "submitted" and household.conditions_accepted_at == clock.now()
    assert outbox(db, template="families_submitted")


def test_queue_lists_complete_files_first_with_what_is_missing(client, db, clock, login_as):
    make_document_type(db)
    incomplete = factories.make_household(status="submitted", submitted_at=dt.datetime(2026, 9, 1))
    factories.make_user("Famille", household=incomplete, last_name="Incomplet")
    complete, _ = _complete_draft(db)
    complete.status = "submitted"
    complete.submitted_at = dt.datetime(2026, 9, 5)
    db.session.commit()
    guardian = db.session.scalar(select(Guardian).where(Guardian.household_id == complete.id))
    guardian.last_name = "Complet"
    db.session.commit()
    login_as("Agent")
    html = text(client.get("/agents/familles/"))
    assert html.index("COMPLET") < html.index("INCOMPLET")
    assert "Mes enfants" in html and "Mes documents" in html


def test_agent_validates_the_family_gets_the_email_and_my_planning_opens(
        client, db, clock, login_as, switch_to, form_post):
    household, user = _complete_draft(db)
    household.status = "submitted"
    db.session.commit()
    document = db.session.scalar(select(Document))
    agent = switch_to("Agent")
    file_url = f"/agents/familles/foyer/{household.id}"
    # a required document not accepted yet blocks the validation
    response = form_post(f"{file_url}/valider", {}, page=file_url, follow_redirects=True)
    assert "Ces documents obligatoires ne sont pas encore acceptés" in page(response)
    form_post(f"/agents/familles/document/{document.id}/accepter", {}, page=file_url)
    response = form_post(f"{file_url}/valider", {}, page=file_url, follow_redirects=True)
    assert "Le compte a été validé" in page(response)
    db.session.expire_all()
    household = db.session.get(Household, household.id)
    assert household.status == "validated" and household.validated_by_id == agent.id
    [mail] = outbox(db, template="families_validated")
    assert "Votre compte a été validé" in mail.subject or "validé" in mail.body_text
    assert "votre compte a été validé" in mail.body_text.lower()
    # the family now sees "Mon planning" open
    from flask import g

    from tests.conftest import login

    login(client, user)
    g.pop("_login_user", None)
    html = page(client.get("/compte/"))
    assert 'href="/compte/planning/"' in html and "planning-closed" not in html


def test_agent_refuses_with_a_reason_the_family_reads_and_can_send_again(
        client, db, clock, login_as, switch_to, form_post):
    household, user = _complete_draft(db)
    household.status = "submitted"
    db.session.commit()
    switch_to("Agent")
    file_url = f"/agents/familles/foyer/{household.id}"
    form_post(f"{file_url}/refuser", {"reason": "Adresse incomplète"}, page=file_url)
    db.session.expire_all()
    assert db.session.get(Household, household.id).status == "refused"
    [mail] = outbox(db, template="families_refused")
    assert "Adresse incomplète" in mail.body_text
    with pytest.raises(DomainError):
        services.validate_household(user, db.session.get(Household, household.id), clock.now())


def test_family_cannot_use_agent_screens_and_comptable_cannot_read_health_data(
        client, db, login_as, switch_to):
    household = factories.make_household()
    child = factories.make_child(household, allergies="arachide-secrète", doctor_name="Dr Secret")
    login_as("Famille", household=household)
    for url in ("/agents/familles/", f"/agents/familles/foyer/{household.id}",
                "/staffoutboxview/list/"):
        assert client.get(url).status_code in (302, 403), url
    switch_to("Comptable")
    for url in ("/agents/familles/", f"/agents/familles/foyer/{household.id}",
                f"/compte/enfants/{child.id}", "/compte/mes-donnees/export.xlsx"):
        response = client.get(url)
        assert response.status_code in (302, 403, 404), url
        assert "arachide-secrète" not in page(response)
        assert "Dr Secret" not in page(response)


def test_invited_guardian_makes_their_own_login_and_sees_the_same_household(
        app, client, db, clock, login_as, switch_to, form_post):
    household = factories.make_household()
    login_as("Famille", household=household)
    factories.make_child(household, first_name="Paul")
    form_post("/compte/foyer/inviter", {"email": "papa@exemple.test"}, page="/compte/foyer")
    [mail] = outbox(db, template="families_invite")
    path = link_in(mail, "invitation")
    client.get("/logout/")
    from flask import g

    g.pop("_login_user", None)
    html = page(client.get(path))
    assert "papa@exemple.test" in html
    short = form_post(path, {"password": "court", "confirm": "court"})
    assert "au moins 12 caractères" in page(short)
    done = form_post(path, {"password": PASSWORD, "confirm": PASSWORD})
    assert done.status_code == 302
    again = client.get(path)
    assert again.status_code == 400
    login = form_post("/login/", {"username": "papa@exemple.test", "password": PASSWORD})
    assert login.headers["Location"].endswith("/compte/")
    g.pop("_login_user", None)
    assert "Paul" in page(client.get("/compte/enfants"))
    user = app.appbuilder.sm.find_user(email="papa@exemple.test")
    guardian = db.session.scalar(select(Guardian).where(Guardian.user_id == user.id))
    assert guardian.household_id == household.id and guardian.position == 1
    assert guardian.email_verified_at is not None


def test_a_child_of_separated_parents_belongs_to_two_households(db, clock, login_as):
    first = factories.make_household()
    second = factories.make_household()
    child = factories.make_child(first, first_name="Paul")
    agent = factories.make_user("Agent")
    parent = factories.make_user("Famille", household=first)
    with pytest.raises(DomainError):
        services.link_child_to_household(parent, child, second, clock.now())
    services.link_child_to_household(agent, child, second, clock.now())
    db.session.commit()
    assert {hc.household_id for hc in db.session.scalars(
        select(HouseholdChild).where(HouseholdChild.child_id == child.id))} == \
        {first.id, second.id}
    with pytest.raises(DomainError, match="déjà"):
        services.link_child_to_household(agent, child, second, clock.now())


def test_booking_blockers(db, clock, ctx):
    from app.families.models import SchoolInfo

    period = factories.make_period(requires_school_info=True)
    doc_type = make_document_type(db, code="vaccins", name="Vaccins", scope="child")
    household = factories.make_household(status="submitted")
    factories.make_user("Famille", household=household, verified=False)
    child = factories.make_child(household)
    reasons = services.booking_blockers(household, child, period, clock.now())
    assert "Votre compte n'a pas encore été validé par nos services." in reasons
    assert "Votre adresse e-mail n'a pas encore été confirmée." in reasons
    assert any("Document obligatoire manquant : Vaccins" in r for r in reasons)
    assert any("informations scolaires 2026-2027" in r.lower() for r in reasons)
    household.status = "validated"
    db.session.scalar(select(Guardian)).email_verified_at = clock.now()
    db.session.add(Document(household_id=household.id, child_id=child.id,
                            document_type_id=doc_type.id, original_filename="v.pdf",
                            stored_name="v1.pdf", content_type="application/pdf", size=3,
                            state="accepted", expires_on=dt.date(2027, 1, 1)))
    db.session.add(SchoolInfo(child_id=child.id, school_year="2026-2027",
                                       school_name="École", level="PS"))
    db.session.commit()
    assert services.booking_blockers(household, child, period, clock.now()) == []
    later = dt.datetime(2027, 1, 2, 9, 0)
    assert services.booking_blockers(household, child, period, later) == \
        [f"Document obligatoire expiré : Vaccins ({child.full_name})."]


def test_agents_see_the_outbox_read_only(client, db, clock, login_as):
    from app.notifications.services import queue_email

    queue_email("x@exemple.test", "families_closed", clock.now())
    db.session.commit()
    login_as("Agent")
    html = text(client.get("/staffoutboxview/list/"))
    assert "x@exemple.test" in html and "Votre compte a été fermé" in html
    assert client.get("/staffoutboxview/add").status_code in (403, 404, 302)


def test_agents_set_the_documents_to_provide(client, db, login_as, form_post):
    login_as("Agent")
    html = text(client.get("/staffdocumenttypeview/add"))
    assert "Pour le foyer ou pour chaque enfant" in html and "Un pour chaque enfant" in html
    form_post("/staffdocumenttypeview/add", {"name": "Carnet de vaccinations", "code": "vaccins",
                                             "scope": "child", "required": "y",
                                             "position": "1"})
    doc_type = db.session.scalar(select(DocumentType))
    assert (doc_type.name, doc_type.scope, doc_type.required) == \
        ("Carnet de vaccinations", "child", True)


def test_fab_own_password_form_follows_the_same_rule(client, db, login_as, form_post):
    login_as("Famille")
    response = form_post("/resetmypassword/form", {"password": "court1",
                                                   "conf_password": "court1"})
    assert "au moins 12 caractères" in page(response)


def test_family_forms_without_csrf_token_are_refused_and_change_nothing(client, db, login_as):
    household = factories.make_household(city="Mirande")
    login_as("Famille", household=household)
    response = client.post("/compte/foyer/coordonnees", data={
        "address": "1 rue", "postcode": "32000", "city": "Auch"})
    assert response.status_code == 400 and "Le formulaire a expiré" in page(response)
    db.session.expire_all()
    assert db.session.get(Household, household.id).city == "Mirande"


def test_agents_see_the_changes_made_after_validation(client, db, clock, login_as, switch_to,
                                                      form_post):
    household = factories.make_household(quotient_familial=650)
    login_as("Famille", household=household)
    form_post("/compte/foyer/informations", {"family_situation": "married",
                                             "quotient_familial": "820"})
    switch_to("Agent")
    queue = text(client.get("/agents/familles/"))
    assert "Quotient familial : 650 → 820" in queue
    file = text(client.get(f"/agents/familles/foyer/{household.id}"))
    assert "Foyer modifié" in file and "après validation" in file
    assert "Quotient familial : 650 → 820" in file and "attestation à vérifier" in file
