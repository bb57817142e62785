"""Form fields of the catalogue screens.

The French dates, times and prices live in ``app.core.fields``, shared by
every area. Lists of
codes (weekdays, school levels) are multiple selects stored as
comma-separated text.
"""

from __future__ import annotations

from flask_appbuilder.fieldwidgets import Select2ManyWidget
from flask_babel import lazy_gettext as _l
from wtforms import SelectMultipleField, ValidationError



class CodeListField(SelectMultipleField):
    """Several codes chosen in a list, stored as "a,b,c" (None when empty)."""

    widget = Select2ManyWidget()

    def __init__(self, label=None, validators=None, choices=None, **kwargs):
        super().__init__(label, validators, choices=choices, **kwargs)

    def process_data(self, value):
        if isinstance(value, str):
            value = [part for part in value.split(",") if part != ""]
        super().process_data(value or [])

    def pre_validate(self, form):
        known = {str(value) for value, _label in self.iter_choices_values()}
        for value in self.data or []:
            if str(value) not in known:
                raise ValidationError(_l("Not a valid choice."))

    def iter_choices_values(self):
        choices = self.choices() if callable(self.choices) else self.choices
        return [(str(value), label) for value, label in (choices or [])]

    def populate_obj(self, obj, name):
        order = [value for value, _label in self.iter_choices_values()]
        chosen = [value for value in order if value in {str(v) for v in self.data or []}]
        setattr(obj, name, ",".join(chosen) if chosen else None)
