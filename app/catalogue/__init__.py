"""catalogue area: facilities, service kinds, receptions, periods, opening days,
slots, units, tariffs; the Admin set-up screens (app/catalogue/views/)."""


def register(app, appbuilder) -> None:
    from app.catalogue import views

    views.register_views(appbuilder)
