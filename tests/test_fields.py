"""The French form fields every area uses (app/core/fields.py): what an agent
or a parent may type, what the code gets, what the screen shows back."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from flask_appbuilder.forms import DynamicForm
from wtforms.validators import InputRequired

from app.core import fields
from app.core.fields import (
    FrenchDateField,
    FrenchDatePickerField,
    FrenchDateTimeField,
    FrenchIntegerField,
    MoneyField,
    TimeTextField,
)


class Form(DynamicForm):
    day = FrenchDateField("Jour")
    moment = FrenchDateTimeField("Moment")
    time = TimeTextField("Heure")
    price = MoneyField("Prix")
    count = FrenchIntegerField("Nombre")
    birth = FrenchDatePickerField("Naissance")


def submit(app, **data):
    """The form after a POST of ``data`` (rendered pieces are read inside)."""
    with app.test_request_context(method="POST", data=data):
        form = Form(meta={"csrf": False})
        valid = form.validate()
        rendered = {name: html.unescape(str(form[name]())) for name in data}
        return valid, form, rendered


def rendered_with(app, **values):
    """Each field's HTML when the form shows stored values (an edit form)."""
    with app.test_request_context():
        form = Form(meta={"csrf": False}, data=values)
        return {name: html.unescape(str(form[name]())) for name in values}


# --- what may be typed -------------------------------------------------------


@pytest.mark.parametrize("typed", ["07/09/2026", "7/9/2026", "2026-09-07", " 07/09/2026 "])
def test_a_date_is_typed_the_french_way_or_as_the_browser_sends_it(app, typed):
    valid, form, _rendered = submit(app, day=typed)
    assert valid, form.errors
    assert form.day.data == dt.date(2026, 9, 7)


@pytest.mark.parametrize("typed", ["07/09/2026 08:30", "7/9/2026 8:30", "07/09/2026 à 8h30",
                                   "07/09/2026 à 8 h 30", "2026-09-07 08:30",
                                   "2026-09-07T08:30", " 07/09/2026   08h30 "])
def test_a_date_and_time_accepts_the_usual_french_forms(app, typed):
    valid, form, _rendered = submit(app, moment=typed)
    assert valid, form.errors
    assert form.moment.data == dt.datetime(2026, 9, 7, 8, 30)


def test_a_date_without_time_means_midnight(app):
    valid, form, _rendered = submit(app, moment="07/09/2026")
    assert valid and form.moment.data == dt.datetime(2026, 9, 7)


@pytest.mark.parametrize("typed, expected", [
    ("12:00", dt.time(12)), ("8h30", dt.time(8, 30)), ("8 h 30", dt.time(8, 30)),
    ("8H30", dt.time(8, 30)), ("12h", dt.time(12)), ("12", dt.time(12)),
    ("08:30:00", dt.time(8, 30)),
])
def test_a_time_is_typed_hh_mm_or_the_french_way(app, typed, expected):
    valid, form, _rendered = submit(app, time=typed)
    assert valid, form.errors
    assert form.time.data == expected


@pytest.mark.parametrize("typed, cents", [
    ("3,45", 345), ("3.45", 345), ("3,45 €", 345), ("3", 300), ("0,5", 50), ("0", 0),
    ("1 234,50", 123450), ("1\u202f234,50", 123450), ("1\u00a0234,50\u00a0€", 123450),
])
def test_an_amount_in_euros_is_stored_in_integer_cents(app, typed, cents):
    valid, form, _rendered = submit(app, price=typed)
    assert valid, form.errors
    assert form.price.data == cents
    assert type(form.price.data) is int  # never a float


@pytest.mark.parametrize("typed, number", [("1200", 1200), ("1 200", 1200), ("-5", -5)])
def test_a_whole_number_may_have_spaces_between_its_digits(app, typed, number):
    valid, form, _rendered = submit(app, count=typed)
    assert valid and form.count.data == number


MESSAGES = {
    "day": "Date non valide : saisissez-la au format JJ/MM/AAAA (par exemple 03/09/2026).",
    "moment": "Date et heure non valides : saisissez-les au format JJ/MM/AAAA HH:MM "
              "(par exemple 01/06/2026 09:00).",
    "time": "Heure non valide : saisissez-la au format HH:MM (par exemple 12:00).",
    "price": "Montant non valide : saisissez-le en euros, par exemple 3,45.",
    "count": "Saisissez un nombre entier.",
}
WRONG = {
    "day": ["31/02/2026", "2026-02-30", "07/09/26", "demain", "07/09/2026 08:30", "12/31/2026",
            "٠٧/٠٩/٢٠٢٦", "1e3"],
    "moment": ["31/02/2026 08:00", "07/09/2026 25:00", "07/09/2026 à", "07/09/2026T08:30",
               "lundi", "07/09/26x"],
    "time": ["24:00", "12:60", "1 2", "midi", "12:", "1230", "٣"],
    "price": ["-1", "3,456", "1e3", "NaN", "inf", "1_000", "１２", "trois euros", "3,4,5",
              "1000000,01", "99999999999999999999"],
    "count": ["beaucoup", "1,5", "1_000", "１２", "٣", "0x1F", "2147483648",
              "-99999999999999999999"],
}


@pytest.mark.parametrize("name, typed", [(name, typed) for name, values in WRONG.items()
                                         for typed in values])
def test_wrong_input_gets_a_french_message_and_stays_on_screen(app, name, typed):
    valid, form, rendered = submit(app, **{name: typed})
    assert not valid
    assert form[name].data is None
    assert form[name].errors == [MESSAGES[name]]
    assert f'value="{typed}"' in rendered[name]


def test_empty_optional_values_are_none(app):
    data = {name: "" for name in ("day", "moment", "time", "price", "count", "birth")}
    valid, form, _rendered = submit(app, **{**data, "moment": "   "})
    assert valid, form.errors
    assert all(form[name].data is None for name in data)


def test_a_required_field_left_empty_says_so(app):
    class Required(DynamicForm):
        day = FrenchDateField("Jour", validators=[InputRequired(message="Obligatoire.")])

    with app.test_request_context(method="POST", data={"day": ""}):
        form = Required(meta={"csrf": False})
        assert not form.validate()
        assert form.day.errors == ["Obligatoire."]


def test_a_screen_may_word_the_message_its_own_way(app):
    class Custom(DynamicForm):
        day = FrenchDatePickerField("Naissance", invalid_value_message="Cette date n'existe pas.")

    with app.test_request_context(method="POST", data={"day": "30/02/2021"}):
        form = Custom(meta={"csrf": False})
        assert not form.validate()
        assert form.day.errors == ["Cette date n'existe pas."]


# --- what the screen shows --------------------------------------------------


def test_stored_values_are_shown_the_french_way(app):
    shown = rendered_with(app, day=dt.date(2026, 9, 7), moment=dt.datetime(2026, 9, 7, 8, 30),
                          time=dt.time(8, 30), price=123450, count=1200,
                          birth=dt.date(2021, 3, 14))
    assert 'value="07/09/2026"' in shown["day"]
    assert 'value="07/09/2026 08:30"' in shown["moment"]
    assert 'value="08:30"' in shown["time"]
    assert 'value="1\u202f234,50"' in shown["price"] and "€" not in shown["price"]
    assert 'value="1200"' in shown["count"]
    assert 'value="2021-03-14"' in shown["birth"] and 'type="date"' in shown["birth"]


def test_a_midnight_date_and_time_is_shown_as_a_date(app):
    shown = rendered_with(app, moment=dt.datetime(2026, 9, 7))
    assert 'value="07/09/2026"' in shown["moment"]


def test_empty_values_show_empty_inputs_with_a_french_placeholder(app):
    shown = rendered_with(app, day=None, moment=None, time=None, price=None)
    assert 'value=""' in shown["day"] and 'placeholder="JJ/MM/AAAA"' in shown["day"]
    assert 'placeholder="JJ/MM/AAAA HH:MM"' in shown["moment"]
    assert 'placeholder="HH:MM"' in shown["time"]
    assert 'placeholder="3,45"' in shown["price"]
    for piece in shown.values():
        assert 'class="form-control"' in piece and 'autocomplete="off"' in piece
        assert 'type="text"' in piece


def test_a_shown_value_reads_back_to_the_same_value(app):
    values = {"day": dt.date(812, 1, 5), "moment": dt.datetime(2026, 9, 7, 8, 30),
              "time": dt.time(8, 30), "price": 98765432, "birth": dt.date(2021, 3, 14)}
    shown = rendered_with(app, **values)
    typed = {name: piece.split('value="')[1].split('"')[0] for name, piece in shown.items()}
    valid, form, _rendered = submit(app, **typed)
    assert valid, form.errors
    assert {name: form[name].data for name in values} == values


def test_a_good_value_is_shown_normalised_next_to_another_fields_error(app):
    valid, _form, rendered = submit(app, day="2026-09-07", price="beaucoup")
    assert not valid
    assert 'value="07/09/2026"' in rendered["day"]
    assert 'value="beaucoup"' in rendered["price"]


def test_a_caller_may_set_its_own_placeholder(app):
    class Custom(DynamicForm):
        day = FrenchDateField("Jour", render_kw={"placeholder": "ex. 01/09/2026"})

    with app.test_request_context():
        assert 'placeholder="ex. 01/09/2026"' in str(Custom(meta={"csrf": False}).day())


# --- the functions behind the fields ------------------------------------------


def test_the_parsing_functions_refuse_rather_than_guess():
    assert fields.parse_date("07/09/2026") == dt.date(2026, 9, 7)
    assert fields.parse_datetime("07/09/2026 à 8h30") == dt.datetime(2026, 9, 7, 8, 30)
    assert fields.parse_time("8h") == dt.time(8)
    assert fields.parse_price("3,45") == 345
    assert fields.parse_integer(" 1 200 ") == 1200
    # the largest values a database integer column holds, and a million euros
    assert fields.parse_integer("2147483647") == 2**31 - 1
    assert fields.parse_price("1 000 000,00") == 100_000_000
    for parse, bad in ((fields.parse_date, ""), (fields.parse_datetime, "31/02/2026"),
                       (fields.parse_time, "25h"), (fields.parse_price, "-3,45"),
                       (fields.parse_integer, "1.5")):
        with pytest.raises(ValueError):
            parse(bad)
