"""The demo's FICTIONAL world: staff logins, the service's settings, document
types, public pages and the households with their children.

Every person, address, e-mail (example.org) and phone number (01 02 ...) here
is invented. app/demo/data.py loads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.core.states import HouseholdStatus

# Demo passwords: fictional, for a local demonstration only.
PASSWORDS = {
    "Famille": "demo-famille",
    "Agent": "demo-agent",
    "Comptable": "demo-comptable",
    "Admin": "demo-admin",
}


STAFF = (
    # role, e-mail (login), first name, last name
    ("Admin", "admin.demo@example.org", "Maëlle", "ORTOLAN"),
    ("Agent", "agent.demo@example.org", "Sacha", "DELMOTTE"),
    ("Comptable", "comptable.demo@example.org", "Gérald", "PICQUEFEU"),
)


SETTINGS = {
    "service_name": "Service Enfance et Jeunesse",
    "organisation_name": "Communauté de communes des Trois Vallons",
    "service_phone": "01 02 03 04 00",
    "service_email": "enfance-jeunesse@example.org",
    "welcome_text": (
        "Bienvenue sur le Portail Famille de la Communauté de communes des Trois Vallons.\n\n"
        "Depuis votre compte, vous pouvez inscrire vos enfants, réserver et annuler les "
        "jours de présence aux ACM des mercredis et du soir, aux centres de loisirs, aux "
        "séjours et aux soirées jeunesse, réserver la cantine pour l'année et consulter "
        "les programmes.\n\n"
        "Créez votre compte, complétez Mon profil, Mon foyer, Mes enfants, Mes documents "
        "et les Informations scolaires : nos services valident ensuite votre dossier."
    ),
}


DOCUMENT_TYPES = (
    # code, name, scope, required, validity (months)
    ("attestation_qf", "Attestation CAF / MSA de quotient familial", "household", True, 12),
    ("justificatif_domicile", "Justificatif de domicile de moins de 3 mois", "household", True, 12),
    ("assurance", "Attestation d'assurance responsabilité civile et extrascolaire",
     "household", True, 12),
    ("vaccinations", "Carnet de vaccinations (pages des vaccins)", "child", True, None),
    ("pai", "Protocole d'accueil individualisé (PAI)", "child", False, 12),
)


PAGES = {
    # service kind code -> [(section, title, body)]
    "acm_mercredi": [
        ("presentation", "Nos accueils périscolaires des mercredis",
         "L'ACM PITCHOUNET accueille les enfants de 3 à 11 ans tous les mercredis en période "
         "scolaire, de 7h30 à 18h30.\n\nSix régimes au choix : journée avec ou sans repas, "
         "matin avec ou sans repas, après-midi avec ou sans repas.\n\nLes réservations se "
         "font sur le Portail Famille jusqu'au lundi 12h ; les annulations jusqu'au jeudi "
         "12h de la semaine précédente."),
        ("programmes", "Programmes en cours de réalisation",
         "Ce trimestre : « Les p'tits jardiniers » (plantations et potager), atelier cuisine "
         "un mercredi sur deux et grands jeux au parc."),
        ("reglements", "Règlement intérieur des mercredis",
         "Les enfants sont accueillis sur réservation. Toute absence non annulée dans les "
         "délais est facturée, sauf sur présentation d'un certificat médical."),
        ("projets", "Projet pédagogique",
         "Favoriser l'autonomie, le vivre-ensemble et la découverte de l'environnement "
         "proche."),
        ("tarifs", "Tarifs des mercredis", None),
    ],
    "acm_soir": [
        ("presentation", "L'accueil du soir",
         "Après la classe, les lundis, mardis, jeudis et vendredis, de 16h30 à 18h30 : "
         "goûter, aide aux devoirs et jeux calmes."),
        ("tarifs", "Tarifs de l'accueil du soir", None),
    ],
    "centre_loisirs": [
        ("presentation", "Accueils de loisirs des vacances",
         "Le centre de loisirs LES P'TITS LOUPS ouvre pendant les vacances d'hiver et "
         "l'été, du lundi au vendredi."),
        ("programmes", "Programme de l'été",
         "Baignade, sorties à la ferme, olympiades et spectacle de fin de séjour."),
        ("reglements", "Règlement intérieur des accueils de loisirs",
         "Inscriptions à la journée ou à la demi-journée, dans la limite des places."),
        ("projets", "Projet pédagogique des accueils de loisirs",
         "Des vacances actives, au rythme de chaque enfant."),
        ("tarifs", "Tarifs des accueils de loisirs", None),
    ],
    "sejour": [
        ("presentation", "Nos séjours",
         "Chaque été, l'espace jeunes LA PASSERELLE organise un séjour de cinq jours en "
         "montagne pour les 8-14 ans. Le séjour se réserve en entier."),
        ("tarifs", "Tarifs des séjours", None),
    ],
    "soiree_jeunesse": [
        ("presentation", "Les soirées jeunesse",
         "Le vendredi de 18h à 22h, les 11-17 ans se retrouvent à l'espace jeunes : "
         "repas partagé, jeux, projets."),
        ("tarifs", "Tarifs des soirées jeunesse", None),
    ],
    "cantine": [
        ("presentation", "Les cantines scolaires",
         "Les repas sont préparés sur place avec des produits locaux. La réservation se fait "
         "pour l'année entière ; seuls les jours de présence sont facturés. Les "
         "informations scolaires de l'enfant sont obligatoires pour réserver."),
        ("menus", "Menus du trimestre",
         "Lundi : carottes râpées, poulet rôti, haricots verts, fromage blanc.\n"
         "Mardi : potage de légumes, lasagnes, salade verte, fruit.\n"
         "Jeudi : betteraves, poisson pané, riz, yaourt.\n"
         "Vendredi : repas végétarien : omelette, pommes de terre sautées, compote."),
        ("tarifs", "Tarifs de la cantine", None),
    ],
    "assistant_maternel": [
        ("presentation", "Assistant(e)s maternel(le)s",
         "Le relais petite enfance vous met en relation avec les assistant(e)s "
         "maternel(le)s agréé(e)s du territoire et vous accompagne dans vos démarches."),
    ],
}


# level -> years between the birth year and the school year's first year
LEVEL_OFFSETS = {"TPS": 2, "PS": 3, "MS": 4, "GS": 5, "CP": 6, "CE1": 7, "CE2": 8, "CM1": 9,
                 "CM2": 10, "6e": 11, "5e": 12, "4e": 13, "3e": 14}


@dataclass
class FamilySpec:
    key: str
    status: str
    guardians: list  # dicts: civility, first_name, last_name, email, mobile, login
    children: list  # dicts: key, first_name, last_name, level, month, day, sex, ...
    address: str = ""
    postcode: str = ""
    city: str = ""
    phone: str = ""
    situation: str | None = None
    regime: str | None = None
    allocataire: str = ""
    qf: int | None = None
    shared_children: list = field(default_factory=list)  # keys of children of another family


FAMILIES = (
    FamilySpec(
        key="fournival", status=HouseholdStatus.DRAFT.value,
        guardians=[dict(civility="Mme", first_name="Léa", last_name="FOURNIVAL",
                        email="lea.fournival@example.org", mobile="06 01 02 03 01",
                        login=True)],
        children=[dict(key="noe", first_name="Noé", last_name="FOURNIVAL", level=None,
                       age_level="MS", month=5, day=12, sex="M")],
        address="", postcode="99110", city="Villeneuve-des-Coteaux", situation="single"),
    FamilySpec(
        key="bellecour", status=HouseholdStatus.SUBMITTED.value,
        guardians=[dict(civility="M.", first_name="Karim", last_name="BELLECOUR",
                        email="karim.bellecour@example.org", mobile="06 01 02 03 02",
                        login=True, profession="Boulanger")],
        children=[dict(key="ines", first_name="Inès", last_name="BELLECOUR", level="CP",
                       month=2, day=3, sex="F"),
                  dict(key="adam", first_name="Adam", last_name="BELLECOUR", level="PS",
                       month=10, day=21, sex="M")],
        address="8 impasse des Glycines", postcode="99110", city="Villeneuve-des-Coteaux",
        phone="01 02 03 05 02", situation="married", regime="CAF", allocataire="0000002",
        qf=480),
    FamilySpec(
        key="marcadieu", status=HouseholdStatus.VALIDATED.value,
        guardians=[dict(civility="Mme", first_name="Sophie", last_name="MARCADIEU",
                        email="sophie.marcadieu@example.org", mobile="06 01 02 03 03",
                        login=True, profession="Infirmière"),
                   dict(civility="M.", first_name="Julien", last_name="MARCADIEU",
                        email="julien.marcadieu@example.org", mobile="06 01 02 03 04",
                        login=False, profession="Menuisier")],
        children=[dict(key="paul", first_name="Paul", last_name="MARCADIEU", level="GS",
                       month=4, day=9, sex="M"),
                  dict(key="jeanne", first_name="Jeanne", last_name="MARCADIEU", level="CE2",
                       month=11, day=30, sex="F", pai=True, allergies="Arachide",
                       pai_details="Trousse d'urgence dans le sac ; éviction de l'arachide.")],
        address="4 avenue des Platanes", postcode="99110", city="Villeneuve-des-Coteaux",
        phone="01 02 03 05 03", situation="married", regime="CAF", allocataire="0000003",
        qf=540),
    FamilySpec(
        key="rouquette", status=HouseholdStatus.VALIDATED.value,
        guardians=[dict(civility="Mme", first_name="Nadia", last_name="ROUQUETTE",
                        email="nadia.rouquette@example.org", mobile="06 01 02 03 05",
                        login=True, profession="Comptable")],
        children=[dict(key="hugo", first_name="Hugo", last_name="ROUQUETTE", level="CM2",
                       month=1, day=17, sex="M"),
                  dict(key="lina", first_name="Lina", last_name="ROUQUETTE", level="5e",
                       month=6, day=2, sex="F", school_name="Collège des Trois Vallons")],
        address="27 route de la Forêt", postcode="99120", city="Lasserre-sur-Osse",
        phone="01 02 03 05 05", situation="divorced", regime="MSA", allocataire="0000005",
        qf=1050),
    FamilySpec(
        key="escudier", status=HouseholdStatus.VALIDATED.value,
        guardians=[dict(civility="M.", first_name="Thomas", last_name="ESCUDIER",
                        email="thomas.escudier@example.org", mobile="06 01 02 03 06",
                        login=True, profession="Technicien")],
        children=[dict(key="leo", first_name="Léo", last_name="ESCUDIER", level="CE1",
                       month=8, day=25, sex="M")],
        address="2 rue du Lavoir", postcode="99130", city="Castelnau-des-Prés",
        phone="01 02 03 05 06", situation="separated", regime="CAF", allocataire="0000006",
        qf=820),
    FamilySpec(
        key="sabathe", status=HouseholdStatus.VALIDATED.value,
        guardians=[dict(civility="Mme", first_name="Claire", last_name="SABATHÉ",
                        email="claire.sabathe@example.org", mobile="06 01 02 03 07",
                        login=True, profession="Professeure des écoles")],
        children=[dict(key="rose", first_name="Rose", last_name="SABATHÉ", level=None,
                       age_level="TPS", month=3, day=3, sex="F", years_younger=1)],
        shared_children=["leo"],
        address="15 chemin des Vignes", postcode="99110", city="Villeneuve-des-Coteaux",
        phone="01 02 03 05 07", situation="separated", regime="CAF", allocataire="0000007",
        qf=690),
)
