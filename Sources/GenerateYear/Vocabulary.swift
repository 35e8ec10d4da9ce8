/// The world of the generated year: neighbourhoods, workers, organisations, and the words
/// residents and workers use. Dutch and Flemish, after the source texts.
enum Vocabulary {
    /// Forty real areas of the default catalogue's register, each in force from 2024 on under
    /// the same code and name (Schemas/areas): ten CBS buurten each of Amsterdam (its codes of
    /// 2024) and Almere, ten Statbel sectors each of Gent and Antwerpen.
    static let areas: [(code: String, name: String)] = [
        ("BU0363AA01", "Planciusbuurt-Noord"), ("BU0363AH03", "Weteringbuurt"), ("BU0363EE01", "Bosleeuw"),
        ("BU0363FA01", "Sloterdijk De Heining"), ("BU0363FM05", "Rembrandtpark-Zuid"), ("BU0363KF03", "Van der Helstpleinbuurt"),
        ("BU0363MA05", "Sporenburg"), ("BU0363MM07", "De Wetbuurt"), ("BU0363NF05", "Nieuwendammerdijk-Zuid"),
        ("BU0363SC05", "Weesp Dichtersbuurt"),
        ("BU00340101", "Centrum Haven Noord"), ("BU00340606", "Vliegerpark"), ("BU00341705", "Centrum Stad West"),
        ("BU00342203", "Waterwijk Zuid"), ("BU00342605", "Kruidenwijk Zuid"), ("BU00342901", "Muziekwijk Z.-Noord"),
        ("BU00343701", "Gooisekant Oost"), ("BU00344501", "Bouwmeesterbuurt Noord"), ("BU00345102", "Eilandenbuurt Oost"),
        ("BU00346103", "Europakwartier W.-West"),
        ("44021A00-", "Kuip"), ("44021A46-", "Blaarmeersen"), ("44021B342", "Rekencentrum"), ("44021D091", "Oostakkerveld"),
        ("44021E021", "Groot Begijnhof"), ("44021H171", "Zwijnaarde - Industrie"), ("44021K001", "Drongen Dorp"),
        ("44021K21-", "Halewijn"), ("44021K534", "Hoogland"), ("44021K794", "Keuzemeersen"),
        ("11002C42-", "De Zavel (Noordwijk )"), ("11002F62-", "Beerschot - Stadion (Kiel)"), ("11002Q04-", "Kluizevelden"),
        ("11002R04-", "Kreglinger"), ("11002R35-", "Morkhoven"), ("11002S41-", "Laboratorium"), ("11002T39-", "Oostkwartier"),
        ("11002U69-", "Klaverblad"), ("11002A01-", "Klapdorp - Brouwersvliet"), ("11002A02-", "Groenplaats (Spaanse Wallen)"),
    ]
    static let neighbourhoods: [String] = areas.map(\.code)

    static let workers = ["w-anna", "w-youssef", "w-els", "w-mehmet", "w-sanne", "w-pieter", "w-fatima", "w-koen",
                          "w-nadia", "w-bram", "w-lotte", "w-karim", "w-ines", "w-joris", "w-amina", "w-wouter"]

    static let organisations: [(id: String, type: String, name: String)] = [
        ("org-schuldhulp-noord", "welfare", "Schuldhulpverlening Noord"), ("org-maatschappelijk-werk", "welfare", "Maatschappelijk Werk"),
        ("org-welzijn-op-recept", "welfare", "Welzijn op Recept"), ("org-woningcorp-eigen-haard", "housing_corporation", "Eigen Haard"),
        ("org-ggd", "care", "GGD"), ("org-buurtzorg", "care", "Buurtzorg"), ("org-stadsdeel-oost", "city_service", "Stadsdeel Oost"),
        ("org-jongerenwerk", "youth_work", "Jongerenwerk"), ("org-bibliotheek", "library", "OBA Bibliotheek"),
        ("org-taalhuis", "library", "Taalhuis"), ("org-basisschool-de-regenboog", "school", "De Regenboog"),
        ("org-moskee-al-fath", "faith", "Moskee Al Fath"), ("org-voedselbank", "association", "Voedselbank"),
        ("org-werkplein", "city_service", "Werkplein"), ("org-juridisch-loket", "welfare", "Juridisch Loket"),
        ("org-ocmw-gent", "city_service", "OCMW Gent"), ("org-samenlevingsopbouw", "welfare", "Samenlevingsopbouw"),
        ("org-buurtcentrum", "association", "Buurtcentrum"), ("org-huurdersvereniging", "association", "Huurdersvereniging"),
        ("org-bakkerij-de-hoek", "business", "Bakkerij De Hoek"),
    ]

    static let serviceOrganisations: [(service: String, organisation: String)] = [
        ("debt_help", "org-schuldhulp-noord"), ("social_work", "org-maatschappelijk-werk"),
        ("welzijn_op_recept", "org-welzijn-op-recept"), ("housing", "org-woningcorp-eigen-haard"),
        ("health_care", "org-buurtzorg"), ("mental_health", "org-ggd"), ("employment", "org-werkplein"),
        ("language_course", "org-taalhuis"), ("legal_aid", "org-juridisch-loket"), ("youth_care", "org-jongerenwerk"),
        ("income_support", "org-ocmw-gent"),
    ]

    static let firstNames = ["Fatima", "Jan", "Mohamed", "Els", "Kees", "Aisha", "Priya", "Sven", "Noor", "Tom", "Yasmina",
                             "Henk", "Marieke", "Ahmed", "Lieve", "Dirk", "Samira", "Wim", "Chantal", "Rachid", "An", "Geert"]
    static let lastNames = ["de Vries", "El Amrani", "Jansen", "Peeters", "Yilmaz", "Bakker", "Maes", "Janssens", "Bouzid",
                            "van Dijk", "Claes", "Öztürk", "Visser", "Wouters", "Kaya", "de Smet", "Mulder", "Boateng"]
    static let streets = ["Javastraat", "Dapperstraat", "Kastanjeplein", "Wijttenbachstraat", "Sleutelhof", "Brugse Poort",
                          "Tweebruggenstraat", "Rabotstraat", "Eikenweg", "Pretoriusstraat"]

    static let contactSummaries = [
        "Mevrouw maakt zich zorgen over de huurachterstand.", "Meneer zoekt hulp bij formulieren van de gemeente.",
        "Gesprek over eenzaamheid sinds het overlijden van haar man.", "Vraag over de energietoeslag.",
        "Bewoner wil graag meedoen aan de buurtmoestuin.", "Uitleg gegeven over de brief van de belastingdienst.",
        "Zorgen over de veiligheid op het plein 's avonds.", "Hulp gevraagd bij het maken van een DigiD.",
        "Ouders zoeken een plek voor hun kinderen na school.", "Samen gekeken naar rechten bij de huurcommissie.",
    ]
    static let signalTexts: [(category: String, text: String)] = [
        ("playground", "De glijbaan in de speeltuin is kapot en gevaarlijk voor kinderen."),
        ("greenery", "Het gras langs de fietsroute wordt te weinig gemaaid; afspraken zijn onduidelijk."),
        ("traffic_safety", "Auto's rijden te hard over het kruispunt bij de school."),
        ("public_space", "Zwerfvuil en dumpingen bij de ondergrondse containers."),
        ("housing", "Vocht en schimmel in meerdere woningen van hetzelfde blok."),
        ("nuisance", "Geluidsoverlast van scooters rond het winkelcentrum."),
        ("services_gap", "Geen plek in de buurt waar ouderen terechtkunnen met digitale vragen."),
        ("poverty", "Steeds meer gezinnen kloppen aan bij de voedselbank."),
        ("loneliness", "Oudere bewoners in de flat komen nauwelijks buiten."),
        ("safety", "Slechte verlichting in de onderdoorgang naar het station."),
        ("information", "Bewoners begrijpen de brief over de renovatie niet."),
    ]
    static let initiativeTitles: [(theme: String, title: String)] = [
        ("christmas_market", "Kerstmarkt op het plein"), ("clean_up", "Buurtopruimdag"), ("spaghetti_evening", "Spaghettiavond"),
        ("repair_cafe", "Repair Café"), ("computer_course", "Computercursus voor senioren"), ("swap_shop", "Weggeefwinkel"),
        ("collective_purchase", "Samenaankoop stookolie"), ("traffic_safety", "Actie veilig naar school"),
        ("playground", "Nieuwe speelplek"), ("community_garden", "Buurtmoestuin"), ("street_party", "Straatfeest"),
        ("info_session", "Infosessie huurrechten in klare taal"), ("walking_group", "Wandelgroep"), ("language_cafe", "Taalcafé"),
    ]
}

